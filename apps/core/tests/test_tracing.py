"""Tracing's configuration: off by default, what turns it on, what is refused.

What a process does with it (what it imports, which threads it runs) is checked in
a fresh interpreter each time: instrumenting patches libraries for the rest of a
process. The spans a request makes are the end-to-end suite's
(tests/e2e/test_tracing.py).
"""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core.tests.test_settings import SETUP, run_django
from apps.core.tracing.config import TracingConfig, tracing_config
from apps.core.tracing.sdk import sampler

DJANGO_MIDDLEWARE = "opentelemetry.instrumentation.django.middleware.otel_middleware"


def test_tracing_is_off_by_default():
    assert tracing_config() is None


@pytest.mark.parametrize(
    ("values", "endpoint"),
    [
        # The base endpoint gets the traces path, as the OTLP specification says...
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
            "http://collector:4318/v1/traces",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example.com/tenant/"},
            "https://otlp.example.com/tenant/v1/traces",
        ),
        # ...the traces endpoint is used as given, and wins.
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/in"},
            "http://collector:4318/in",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318/v1/traces",
            },
            "http://traces:4318/v1/traces",
        ),
    ],
)
def test_an_otlp_endpoint_turns_tracing_on(settings, values, endpoint):
    for name, value in values.items():
        setattr(settings, name, value)
    assert tracing_config() == TracingConfig(
        endpoint=endpoint,
        service_name="drf-reference",
        sampler="parentbased_always_on",
        ratio=1.0,
    )


def test_otel_sdk_disabled_keeps_it_off_with_an_endpoint(settings):
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "http://collector:4318"
    settings.OTEL_SDK_DISABLED = True
    assert tracing_config() is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTEL_TRACES_SAMPLER", "jaeger_remote"),
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_TRACES_SAMPLER_ARG", "half"),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
        ("OTEL_TRACES_SAMPLER_ARG", "nan"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "grpc://collector:4317"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(settings, name, value):
    # Even with tracing off: the value is wrong whenever it is set.
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=f"^{name}[= ]"):
        tracing_config()


def test_an_endpoints_value_is_not_repeated_in_the_error(settings):
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "user:s3cret@collector"
    with pytest.raises(ImproperlyConfigured) as refused:
        tracing_config()
    assert "s3cret" not in str(refused.value)


def test_a_bad_value_stops_start_up_naming_its_variable():
    result = run_django(["-c", SETUP], {"OTEL_TRACES_SAMPLER": "sometimes"})
    assert result.returncode != 0
    assert "OTEL_TRACES_SAMPLER='sometimes' is not one of" in result.stderr


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("always_on", "AlwaysOnSampler"),
        ("always_off", "AlwaysOffSampler"),
        ("traceidratio", "TraceIdRatioBased{0.25}"),
        ("parentbased_always_on", "ParentBased{root:AlwaysOnSampler,"),
        ("parentbased_always_off", "ParentBased{root:AlwaysOffSampler,"),
        ("parentbased_traceidratio", "ParentBased{root:TraceIdRatioBased{0.25},"),
    ],
)
def test_each_sampler_name_is_the_specifications_sampler(name, description):
    config = TracingConfig(
        endpoint="http://collector:4318/v1/traces",
        service_name="drf-reference",
        sampler=name,
        ratio=0.25,
    )
    assert sampler(config).get_description().startswith(description)


# What a process has after Django's set-up (CoreConfig.ready() instruments) and
# after what gunicorn's post_fork and Celery's worker_process_init call.
PROCESS = """
import json, logging, sys, threading
import django
django.setup()
from django.conf import settings
from apps.core.logging import RequestIdFilter
from apps.core.tracing import sdk

def state():
    return {
        "threads": sorted(t.name for t in threading.enumerate()),
        "modules": sorted(m for m in sys.modules if m.startswith("opentelemetry")),
    }

report = {"ready": state(), "middleware": settings.MIDDLEWARE}
report["started"] = sdk.start()
report["forked"] = state()
if report["started"]:
    from opentelemetry import trace
    with trace.get_tracer("unit").start_as_current_span("unit") as span:
        record = logging.LogRecord("x", logging.INFO, "x", 1, "inside", (), None)
        RequestIdFilter().filter(record)
        ids = span.get_span_context()
    report["logged"] = [record.trace_id, record.span_id]
    report["span"] = [f"{ids.trace_id:032x}", f"{ids.span_id:016x}"]
    sdk.shutdown()
print(json.dumps(report))
"""


def run_process(**env):
    result = run_django(["-c", PROCESS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_off_nothing_is_imported_patched_or_started():
    report = run_process()
    assert report["started"] is False
    assert report["ready"]["modules"] == report["forked"]["modules"] == []
    assert report["forked"]["threads"] == ["MainThread"]
    assert not [m for m in report["middleware"] if m.startswith("opentelemetry")]


def test_on_the_exporter_thread_starts_only_after_the_fork():
    report = run_process(
        # Nothing recorded, so nothing sent to this closed port.
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_TRACES_SAMPLER="always_off",
    )
    # Patched in the process that loads Django, with no thread of its own...
    assert report["ready"]["threads"] == ["MainThread"]
    assert "opentelemetry.instrumentation.psycopg" in report["ready"]["modules"]
    # ...the server span starting after the health probes are answered...
    middleware = report["middleware"]
    health = middleware.index("apps.core.middleware.HealthCheckMiddleware")
    assert middleware[health + 1].startswith(DJANGO_MIDDLEWARE)
    # ...and the batch span processor's thread in the process after the fork.
    assert report["started"] is True
    assert len(report["forked"]["threads"]) == 2
    assert report["logged"] == report["span"]
