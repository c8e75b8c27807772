"""The worker's liveness file, kept by a real worker consuming from Redis."""

import pytest
from celery.contrib.testing.worker import start_worker

from apps.core import celery_liveness
from config.celery import app
from tests.support.waits import wait_until


@pytest.fixture
def liveness_file(tmp_path, monkeypatch):
    path = tmp_path / "celery-worker.alive"
    monkeypatch.setattr(celery_liveness.LivenessFile, "path", path)
    monkeypatch.setattr(celery_liveness, "TOUCH_SECONDS", 0.2)
    return path


def test_a_consuming_worker_keeps_touching_the_file_and_removes_it_on_stop(
    liveness_file,
):
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        wait_until(liveness_file.exists, timeout=10, interval=0.05, what="the file")
        first = liveness_file.stat().st_mtime_ns
        wait_until(
            lambda: liveness_file.stat().st_mtime_ns > first,
            timeout=5,
            interval=0.05,
            what="the file touched again",
        )
    assert not liveness_file.exists()
