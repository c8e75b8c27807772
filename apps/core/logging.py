"""Log record filter and formatter: one JSON object per line, with the request id."""

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from apps.core.request_id import get_request_id
from apps.core.tracing.context import current_ids


class RequestIdFilter:
    """Adds `request_id` to every record (`-` outside a request or task), and the
    current span's `trace_id` and `span_id` (`-` with tracing off or no span)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id() or "-"
        if not getattr(record, "trace_id", None):
            record.trace_id, record.span_id = current_ids()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """JSON lines keyed timestamp, level, logger, message and request_id, then
    trace_id and span_id."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "fmt",
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s "
            "%(trace_id)s %(span_id)s",
        )
        kwargs.setdefault(
            "rename_fields",
            {"asctime": "timestamp", "levelname": "level", "name": "logger"},
        )
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)
