"""Supply chain: renovate.json is valid Renovate config; the lock audit can fail.

Renovate's own validator runs through npx (renovate is ~400 MB of node_modules,
too heavy for package.json next to gitlab-ci-local); the version is pinned, the
last one that runs on Node 20.
"""

import json
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RENOVATE = "renovate@39.264.0"


def test_renovate_config_passes_renovates_own_validator(tool):
    result = subprocess.run(
        [
            tool("npx"),
            "--yes",
            "--package",
            RENOVATE,
            "renovate-config-validator",
            "--strict",
            "renovate.json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_renovate_covers_the_locks_dockerfiles_compose_ci_and_npm():
    config = json.loads((ROOT / "renovate.json").read_text())
    assert set(config["enabledManagers"]) == {
        "pip-compile",
        "dockerfile",
        "docker-compose",
        "gitlabci",
        "npm",
    }
    (pattern,) = config["pip-compile"]["fileMatch"]
    assert pattern == r"(^|/)requirements/[^/]+\.txt$"


def _fake_pip_audit(bin_dir, vulns):
    """A pip-audit that reports one audited pin, with the given vulnerabilities."""
    report = {"dependencies": [{"name": "django", "version": "5.2.0", "vulns": vulns}]}
    script = bin_dir / "pip-audit"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        "out = sys.argv[sys.argv.index('--output') + 1]\n"
        f"open(out, 'w').write(json.dumps({report!r}))\n"
        f"sys.exit({1 if vulns else 0})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_the_lock_audit_fails_on_a_known_vulnerability(run_script, tmp_path):
    vuln = {"id": "PYSEC-0000-1", "fix_versions": ["5.2.1"]}
    _fake_pip_audit(tmp_path, [vuln])
    result = run_script("scripts/audit-locks.sh", {"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert result.returncode == 1
    assert "django 5.2.0: PYSEC-0000-1 (fixed in 5.2.1)" in result.stdout


def test_the_lock_audit_passes_without_one(run_script, tmp_path):
    _fake_pip_audit(tmp_path, [])
    result = run_script("scripts/audit-locks.sh", {"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 known vulnerabilities" in result.stdout
