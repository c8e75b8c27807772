"""docker/healthcheck.py: the containers' probes, run as Docker runs them."""

import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from apps.core import celery_liveness

ROOT = Path(settings.BASE_DIR)


def probe(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py"), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def alive(tmp_path):
    path = tmp_path / "alive"
    path.touch()
    return path


def test_a_recently_touched_file_is_healthy(alive):
    result = probe("fresh", str(alive), "30")
    assert (result.returncode, result.stderr) == (0, "")


def test_a_stale_file_is_unhealthy(alive):
    an_hour_ago = time.time() - 3600
    os.utime(alive, (an_hour_ago, an_hour_ago))
    result = probe("fresh", str(alive), "30")
    assert result.returncode == 1
    assert "s old (limit 30 s)" in result.stderr


def test_a_missing_file_is_unhealthy(tmp_path):
    result = probe("fresh", str(tmp_path / "never-touched"), "30")
    assert result.returncode == 1
    assert "missing: not consuming" in result.stderr


@pytest.fixture
def web(monkeypatch):
    """A server on a free port of 127.0.0.1, as PORT names gunicorn's; it answers
    every GET with the status in `web.status`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(server.status)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status = 200
    monkeypatch.setenv("PORT", str(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_200_is_healthy(web):
    result = probe("http", "/healthz")
    assert (result.returncode, result.stderr) == (0, "")


def test_any_other_status_is_unhealthy(web):
    web.status = 503
    result = probe("http", "/readyz")
    assert result.returncode == 1
    assert "/readyz answered 503" in result.stderr


def test_nothing_listening_is_unhealthy(web):
    web.shutdown()
    web.server_close()
    result = probe("http", "/healthz")
    assert result.returncode == 1
    assert "ConnectionRefusedError" in result.stderr


def test_an_unknown_check_names_the_known_ones():
    result = probe("nonsense")
    assert result.returncode == 1
    assert "http|broker|fresh" in result.stderr


def test_the_worker_probe_reads_the_file_its_consumer_touches():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    test = compose["services"]["worker"]["healthcheck"]["test"]
    assert test[:4] == ["CMD", "python", "docker/healthcheck.py", "fresh"]
    path, limit = test[4], float(test[5])
    assert path == str(celery_liveness.LIVENESS_FILE)
    # Several touches may be missed (a busy loop) before the worker is called dead.
    assert limit >= 3 * celery_liveness.TOUCH_SECONDS
