"""Brings the container stack up once per test session and tears it down afterwards.

The stack starts from an empty database under a compose project name of its own,
with three web replicas (so the first start is also the migration race), Nginx on
a free port of 127.0.0.1, and throwaway secrets generated here. Compose reads no
.env file (--env-file /dev/null): the tests depend on nothing local. Everything is
removed at the end, volumes included, whether the tests passed or not; when any
failed, the containers' logs are saved under reports/ first.

Run with `make test-e2e`. E2E_KEEP_STACK=1 leaves the stack running for debugging.
"""

import os
import secrets
import socket
import sys

import httpx
import pytest

from tests.e2e.stack import GUNICORN_WORKERS, OUR_IMAGES, RUN_TAG, WEB_REPLICAS, Stack
from tests.support.browser import chromium
from tests.support.compose import REPORTS, docker

# What compose and docker need from the caller's environment.
PASSED_THROUGH = {"PATH", "HOME", "USER", "LANG", "TMPDIR", "XDG_RUNTIME_DIR"}


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.e2e)
    # Tests marked `last` judge what the whole session did (the log scan for leaked
    # secrets): move them to the end, keeping every other test's order.
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _throwaway_secret():
    return secrets.token_urlsafe(48)


def stack_environment(port):
    """The shell environment compose interpolates: throwaway secrets, test knobs."""
    # Compose sees only what the tests choose: nothing from a developer's shell or a
    # CI job (a REDIS_URL there would otherwise reach the containers).
    env = {
        name: value
        for name, value in os.environ.items()
        if name in PASSED_THROUGH or name.startswith(("DOCKER_", "BUILDKIT_"))
    }
    env.update(
        SECRET_KEY=_throwaway_secret(),
        JWT_SIGNING_KEY=_throwaway_secret(),
        POSTGRES_PASSWORD=_throwaway_secret(),
        BACKUP_CIPHER_PASS=_throwaway_secret(),
        # Images of this run's own (drf-reference-app:<RUN_TAG>, ...): another
        # checkout's build of :latest cannot swap them mid-run.
        IMAGE_TAG=RUN_TAG,
        HTTP_PORT=str(port),
        WEB_REPLICAS=str(WEB_REPLICAS),
        GUNICORN_WORKERS=str(GUNICORN_WORKERS),
        # Room for the suite's own registrations and logins; the limits have unit
        # tests. The schema contract alone sends ~100 token requests from this
        # loopback address, and every later new_user() would then wait out a 429.
        THROTTLE_RATE_REGISTER="1000/hour",
        THROTTLE_RATE_TOKEN="1000/min",
        # Both schemathesis runs refresh and log out from this address too: at the
        # 60/min defaults the second run saw mostly 429s there, so the contract of
        # those operations went unchecked (schemathesis.toml fails on that now).
        THROTTLE_RATE_REFRESH="1000/min",
        THROTTLE_RATE_LOGOUT="1000/min",
        # test_disposability.py holds uploads on a paused object store while it
        # stops web: at the 5 s default each S3 call times out and retries, so the
        # uploads leave and rejoin the store's socket table and never all wait at
        # once on a busy machine (the default and its use have unit tests).
        AWS_S3_CLIENT_TIMEOUT="30",
        # ...and those uploads hold their sync workers for as long as the store is
        # paused: past GUNICORN_TIMEOUT's 30 s default the arbiter aborts them with
        # gunicorn's own 500 page (CI saw 4 of 6). Nginx's 60 s read timeout caps them.
        GUNICORN_TIMEOUT="75",
        # The origin test_browser_cors.py serves a client page from, on a port of its
        # own (a browser's Origin includes the port).
        CORS_ALLOWED_ORIGINS=f"http://127.0.0.1:{_free_port()}",
    )
    return env


@pytest.fixture(scope="session")
def stack(request):
    port = _free_port()
    stack = Stack(
        project=f"drf-e2e-{secrets.token_hex(4)}",
        env=stack_environment(port),
        port=port,
    )
    try:
        stack.compose("build", timeout=1800)
        stack.compose("up", "--detach", "--wait", "--wait-timeout", "300")
        stack.startup_logs = stack.logs("web")
    except BaseException:
        _save_logs(stack)
        _tear_down(stack)
        raise
    yield stack
    if request.session.testsfailed:
        _save_logs(stack)
    if os.environ.get("E2E_KEEP_STACK") == "1":
        sys.stderr.write(f"\nE2E_KEEP_STACK=1: project {stack.project} left up\n")
        return
    _tear_down(stack)
    # The session's tags only (every stack of the session is gone by now): the
    # layers stay cached for the next build.
    docker("image", "rm", *(stack.image(name) for name in OUR_IMAGES), check=False)


def _save_logs(stack):
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / f"e2e-{stack.project}.log"
    result = stack.compose("logs", "--no-color", "--timestamps", check=False)
    path.write_text(result.stdout + result.stderr)
    sys.stderr.write(f"\ncontainer logs saved to {path}\n")


def _tear_down(stack):
    stack.compose(
        "down", "--volumes", "--remove-orphans", "--timeout", "30", check=False
    )


@pytest.fixture(scope="module")
def browser():
    # Per module: Playwright's event loop runs only while the browser tests do.
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def client(stack):
    with httpx.Client(base_url=stack.base_url, timeout=15) as client:
        yield client
