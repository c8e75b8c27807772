"""The README is the contract with users: its commands run here, exactly as written.

Each ```sh block in README.md is preceded by a marker comment:

    <!-- readme: run -->                       run verbatim by this module, in order
    <!-- readme: tested-by tests/x.py -->      run (or covered) by the named test file
    <!-- readme: ci -->                        this is the test command CI itself runs

The quick-start and curl blocks run in a fresh copy of the repository (as a user's
clone), under its own compose project, on the README's own port 8080.
"""

import os
import re
import subprocess

import pytest

from tests.e2e.stack import RUN_TAG, copy_tracked_files
from tests.support.compose import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme: (?P<marker>[^>]*?) -->\n)?```sh\n(?P<body>.*?)```", re.S
)


def readme_blocks():
    return [(m["marker"], m["body"]) for m in BLOCK.finditer(README.read_text())]


def test_every_shell_block_says_how_it_is_tested():
    for marker, body in readme_blocks():
        assert marker, f"README block has no readme marker:\n{body}"
        kind, _, target = marker.partition(" ")
        assert kind in {"run", "tested-by", "ci"}, marker
        if kind == "tested-by":
            assert (ROOT / target).is_file(), f"{target} (named in README) is missing"


@pytest.fixture(scope="module")
def user_clone(tmp_path_factory):
    """The repository's tracked files in a new directory, as a user's clone has them."""
    clone = tmp_path_factory.mktemp("readme") / f"readme-{os.getpid()}"
    copy_tracked_files(clone)
    yield clone
    run_sh("docker compose down --volumes --remove-orphans --timeout 10", clone)


def user_environment():
    # A user's shell: nothing from the test runner that compose would interpolate.
    keep = ("PATH", "HOME", "LANG", "DOCKER_HOST", "DOCKER_CONFIG", "TMPDIR")
    # The session's image tag (conftest.RUN_TAG), so no other checkout's build of
    # :latest is run or replaced; the session removes it at its end.
    return {name: os.environ[name] for name in keep if name in os.environ} | {
        "IMAGE_TAG": RUN_TAG
    }


def run_sh(script, cwd):
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def test_quick_start_and_curl_examples_work_as_written(user_clone):
    outputs = []
    for marker, body in readme_blocks():
        if marker != "run":
            continue
        result = run_sh(body, user_clone)
        assert result.returncode == 0, f"{body}\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout)
    transcript = "\n".join(outputs)
    # register's 201 body, then `me`, both naming the user; logout's 204 status.
    assert transcript.count('"email":"ada@example.com"') >= 2, transcript
    assert re.search(r"^204$", transcript, re.MULTILINE), transcript
    # The post, as created (201 body) and as found by the search.
    assert transcript.count('"title":"Hello, stack"') == 2, transcript
    # `make up` printed where the API, its docs and the admin answer.
    for path in ("/api/v1/", "/api/docs/", "/admin/"):
        assert f"http://127.0.0.1:8080{path}" in transcript, transcript
    assert (user_clone / ".env").stat().st_mode & 0o077 == 0, ".env must be private"
