"""Helpers for the twelve-factor tests: waits, users, steady load, README commands.

Every wait here is bounded, and the load stops by itself: the tests that restart
or stop containers must never hang a CI run.
"""

import os
import re
import secrets
import subprocess
import threading
import time
from contextlib import contextmanager
from io import BytesIO

import httpx
from PIL import Image

from tests.e2e.stack import APP_IMAGE, ROOT

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/users/me/"
POSTS = "/api/v1/posts/"

# Every password and token these tests send; test_logs checks none was logged.
SECRETS_USED = set()

_README_BLOCK = re.compile(
    r"<!-- readme: tested-by (?P<path>\S+) -->\n```sh\n(.*?)```", re.S
)


def wait_until(condition, *, timeout, interval=0.5, what="the condition"):
    """Return condition()'s first truthy value; fail once `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(interval)


def remember_secret(value):
    SECRETS_USED.add(value)
    return value


def register(client, *, prefix="e2e-factor"):
    """Register a new user; returns its login credentials."""
    credentials = {
        "email": f"{prefix}-{secrets.token_hex(6)}@example.com",
        "password": remember_secret(secrets.token_urlsafe(16)),
    }
    registered = client.post(REGISTER, json=credentials)
    assert registered.status_code == 201, registered.text
    return credentials


def new_user(client, *, prefix="e2e-factor"):
    """Register a user and log in; returns its Authorization header."""
    tokens = client.post(TOKEN, json=register(client, prefix=prefix))
    assert tokens.status_code == 200, tokens.text
    access = remember_secret(tokens.json()["access"])
    remember_secret(tokens.json()["refresh"])
    return {"Authorization": f"Bearer {access}"}


def png(size=(320, 240)):
    output = BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(output, "PNG")
    return output.getvalue()


def create_image_post(client, headers, *, title="twelve-factor post"):
    response = client.post(
        POSTS,
        data={"title": title, "published": "true"},
        files={"image": ("photo.png", png(), "image/png")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def image_status(client, headers, post_id):
    response = client.get(f"{POSTS}{post_id}/", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["image_status"]


def readyz(client):
    """(status code, names of the failed checks) of /readyz; (0, None) when cut off."""
    try:
        response = client.get("/readyz", timeout=10)
        return response.status_code, response.json().get("failed", [])
    except (httpx.HTTPError, ValueError):
        return 0, None


class SteadyLoad:
    """Requests from `threads` clients, each in a loop, until stopped or `limit` s pass.

    GETs by default; with `json`, POSTs of that body. Use as a context manager;
    `outcomes` holds (status, upstream) per request, status 0 for a transport error.
    """

    def __init__(
        self, base_url, path, *, headers=None, json=None, threads=4, limit=240
    ):
        self.base_url, self.path, self.headers = base_url, path, headers or {}
        self.method, self.json = ("GET", None) if json is None else ("POST", json)
        self.limit = limit
        self.outcomes = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=70)

    def _run(self):
        deadline = time.monotonic() + self.limit
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    response = client.request(
                        self.method, self.path, headers=self.headers, json=self.json
                    )
                    outcome = (response.status_code, response.headers.get("X-Upstream"))
                except httpx.HTTPError as exc:
                    outcome = (0, type(exc).__name__)
                self.outcomes.append(outcome)
                self._stop.wait(0.02)

    @property
    def failures(self):
        return [outcome for outcome in self.outcomes if outcome[0] not in (200, 201)]


def container_state(container):
    """(StartedAt, RestartCount, ExitCode) of a container."""
    result = subprocess.run(
        [
            "docker",
            "inspect",
            "--format",
            "{{.State.StartedAt}} {{.RestartCount}} {{.State.ExitCode}}",
            container,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    started, restarts, exit_code = result.stdout.split()
    return started, int(restarts), int(exit_code)


@contextmanager
def paused(stack, service):
    """Freeze a service's processes (its sockets still accept) for the block.

    Docker marks a paused container unhealthy until its next health check
    passes, and compose refuses to start a service whose dependency is
    unhealthy, so the block ends only once the service is healthy again.
    """
    stack.compose("pause", service)
    try:
        yield
    finally:
        stack.compose("unpause", service)
        (container,) = stack.container_ids(service)
        wait_until(
            lambda: health(container) == "healthy",
            timeout=60,
            what=f"{service} healthy again after the pause",
        )


def inspect(container, template):
    """`docker inspect --format TEMPLATE` of one container."""
    result = subprocess.run(
        ["docker", "inspect", "--format", template, container],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def health(container):
    return inspect(container, "{{.State.Health.Status}}")


def requests_waiting_on(stack, service, port):
    """Connections into `service`'s `port` whose request it has not read yet.

    Read from the kernel's TCP table in the service's network namespace, so it
    works while the service is paused: that is how a test knows a request is
    in flight, blocked on this service.
    """
    (container,) = stack.container_ids(service)
    result = subprocess.run(
        ["docker", "run", "--rm", f"--network=container:{container}",
         "--entrypoint=cat", APP_IMAGE, "/proc/net/tcp", "/proc/net/tcp6"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )  # fmt: skip
    waiting = 0
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5 or fields[0] == "sl":
            continue
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        receive_queue = int(fields[4].split(":")[1], 16)
        if fields[3] == "01" and local_port == port and receive_queue > 0:
            waiting += 1
    return waiting


def report_figure(request, text):
    """Print a measured figure in the run's output, whatever pytest captures."""
    line = f"[twelve-factor] {text}"
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n{line}")


# --- README commands ---------------------------------------------------------------
def readme_block(test_file):
    """The README's shell block marked `<!-- readme: tested-by <test_file> -->`."""
    readme = (ROOT / "README.md").read_text()
    blocks = [m[2] for m in _README_BLOCK.finditer(readme) if m["path"] == test_file]
    assert len(blocks) == 1, f"README must have one block tested by {test_file}"
    return blocks[0]


def readme_commands(test_file):
    """The block's commands, one per line, comments and blank lines left out."""
    lines = readme_block(test_file).splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


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
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=ROOT,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result
