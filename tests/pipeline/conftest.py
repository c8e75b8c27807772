"""Fixtures for the pipeline tests: the repository, its tools, and script runners."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Tools installed next to this interpreter (the project's .venv), the project's Node
# tools (`npm ci`), then PATH.
TOOL_DIRS = os.pathsep.join(
    [
        str(Path(sys.executable).parent),
        str(ROOT / "node_modules" / ".bin"),
        os.environ["PATH"],
    ]
)


@pytest.fixture
def tool():
    """Returns the absolute path of a command-line tool, or fails naming its source."""

    def find(name):
        path = shutil.which(name, path=TOOL_DIRS)
        if path is None:
            pytest.fail(f"{name} not found; run `make venv` (or `npm ci` for Node)")
        return path

    return find


@pytest.fixture
def run_script():
    """Runs a repository script with exactly the given environment (plus PATH)."""

    def run(script, env, *args, cwd=ROOT):
        return subprocess.run(
            [str(cwd / script), *args],
            cwd=cwd,
            env={"PATH": TOOL_DIRS, "HOME": os.environ.get("HOME", "/root"), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
