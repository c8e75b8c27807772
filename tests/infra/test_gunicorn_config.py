"""docker/gunicorn.conf.py: the web server's settings, and how a worker stops."""

import gc
import json
import runpy
import socket
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.conf import settings

from apps.core.tracing.context import ENVIRON_KEY

ROOT = Path(settings.BASE_DIR)


def load(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))


@pytest.mark.parametrize(("value", "accesslog"), [(None, None), ("true", "-")])
def test_the_access_log_is_off_unless_turned_on(monkeypatch, value, accesslog):
    if value is None:
        monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("GUNICORN_ACCESS_LOG", value)
    assert load(monkeypatch)["accesslog"] == accesslog


def test_defaults_preload_the_app_and_use_the_closing_sync_worker(monkeypatch):
    monkeypatch.delenv("GUNICORN_PRELOAD", raising=False)
    conf = load(monkeypatch)
    assert conf["worker_class"] is conf["ClosingSyncWorker"]
    assert conf["preload_app"] is True
    assert load(monkeypatch, GUNICORN_PRELOAD="false")["preload_app"] is False


def test_graceful_timeout_is_below_composes_stop_grace_period(monkeypatch):
    monkeypatch.delenv("GUNICORN_GRACEFUL_TIMEOUT", raising=False)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grace = compose["services"]["web"]["stop_grace_period"]
    assert load(monkeypatch)["graceful_timeout"] < int(grace.removesuffix("s"))


def test_a_worker_freezes_what_the_application_loaded(monkeypatch):
    gc.unfreeze()
    loaded = [[]]  # a container the collector tracks
    assert gc.is_tracked(loaded)
    try:
        load(monkeypatch)["post_worker_init"](SimpleNamespace())
        assert gc.get_freeze_count() > 0
        assert not any(o is loaded for o in gc.get_objects())  # out of every generation
    finally:
        gc.unfreeze()


@pytest.fixture
def listener():
    server = socket.create_server(("127.0.0.1", 0), backlog=16)
    server.setblocking(False)
    yield server
    server.close()


def stopped_worker(monkeypatch, listener):
    """A ClosingSyncWorker told to stop, recording the connections it serves."""
    worker = object.__new__(load(monkeypatch)["ClosingSyncWorker"])
    worker.cfg = SimpleNamespace(http_protocols=["h1"])
    worker.sockets, worker.alive, worker.timeout = [listener], False, 1
    worker.served = []
    worker.handle = lambda listener, client, addr: worker.served.append(
        (listener.getsockname(), client)
    )
    return worker


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_stopping_worker_serves_queued_connections_then_refuses_new_ones(
    monkeypatch, listener
):
    address = listener.getsockname()
    # Connected by the kernel, not yet accepted: what a restart used to reset.
    queued = [connect(address[1]) for _ in range(3)]
    worker = stopped_worker(monkeypatch, listener)
    worker.run()
    assert [sockname for sockname, _ in worker.served] == [address] * 3
    with pytest.raises(ConnectionRefusedError):
        connect(address[1])
    for client in queued + [client for _, client in worker.served]:
        client.close()


@pytest.fixture
def connection():
    """A connected pair: (gunicorn's side, Nginx's side)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        peer = connect(server.getsockname()[1])
        ours, _ = server.accept()
    yield ours, peer
    ours.close()
    peer.close()


def test_the_fin_goes_out_as_soon_as_the_response_is_written(monkeypatch, connection):
    ours, peer = connection
    conf = load(monkeypatch)
    ours.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    conf["_send_fin"](SimpleNamespace(sock=ours, headers_sent=True))
    assert peer.recv(1024).startswith(b"HTTP/1.1 200")
    assert peer.recv(1024) == b""  # the close, before gunicorn's own close


def test_no_fin_before_the_headers_are_out(monkeypatch, connection):
    # gunicorn may still write its 500 page on this socket.
    ours, peer = connection
    load(monkeypatch)["_send_fin"](SimpleNamespace(sock=ours, headers_sent=False))
    peer.settimeout(0.2)
    with pytest.raises(TimeoutError):
        peer.recv(1024)


def access_lines(monkeypatch, path, status):
    conf = load(monkeypatch, LOG_FORMAT="json")
    logger = object.__new__(conf["JsonLogger"])
    lines = []
    logger.write_access = lambda *args: lines.append(args)
    resp = SimpleNamespace(status=status, sock=None, headers_sent=True)
    logger.access(resp, None, {"PATH_INFO": path}, None)
    return lines


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/readyz/"])
def test_successful_probes_write_no_access_line(monkeypatch, path):
    assert access_lines(monkeypatch, path, "200 OK") == []


@pytest.mark.parametrize(
    ("path", "status"),
    [("/readyz", "503 Service Unavailable"), ("/api/v1/posts/", "200 OK")],
)
def test_failed_probes_and_other_requests_are_logged(monkeypatch, path, status):
    assert len(access_lines(monkeypatch, path, status)) == 1


def access_entry(monkeypatch, environ):
    conf = load(monkeypatch, LOG_FORMAT="json")
    logger = object.__new__(conf["JsonLogger"])
    logger.cfg = SimpleNamespace(accesslog="-", logconfig=None, syslog=False)
    lines = []
    logger.access_log = SimpleNamespace(info=lines.append)
    request = SimpleNamespace(headers=[("X-Request-ID", "req-1")])
    response = SimpleNamespace(status="200 OK", sent=2)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/posts/", **environ}
    logger.write_access(response, request, environ, timedelta(milliseconds=5))
    (line,) = lines
    return json.loads(line)


def test_an_access_line_carries_the_django_spans_ids(monkeypatch):
    ids = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    entry = access_entry(monkeypatch, {ENVIRON_KEY: ids})
    assert entry["request_id"] == "req-1"
    assert (entry["trace_id"], entry["span_id"]) == ids


def test_an_access_line_without_tracing_has_dashes(monkeypatch):
    entry = access_entry(monkeypatch, {})
    assert (entry["trace_id"], entry["span_id"]) == ("-", "-")
