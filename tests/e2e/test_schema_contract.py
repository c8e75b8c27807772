"""The OpenAPI schema is the contract: schemathesis finds no request it mis-answers.

schemathesis (`--checks all`) generates requests from /api/schema/, valid and
invalid, sends them through Nginx and checks every answer against the schema:
status codes, bodies, headers, that invalid input is refused and valid input
accepted, 405s with Allow. Once as a signed-in user, once anonymously. The seed is
fixed so a failure reproduces (SCHEMATHESIS_SEED chooses another);
SCHEMATHESIS_MAX_EXAMPLES bounds the examples per operation: 25 by default.

The schemathesis runs are part of `make test` (about three minutes for both) and
marked `contract`, so `make test-contract` runs them alone, with 200 examples
unless told otherwise: the longer hunt. Each run's report is kept under reports/
(schemathesis-<who>.xml and .log). The hooks module
filters exactly one schemathesis defect (see its docstring); every other failure
fails the run.
"""

import os
import subprocess
import sys
import time

import pytest

from tests.support.api import new_user
from tests.support.compose import REPORTS, ROOT

SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261202")
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25")
CONFIG = ROOT / "tests" / "e2e" / "schemathesis.toml"
# Routes Nginx answers itself for TRACE; their Allow must be Django's.
ROUTES = [
    "/api/v1/auth/register/",
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/logout/",
    "/api/v1/posts/",
    "/api/v1/posts/1/",
    "/api/v1/users/me/",
    "/api/schema/",
]


def run_schemathesis(stack, name, *headers):
    REPORTS.mkdir(exist_ok=True)
    command = [
        SCHEMATHESIS,
        f"--config-file={CONFIG}",
        "run",
        f"{stack.base_url}/api/schema/",
        "--checks=all",
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--generation-database=none",
        "--request-timeout=15",
        "--no-color",
        "--report=junit",
        f"--report-junit-path={REPORTS / f'schemathesis-{name}.xml'}",
        *[option for header in headers for option in ("--header", header)],
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
    }
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    # The whole report beside the JUnit file; its summary (operations, phases,
    # test cases generated and passed, seed) in the test's own output.
    (REPORTS / f"schemathesis-{name}.log").write_text(result.stdout + result.stderr)
    summary = result.stdout[result.stdout.rfind("SUMMARY") :]
    sys.stderr.write(
        f"\nschemathesis ({name}, {MAX_EXAMPLES} examples, seed {SEED}): "
        f"{time.monotonic() - started:.0f} s\n{summary}\n"
    )
    return result


@pytest.mark.contract
@pytest.mark.parametrize("who", ["signed-in", "anonymous"])
def test_the_api_keeps_its_schema(stack, client, who):
    headers = []
    if who == "signed-in":
        authorization = new_user(client, prefix="e2e-contract")["Authorization"]
        headers.append(f"Authorization: {authorization}")
    result = run_schemathesis(stack, who, *headers)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]


@pytest.mark.parametrize("path", ROUTES)
def test_trace_answered_by_nginx_lists_the_methods_django_allows(client, path):
    django_allow = client.options(path).headers.get("Allow")
    trace = client.request("TRACE", path)
    assert trace.status_code == 405
    assert trace.headers.get("Allow") == django_allow, path
    assert trace.json()["code"] == "method_not_allowed"
