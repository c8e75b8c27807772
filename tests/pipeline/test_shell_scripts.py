"""The pipeline's shell scripts are shellcheck-clean."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPTS = sorted(
    str(path.relative_to(ROOT))
    for pattern in ("deploy/*.sh", "scripts/lint-*.sh")
    for path in ROOT.glob(pattern)
)


def test_the_pipeline_scripts_are_found():
    assert {"deploy/build.sh", "deploy/deploy.sh", "deploy/release.sh"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_shellcheck_clean(tool, script):
    result = subprocess.run(
        [tool("shellcheck"), "--external-sources", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s != "deploy/lib.sh"])
def test_executable_with_strict_mode(script):
    path = ROOT / script
    assert path.stat().st_mode & 0o111
    assert "set -euo pipefail" in path.read_text()
