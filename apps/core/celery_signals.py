"""Carries the request id from the web request into the Celery tasks it enqueues.

The id travels as a message header, so `docker compose logs | grep <id>` shows the
request in Nginx and Django and then the task in the worker.
"""

from celery.signals import before_task_publish, task_postrun, task_prerun

from apps.core.request_id import get_request_id, reset_request_id, set_request_id

HEADER = "request_id"
_tokens = {}


@before_task_publish.connect
def attach_request_id(headers=None, **kwargs):
    request_id = get_request_id()
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


@task_prerun.connect
def restore_request_id(task_id=None, task=None, **kwargs):
    request_id = _header_of(task.request)
    _tokens[task_id] = set_request_id(request_id or f"task-{task_id}")


@task_postrun.connect
def clear_request_id(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        reset_request_id(token)


def _header_of(request):
    # Celery merges custom message headers into the task's request context; older
    # protocol paths leave them under `headers`.
    value = getattr(request, HEADER, None)
    if value:
        return value
    return (getattr(request, "headers", None) or {}).get(HEADER)
