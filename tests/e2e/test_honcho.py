"""Factor X, dev/prod parity: the Procfile's processes under honcho, no compose.

The README's honcho commands run verbatim in a container of the test image (the
application's code and Python plus the development tools) that stands in for a
developer's machine: no entrypoint, no compose, only `.env` and the Procfile. Its
`.env` is the one scripts/init-env writes with the README's edits applied; the
PostgreSQL and Redis it uses are the stack's (a database and Redis databases of
its own), reached by the names a developer would replace with localhost.
"""

import json
import re
import secrets
import subprocess
from dataclasses import replace

import pytest

from tests.e2e.readme import readme_commands
from tests.support.compose import ROOT, docker
from tests.support.waits import wait_until

README_TESTED_BY = "tests/e2e/test_honcho.py"
DATABASE = "honcho"
_DOTENV_BLOCK = re.compile(r"<!-- readme: honcho-env -->\n```dotenv\n(.*?)```", re.S)


def readme_env_edits():
    (block,) = _DOTENV_BLOCK.findall((ROOT / "README.md").read_text())
    lines = [
        line for line in block.splitlines() if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    ]
    return dict(line.split("=", 1) for line in lines)


def dotenv(path, stack):
    """init-env's .env, the README's edits, and this machine's service addresses."""
    subprocess.run([str(ROOT / "scripts" / "init-env"), str(path)], check=True)
    values = dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    )
    edits = readme_env_edits()
    assert {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"} <= set(edits)
    values.update(edits)
    password = stack.env["POSTGRES_PASSWORD"]
    values.update(
        DATABASE_URL=f"postgres://app:{password}@db:5432/{DATABASE}",
        REDIS_URL="redis://redis:6379/2",
        CELERY_BROKER_URL="redis://redis:6379/3",
    )
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    path.chmod(0o644)  # read by the container's unprivileged user
    return values


@pytest.fixture
def honcho_database(stack):
    stack.exec("db", "createdb", "--username=app", DATABASE)
    yield
    stack.exec("db", "dropdb", "--username=app", "--force", DATABASE, check=False)


def inside(container, script):
    """Run Python in the container; its stdout."""
    return docker("exec", container, "python", "-c", script)


def http(port, path, body=None):
    """A request from inside the honcho machine to its own web process."""
    data = "None" if body is None else f"{json.dumps(json.dumps(body))}.encode()"
    return (
        "import json, urllib.request as u\n"
        f"r = u.Request('http://127.0.0.1:{port}{path}', data={data},"
        " headers={'Content-Type': 'application/json'})\n"
        "print(u.urlopen(r, timeout=10).status)\n"
    )


def test_readme_honcho_commands_run_web_worker_and_beat(
    stack, tmp_path, honcho_database
):
    commands = readme_commands(README_TESTED_BY)
    assert commands[0] == "honcho run python manage.py migrate"
    assert commands[-1].startswith("honcho start ")
    with_tests = replace(stack, files=("docker-compose.yml", "docker-compose.test.yml"))
    with_tests.compose("build", "test", timeout=1800)
    env = dotenv(tmp_path / ".env", stack)
    name = f"{stack.project}-honcho"
    docker(
        "run", "--detach", "--name", name, f"--network={stack.project}_backend",
        f"--volume={tmp_path / '.env'}:/app/.env:ro", "--entrypoint=bash",
        with_tests.image("app-test"), "-c", " && ".join(commands),
    )  # fmt: skip
    try:
        wait_until(
            lambda: (
                "Listening at" in docker("logs", name)
                and "ready." in docker("logs", name)
            ),
            timeout=300,
            interval=2,
            what="honcho's web and worker up",
        )
        port = env["PORT"]
        assert inside(name, http(port, "/readyz")).strip() == "200"
        email = f"honcho-{secrets.token_hex(4)}@example.com"
        body = {"email": email, "password": secrets.token_urlsafe(16)}
        assert inside(name, http(port, "/api/v1/auth/register/", body)).strip() == "201"
        wait_until(
            lambda: f"Hello {email}" in docker("logs", name),
            timeout=60,
            what="the welcome email from honcho's worker",
        )
        logs = docker("logs", name)
    finally:
        docker("rm", "--force", name, check=False)

    assert "Applying accounts.0001_initial... OK" in logs
    # The stack's log scan cannot see this container's logs: check them here.
    assert body["password"] not in logs
    for process in ("web.1", "worker.1", "beat.1"):
        assert re.search(rf"^\S+ {re.escape(process)} +\| ", logs, re.M), process
    # Development's LOG_FORMAT=console: readable lines, not JSON.
    assert re.search(
        r"\| \S+ \S+ INFO +\[-\] celery\.apps\.worker: celery@\S+ ready\.", logs
    )
