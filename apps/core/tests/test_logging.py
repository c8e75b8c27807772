"""Logs are JSON lines carrying the request id, and the trace and span ids."""

import json
import logging

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from apps.core.logging import JsonFormatter, RequestIdFilter
from apps.core.request_id import reset_request_id, set_request_id
from apps.core.tracing import context


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


def test_trace_and_span_ids_are_dashes_with_tracing_off():
    line = format_record("untraced")
    assert (line["trace_id"], line["span_id"]) == ("-", "-")


def test_a_line_inside_a_span_carries_its_ids(monkeypatch):
    # The W3C Trace Context specification's example ids.
    span_context = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
    )
    monkeypatch.setattr(context, "_active", True)  # what sdk.instrument() does
    with trace.use_span(NonRecordingSpan(span_context)):
        line = format_record("traced")
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["span_id"] == "00f067aa0ba902b7"
