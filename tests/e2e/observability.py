"""A stack with the `observability` profile, for the metrics and alert tests.

Its own compose project (drf-obs-*), beside the suite's shared one: two web
replicas of three gunicorn workers each, recycled every few requests, so counts
are summed over processes that come and go; Prometheus on a free loopback port.
"""

import contextlib
import secrets

from tests.e2e.conftest import _free_port, _save_logs, _tear_down, stack_environment
from tests.e2e.stack import Stack

WEB_REPLICAS = 2
GUNICORN_WORKERS = 3
# Every worker is recycled several times during the tests' requests.
GUNICORN_MAX_REQUESTS = 15


@contextlib.contextmanager
def observability_stack(*, files=("docker-compose.yml",), name="obs"):
    port, prometheus_port = _free_port(), _free_port()
    env = stack_environment(port)
    env.update(
        COMPOSE_PROFILES="observability",
        WEB_REPLICAS=str(WEB_REPLICAS),
        GUNICORN_WORKERS=str(GUNICORN_WORKERS),
        GUNICORN_MAX_REQUESTS=str(GUNICORN_MAX_REQUESTS),
        GUNICORN_MAX_REQUESTS_JITTER="0",
        PROMETHEUS_PORT=str(prometheus_port),
    )
    stack = Stack(
        project=f"drf-{name}-{secrets.token_hex(4)}", env=env, port=port, files=files
    )
    stack.prometheus_port = prometheus_port
    failed = True
    try:
        stack.compose("build", timeout=1800)
        stack.compose("up", "--detach", "--wait", "--wait-timeout", "300")
        yield stack
        failed = False
    finally:
        if failed:
            _save_logs(stack)
        _tear_down(stack)
