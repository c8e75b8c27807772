"""What the running code sees of tracing: the current ids, and untraced blocks.

This module imports nothing of OpenTelemetry until tracing is on (`sdk.instrument()`
calls `activate()`), so the log filter and the probes' middleware cost nothing with
tracing off.
"""

import contextlib

NO_IDS = ("-", "-")
# Where the Django server span's (trace id, span id) wait in the WSGI environ for
# gunicorn's access log line, written after the span has ended.
ENVIRON_KEY = "drf.trace_ids"
_active = False


def activate() -> None:
    global _active
    _active = True


def current_ids() -> tuple[str, str]:
    """The current span's (trace id, span id) in W3C hex; `-` for each without one."""
    if not _active:
        return NO_IDS
    from opentelemetry import trace

    return _hex(trace.get_current_span().get_span_context())


def remember_ids(span, request) -> None:
    """The Django instrumentation's request hook: the server span's ids, for the log."""
    request.META[ENVIRON_KEY] = _hex(span.get_span_context())


def untraced():
    """A block whose database, cache and storage calls make no spans."""
    if not _active:
        return contextlib.nullcontext()
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def _hex(span_context) -> tuple[str, str]:
    if not span_context.is_valid:
        return NO_IDS
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"
