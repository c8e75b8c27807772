"""The README's shell blocks that a test file runs, and running them verbatim."""

import os
import re

from tests.support.compose import ROOT, run

_README_BLOCK = re.compile(
    r"<!-- readme: tested-by (?P<path>\S+) -->\n```sh\n(.*?)```", re.S
)


def readme_blocks(test_file):
    """The README's shell blocks marked `<!-- readme: tested-by <test_file> -->`."""
    readme = (ROOT / "README.md").read_text()
    blocks = [m[2] for m in _README_BLOCK.finditer(readme) if m["path"] == test_file]
    assert blocks, f"README has no block tested by {test_file}"
    return blocks


def readme_commands(test_file):
    """Those blocks' commands, one per line, comments and blank lines left out."""
    lines = [line for block in readme_blocks(test_file) for line in block.splitlines()]
    return [line for line in lines if line.strip() and not line.startswith("#")]


def readme_command(test_file, start):
    """The one command of those blocks that starts with `start`, as written."""
    found = [line for line in readme_commands(test_file) if line.startswith(start)]
    assert len(found) == 1, f"README: {len(found)} commands start with {start!r}"
    return found[0]


def run_as_user(stack, command, *, env=None, timeout=600):
    """Run a README command verbatim, as a user's shell would, against the stack.

    COMPOSE_PROJECT_NAME points plain `docker compose` at the stack under test,
    and COMPOSE_ENV_FILES=/dev/null keeps a developer's .env out, as the stack
    fixture's --env-file /dev/null does.
    """
    shell_env = {
        **stack.env,
        "COMPOSE_PROJECT_NAME": stack.project,
        "COMPOSE_ENV_FILES": os.devnull,
        **(env or {}),
    }
    return run(["bash", "-euo", "pipefail", "-c", command], env=shell_env,
               timeout=timeout)  # fmt: skip
