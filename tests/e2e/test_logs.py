"""Factor XI, logs as event streams: stdout only, one JSON format, one request id.

The secrets check is marked `last`: the conftest runs it after every other test, so
it reads the logs of everything the session did against the stack.
"""

import json
import re
import secrets
import time

import pytest

from tests.support.api import (
    ME,
    POSTS,
    REGISTER,
    SECRETS_USED,
    TOKEN,
    create_image_post,
    new_user,
    register,
    remember_secret,
)
from tests.support.compose import docker
from tests.support.waits import wait_until

SERVICES = ["web", "worker", "beat", "nginx", "s3", "db", "redis"]
APP_SERVICES = ["web", "worker", "beat"]
RECORD_KEYS = {"timestamp", "level", "logger", "message", "request_id"}
LOG_FILE = re.compile(r"(\.log$|\.log\.\d+$|/var/log/|/logs?/)")
# Text that only a log record in some library's default format would produce:
# Python's logging.basicConfig, Celery's and gunicorn's own formatters.
TEXT_RECORD = re.compile(
    r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.]+:"
    r"|^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+: [A-Z]+/"
    r"|^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[[A-Z]+\]"
    r"|^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\S* (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)
JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")


def open_files(container):
    """What every process in the container has open, as /proc shows its owner."""
    script = 'for f in /proc/[0-9]*/fd/*; do readlink "$f"; done 2>/dev/null; true'
    output = docker("exec", container, "sh", "-c", script, timeout=60)
    return set(output.split())


def files_written(container):
    """Paths the container added or changed in its own filesystem layer."""
    output = docker("diff", container, timeout=60)
    return [line.split(None, 1)[1] for line in output.splitlines()]


def pid1_output(container):
    script = "readlink /proc/1/fd/1; readlink /proc/1/fd/2"
    output = docker("exec", container, "sh", "-c", script, timeout=60)
    return output.split()


@pytest.mark.parametrize("service", SERVICES)
def test_every_process_writes_to_stdout_and_stderr_only(stack, service):
    for container in stack.container_ids(service):
        # Docker collects the main process's stdout and stderr through pipes.
        for target in pid1_output(container):
            assert target.startswith("pipe:") or target == "/dev/null", target
        logs_open = sorted(
            path for path in open_files(container) if LOG_FILE.search(path)
        )
        assert not logs_open, f"{service} has log files open: {logs_open}"
        written = [path for path in files_written(container) if LOG_FILE.search(path)]
        assert not written, f"{service} wrote log files: {written}"


def records(logs):
    """(service, line) for each line of `docker compose logs` output."""
    for raw in logs.splitlines():
        prefix, _, line = raw.partition("|")
        yield prefix.strip().rsplit("-", 1)[0], line.strip()


def json_records(logs, request_id):
    """service -> the JSON entries carrying `request_id`."""
    found = {}
    for service, line in records(logs):
        if request_id in line and line.startswith("{"):
            entry = json.loads(line)
            if entry.get("request_id") == request_id:
                found.setdefault(service, []).append(entry)
    return found


def wait_for_trace(stack, request_id, worker_message):
    """The request's JSON entries per service, once Nginx and the worker logged
    their parts (Nginx writes its lines up to 1 s late)."""

    def complete():
        found = json_records(stack.logs(), request_id)
        worker = found.get("worker", [])
        done = any(worker_message in e["message"] for e in worker)
        return found if done and "nginx" in found else None

    return wait_until(complete, timeout=60, what=f"the worker's {worker_message!r}")


def test_app_processes_log_json_lines_with_the_request_id(stack, client):
    request_id = f"e2e-json-{time.time_ns()}"
    register(client, prefix="e2e-json", headers={"X-Request-ID": request_id})
    wait_for_trace(stack, request_id, "welcome email sent")

    for service in APP_SERVICES:
        lines = [line for _, line in records(stack.logs(service)) if line]
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        assert entries, f"{service} logged no JSON"
        for entry in entries:
            assert set(entry) >= RECORD_KEYS, (service, entry)
        text_records = [line for line in lines if TEXT_RECORD.match(line)]
        assert not text_records, f"{service} logged text records: {text_records[:5]}"
        # The entrypoint's own lines (migrate, collectstatic, start) are records too.
        if service == "web":
            assert any(entry["logger"] == "entrypoint" for entry in entries)
            assert not [line for line in lines if " entrypoint: " in line]
        tracebacks = [line for line in lines if line.startswith("Traceback")]
        assert not tracebacks, f"{service} printed a traceback outside the log"


def test_nginx_writes_the_one_access_line_of_each_request(stack, client):
    """gunicorn's access log is off by default: Nginx's line is the request's record."""
    request_id, probe_id = f"e2e-access-{time.time_ns()}", f"e2e-probe-{time.time_ns()}"
    assert client.get(POSTS, headers={"X-Request-ID": request_id}).status_code == 200
    assert client.get("/healthz", headers={"X-Request-ID": probe_id}).status_code == 200

    def logged():
        found = json_records(stack.logs("nginx"), request_id).get("nginx")
        return found if found and probe_id in stack.logs("nginx") else None

    (entry,) = wait_until(logged, timeout=30, what="Nginx's access lines")
    assert set(entry) >= RECORD_KEYS, entry
    assert (entry["logger"], entry["level"]) == ("nginx.access", "INFO")
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", POSTS, 200)
    assert entry["message"] == f"GET {POSTS} 200"
    web = stack.logs("web")
    assert request_id not in web
    assert probe_id not in web


def serve_in_one_off_container(stack, log_format, probe_id, list_id):
    """gunicorn with its access log on, in a one-off web container: its output once
    it served a probe and then the post list, each with its request id."""
    probe = (
        "import time, urllib.request as u\n"
        "for _ in range(100):\n"
        "    try:\n"
        "        u.urlopen('http://127.0.0.1:8001/healthz', timeout=2); break\n"
        "    except OSError: time.sleep(0.2)\n"
        "get = lambda path, rid: u.urlopen(u.Request('http://127.0.0.1:8001' + path,"
        " headers={'X-Request-ID': rid}), timeout=5)\n"
        f"get('/healthz', '{probe_id}')\n"
        f"get('{POSTS}', '{list_id}')\n"
    )
    script = (
        'python manage.py shell -c "import logging; '
        "logging.getLogger('e2e.console').warning('console format check')\"\n"
        "gunicorn --config docker/gunicorn.conf.py --bind 127.0.0.1:8001 "
        "--workers 1 config.wsgi:application &\n"
        f'python -c "{probe}"\n'
        "kill -TERM $!; wait\n"
    )
    result = stack.compose(
        "run", "--rm", "--no-deps", "--env", f"LOG_FORMAT={log_format}",
        "--env", "GUNICORN_ACCESS_LOG=true", "web", "sh", "-c", script,
    )  # fmt: skip
    return (result.stdout + result.stderr).splitlines()


def test_gunicorn_access_log_when_on_has_the_app_log_format(stack):
    probe_id, list_id = f"e2e-probe-{time.time_ns()}", f"e2e-json-{time.time_ns()}"
    output = serve_in_one_off_container(stack, "json", probe_id, list_id)
    entries = [json.loads(line) for line in output if line.startswith("{")]
    (entry,) = [e for e in entries if e["request_id"] == list_id]
    assert set(entry) >= RECORD_KEYS, entry
    assert (entry["logger"], entry["level"]) == ("gunicorn.access", "INFO")
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", POSTS, 200)
    assert entry["message"] == f"GET {POSTS} 200"
    # Docker probes every replica every 2 s: a successful probe writes no line.
    assert not [line for line in output if probe_id in line], output


def test_console_format_is_readable_text(stack):
    """LOG_FORMAT=console: Django's and gunicorn's records as plain text lines."""
    request_id = f"e2e-console-{time.time_ns()}"
    output = serve_in_one_off_container(stack, "console", "e2e-probe", request_id)
    django_line = re.compile(r"^\d{4}-\d\d-\d\d \S+ WARNING +\[-\] e2e\.console: ")
    assert any(django_line.match(line) for line in output), output
    access = [line for line in output if f"request_id={request_id}" in line]
    assert len(access) == 1, output
    assert f'"GET {POSTS} HTTP/1.1" 200' in access[0]
    assert not [line for line in output if line.startswith("{")], output


def test_one_request_id_from_nginx_through_django_into_the_worker(stack, client):
    """`docker compose logs | grep <id>` tells a request's whole story."""
    request_id = f"e2e-trace-{time.time_ns()}"
    password = remember_secret(secrets.token_urlsafe(16))
    email = f"e2e-trace-{secrets.token_hex(6)}@example.com"
    registered = client.post(
        REGISTER,
        json={"email": email, "password": password},
        headers={"X-Request-ID": request_id},
    )
    assert registered.status_code == 201, registered.text
    assert registered.headers["X-Request-ID"] == request_id

    # Django puts the id into the headers of the task the request enqueues.
    found = wait_for_trace(stack, request_id, "welcome email sent")
    assert {"nginx", "worker"} <= set(found), found
    assert found["nginx"][0]["path"] == REGISTER
    assert any("welcome email sent" in e["message"] for e in found["worker"])


def test_a_thumbnail_task_carries_the_upload_request_id(stack, client):
    headers = new_user(client, prefix="e2e-trace")
    request_id = f"e2e-upload-{time.time_ns()}"
    post = create_image_post(client, {**headers, "X-Request-ID": request_id})
    found = wait_for_trace(stack, request_id, "is ready")
    assert {"nginx", "worker"} <= set(found), found
    ready = [e for e in found["worker"] if "is ready" in e["message"]]
    assert ready[0]["message"] == f"thumbnail of post {post['id']} is ready"


@pytest.mark.last
def test_no_password_token_or_secret_reaches_the_logs(stack, client):
    headers = new_user(client, prefix="e2e-secrets")
    client.get(ME, headers=headers)
    client.post(TOKEN, json={"email": "nobody@example.com", "password": "wrong-Pa55"})
    remember_secret("wrong-Pa55")
    logs = stack.compose("logs", "--no-color").stdout
    assert logs.count("\n") > 100, "too little log output to judge"

    deployment = [
        stack.env[name]
        for name in ("SECRET_KEY", "JWT_SIGNING_KEY", "POSTGRES_PASSWORD")
    ]
    leaked = [
        value[:6] + "..." for value in (*SECRETS_USED, *deployment) if value in logs
    ]
    assert not leaked, f"secrets in the logs: {leaked}"
    assert not JWT.search(logs), "a JWT reached the logs"
    assert "Bearer " not in logs
    assert not re.search(r'"password"\s*:', logs)
