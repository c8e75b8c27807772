"""Holds the current request id, so logs and Celery tasks can carry it."""

import contextvars
import re
import uuid

_request_id = contextvars.ContextVar("request_id", default=None)

# Client-supplied ids are echoed into logs and headers: accept only a safe shape.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def get_request_id():
    return _request_id.get()


def set_request_id(value):
    """Set the id for the current context; returns a token for `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token):
    _request_id.reset(token)


def clean_request_id(value):
    """Return `value` if it is a safe id, else a fresh one."""
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex
