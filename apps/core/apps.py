"""App configuration for the core app."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        # Connects the Celery signal handlers that carry request ids into tasks.
        from apps.core import celery_signals  # noqa: F401
