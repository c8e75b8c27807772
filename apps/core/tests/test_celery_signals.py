"""The request id rides a message header from the web request into the task."""

from types import SimpleNamespace

from apps.core import celery_signals
from apps.core.request_id import get_request_id, reset_request_id, set_request_id


def test_publish_attaches_the_current_request_id():
    token = set_request_id("req-7")
    try:
        headers = {}
        celery_signals.attach_request_id(headers=headers)
    finally:
        reset_request_id(token)
    assert headers == {"request_id": "req-7"}


def test_publish_outside_a_request_adds_nothing():
    headers = {}
    celery_signals.attach_request_id(headers=headers)
    assert headers == {}


def test_task_runs_under_the_request_id_then_clears_it():
    task = SimpleNamespace(request=SimpleNamespace(request_id="req-7"))
    celery_signals.restore_request_id(task_id="t1", task=task)
    assert get_request_id() == "req-7"
    celery_signals.clear_request_id(task_id="t1")
    assert get_request_id() is None


def test_task_without_a_header_gets_an_id_naming_the_task():
    task = SimpleNamespace(request=SimpleNamespace(headers=None))
    celery_signals.restore_request_id(task_id="t2", task=task)
    assert get_request_id() == "task-t2"
    celery_signals.clear_request_id(task_id="t2")
