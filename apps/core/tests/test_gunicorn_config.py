"""docker/gunicorn.conf.py: the web server's settings, and how a worker stops."""

import runpy
import socket
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.tests import compose

ROOT = Path(settings.BASE_DIR)


def load(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))


def test_defaults_preload_the_app_and_use_the_closing_worker(monkeypatch):
    monkeypatch.delenv("GUNICORN_PRELOAD", raising=False)
    conf = load(monkeypatch)
    assert conf["worker_class"] is conf["ClosingThreadWorker"]
    assert conf["preload_app"] is True
    assert load(monkeypatch, GUNICORN_PRELOAD="false")["preload_app"] is False


def test_graceful_timeout_is_below_composes_stop_grace_period(monkeypatch):
    monkeypatch.delenv("GUNICORN_GRACEFUL_TIMEOUT", raising=False)
    web = compose.services()["web"]
    default = int(compose.default(web["environment"], "GUNICORN_GRACEFUL_TIMEOUT"))
    assert load(monkeypatch)["graceful_timeout"] == default
    assert default < int(web["stop_grace_period"].removesuffix("s"))


class _Poller:
    def unregister(self, fileobj):
        pass


@pytest.fixture
def listener():
    server = socket.create_server(("127.0.0.1", 0), backlog=16)
    server.setblocking(False)
    yield server
    server.close()


def stopping_worker(monkeypatch, listener, *, alive):
    worker = object.__new__(load(monkeypatch)["ClosingThreadWorker"])
    worker.cfg, worker.sockets, worker.alive = None, [listener], alive
    worker.nr_conns, worker._accepting, worker.poller = 0, True, _Poller()
    worker.taken = []
    worker.enqueue_req = worker.taken.append
    return worker


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_stopping_worker_takes_queued_connections_then_refuses_new_ones(
    monkeypatch, listener
):
    port = listener.getsockname()[1]
    # Connected by the kernel, not yet accepted: what a restart used to reset.
    queued = [connect(port) for _ in range(3)]
    worker = stopping_worker(monkeypatch, listener, alive=False)
    worker.set_accept_enabled(False)
    assert len(worker.taken) == 3
    with pytest.raises(ConnectionRefusedError):
        connect(port)
    for client in queued:
        client.close()


def test_a_busy_worker_that_pauses_accepting_keeps_its_socket(monkeypatch, listener):
    port = listener.getsockname()[1]
    worker = stopping_worker(monkeypatch, listener, alive=True)
    worker.set_accept_enabled(False)  # at worker_connections, not stopping
    connect(port).close()
    assert worker.taken == []
