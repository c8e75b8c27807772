"""Patching the libraries before the fork, the tracer provider after it.

See the package's docstring for why the two happen apart. Both do nothing while
tracing is off (`config.tracing_config()` is None); both import OpenTelemetry only
then, so a process with tracing off loads none of it.
"""

from celery.signals import beat_init, worker_process_init, worker_process_shutdown
from django.conf import settings

from apps.core.tracing import context
from apps.core.tracing.config import TracingConfig, tracing_config

HEALTH_CHECK_MIDDLEWARE = "apps.core.middleware.HealthCheckMiddleware"
_instrumented = False
_provider = None


def instrument() -> bool:
    """Patch Django, psycopg, Redis, Celery and botocore when tracing is on.

    Called from CoreConfig.ready(), so in every process before it serves or forks;
    it also checks the OTEL_* values there, tracing on or not.
    """
    global _instrumented
    if tracing_config() is None or _instrumented:
        return _instrumented
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # The server span starts after HealthCheckMiddleware: the probes, answered there
    # whatever the Host header, are never traced (the span's URL would check the
    # host against ALLOWED_HOSTS and refuse them), and their checks run untraced.
    DjangoInstrumentor().instrument(
        middleware_position=_after(settings.MIDDLEWARE, HEALTH_CHECK_MIDDLEWARE),
        request_hook=context.remember_ids,
    )
    PsycopgInstrumentor().instrument()
    RedisInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    BotocoreInstrumentor().instrument()
    context.activate()
    _instrumented = True
    return True


def start() -> bool:
    """Set this process's tracer provider when tracing is on: after any fork.

    The batch span processor's thread starts here, in the process that records.
    """
    global _provider
    config = tracing_config()
    if config is None or _provider is not None:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: config.service_name}),
        sampler=sampler(config),
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=config.endpoint))
    )
    trace.set_tracer_provider(provider)
    _provider = provider
    return True


def shutdown() -> None:
    """Export what is still queued and stop the processor's thread."""
    if _provider is not None:
        _provider.shutdown()


def _after(middleware, name: str) -> int:
    return list(middleware).index(name) + 1


def sampler(config: TracingConfig):
    """OTEL_TRACES_SAMPLER's sampler, as the specification names them."""
    from opentelemetry.sdk.trace import sampling

    roots = {
        "always_on": sampling.ALWAYS_ON,
        "always_off": sampling.ALWAYS_OFF,
        "traceidratio": sampling.TraceIdRatioBased(config.ratio),
    }
    name = config.sampler.removeprefix("parentbased_")
    if name == config.sampler:
        return roots[name]
    return sampling.ParentBased(roots[name])


# Each prefork child records its own tasks; beat (no pool) its own publishing. A
# child leaves through os._exit, past any atexit hook, so it flushes here.
@worker_process_init.connect
def start_in_pool_process(**kwargs):
    start()


@worker_process_shutdown.connect
def flush_pool_process(**kwargs):
    shutdown()


@beat_init.connect
def start_in_beat(**kwargs):
    start()
