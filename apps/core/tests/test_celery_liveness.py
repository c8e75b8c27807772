"""The worker's liveness file, kept by a real worker consuming from Redis."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from apps.core import celery_liveness
from config.celery import app


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {condition.__doc__}")
        time.sleep(0.05)


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
        wait_for(liveness_file.exists)
        first = liveness_file.stat().st_mtime_ns

        def touched_again():
            """the file touched again"""
            return liveness_file.stat().st_mtime_ns > first

        wait_for(touched_again, timeout=5)
    assert not liveness_file.exists()
