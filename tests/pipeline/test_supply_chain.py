"""Supply chain: renovate.json is valid Renovate config; the lock audit can fail.

Renovate's own validator runs through npx (renovate is ~400 MB of node_modules,
too heavy for package.json next to gitlab-ci-local); the version is pinned, the
last one that runs on Node 20.

The lock audit runs the real pip-audit over the real locks, against an OSV API
served on 127.0.0.1 from advisories in OSV's format written here (pip-audit's
`osv` service, PIP_AUDIT_OSV_URL): PyPI's own advisory data is unreachable from
this machine, and an advisory made up for the pinned Django is the only way to
know a vulnerable pin fails the audit.
"""

import json
import re
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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


# A pin in a pip-compile lock: `name==version \\` at the start of a line.
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def canonical(name):
    """PEP 503's normalised name, the one pip-audit asks OSV about."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins():
    """Every (lock, name, version) pinned in requirements/*.txt."""
    return [
        (lock.name, canonical(name), version)
        for lock in sorted((ROOT / "requirements").glob("*.txt"))
        for name, version in PIN.findall(lock.read_text())
    ]


def advisory(osv_id, name, versions, fixed):
    """One advisory in OSV's schema, affecting exactly `versions` of a PyPI package."""
    return {
        "schema_version": "1.6.0",
        "id": osv_id,
        "modified": "2026-01-01T00:00:00Z",
        "summary": f"A vulnerability in {name}, made up for this test",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": fixed}],
                    }
                ],
                "versions": versions,
            }
        ],
    }


@contextmanager
def osv_api(advisories):
    """OSV's /v1/query on 127.0.0.1 for `advisories`; yields (url, queries asked)."""
    queries = []

    class Query(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            package, version = query["package"], query["version"]
            queries.append((package["name"], version))
            vulns = [
                entry
                for entry in advisories
                for affected in entry["affected"]
                if affected["package"] == package and version in affected["versions"]
            ]
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Query)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", queries
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def audit(run_script):
    """Runs scripts/audit-locks.sh against an OSV API holding `advisories`."""

    def run(advisories):
        with osv_api(advisories) as (url, queries):
            env = {"PIP_AUDIT_VULNERABILITY_SERVICE": "osv", "PIP_AUDIT_OSV_URL": url}
            result = run_script("scripts/audit-locks.sh", env)
        return result, queries

    return run


def pinned_version(name, lock="base.txt"):
    (version,) = [v for file, n, v in lock_pins() if file == lock and n == name]
    return version


def test_the_lock_audit_fails_on_a_pinned_version_with_an_advisory(audit):
    django = pinned_version("django")
    result, _ = audit([advisory("OSV-TEST-0001", "django", [django], "99.0")])
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"base.txt: django {django}: OSV-TEST-0001 (fixed in 99.0)" in result.stdout


def test_the_lock_audit_asks_for_every_pin_and_passes_without_an_advisory(audit):
    result, queries = audit([advisory("OSV-TEST-0002", "django", ["1.0"], "1.1")])
    assert result.returncode == 0, result.stdout + result.stderr
    pins = lock_pins()
    assert set(queries) == {(name, version) for _, name, version in pins}
    assert (
        f"pip-audit: {len(pins)} pins audited, 0 not answered by the advisory "
        "service, 0 known vulnerabilities"
    ) in result.stdout
