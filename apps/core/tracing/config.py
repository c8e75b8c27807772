"""Whether tracing is on, and with what, from the standard OTEL_* variables.

The variables are OpenTelemetry's own, with the meanings its specification gives
them, read once in config/settings/base.py. Tracing is on when an OTLP/HTTP endpoint
is set and OTEL_SDK_DISABLED is not true: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, used
as given, or else OTEL_EXPORTER_OTLP_ENDPOINT, to which `v1/traces` is added.

Values the SDK would only warn about and then ignore (an unknown sampler, a ratio
outside 0..1, an endpoint that is no http(s) URL) stop start-up here instead,
naming the variable, whether tracing is on or not.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# OTEL_TRACES_SAMPLER's values that the Python SDK implements: the specification's,
# less the remote samplers (Jaeger's, X-Ray's), which need services of their own.
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
TRACES_PATH = "v1/traces"


@dataclass(frozen=True)
class TracingConfig:
    """What the tracer provider of a process is built from."""

    endpoint: str  # the full URL spans are POSTed to
    service_name: str
    sampler: str  # one of SAMPLERS
    ratio: float  # the traceidratio samplers' fraction of traces kept


def tracing_config() -> TracingConfig | None:
    """The checked configuration; None when tracing is off."""
    sampler, ratio = _sampler(), _ratio()
    endpoint = _endpoint()
    if endpoint is None or settings.OTEL_SDK_DISABLED:
        return None
    return TracingConfig(
        endpoint=endpoint,
        service_name=settings.OTEL_SERVICE_NAME,
        sampler=sampler,
        ratio=ratio,
    )


def _endpoint() -> str | None:
    traces = _url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    base = _url("OTEL_EXPORTER_OTLP_ENDPOINT")
    if traces:
        return traces
    if base:
        return f"{base.rstrip('/')}/{TRACES_PATH}"
    return None


def _url(name: str) -> str:
    value = getattr(settings, name).strip()
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        # The value is not repeated: a URL may carry credentials.
        raise ImproperlyConfigured(
            f"{name} must be an http:// or https:// URL of an OTLP/HTTP receiver, "
            "such as http://otel-collector:4318."
        )
    return value


def _sampler() -> str:
    value = settings.OTEL_TRACES_SAMPLER.strip().lower()
    if value not in SAMPLERS:
        raise ImproperlyConfigured(
            f"OTEL_TRACES_SAMPLER={value!r} is not one of {', '.join(SAMPLERS)}."
        )
    return value


def _ratio() -> float:
    value = settings.OTEL_TRACES_SAMPLER_ARG
    try:
        ratio = float(value)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise ImproperlyConfigured(
            f"OTEL_TRACES_SAMPLER_ARG={value!r} is not a number from 0 to 1."
        )
    return ratio
