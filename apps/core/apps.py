"""App configuration for the core app."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        # Connects the Celery signal handlers that carry request ids into tasks
        # and count tasks, the database connections' query metrics, and registers
        # the configuration checks run before every command.
        from apps.core import celery_signals, checks, sentry  # noqa: F401
        from apps.core.metrics import requests, tasks  # noqa: F401
        from apps.core.tracing import sdk as tracing

        # Error reports and tracing, each only when configured (SENTRY_DSN, an OTLP
        # endpoint): here, in every process, before gunicorn or Celery forks and
        # before the WSGI handler loads its middleware. Tracing's exporter starts
        # later, after the fork (apps/core/tracing/).
        sentry.sentry_init()
        tracing.instrument()
