"""Logs are JSON lines carrying the request id."""

import json
import logging

from apps.core.logging import JsonFormatter, RequestIdFilter
from apps.core.request_id import reset_request_id, set_request_id


def format_record(message):
    record = logging.LogRecord("apps.x", logging.INFO, __file__, 1, message, (), None)
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_json_line_has_the_documented_keys():
    token = set_request_id("req-42")
    try:
        line = format_record("hello")
    finally:
        reset_request_id(token)
    assert line["message"] == "hello"
    assert line["level"] == "INFO"
    assert line["logger"] == "apps.x"
    assert line["request_id"] == "req-42"
    assert "timestamp" in line


def test_request_id_is_a_dash_outside_a_request():
    assert format_record("idle")["request_id"] == "-"
