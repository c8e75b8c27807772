"""App configuration for the core app."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        # Connects the Celery signal handlers that carry request ids into tasks,
        # and registers the configuration checks run before every command.
        from apps.core import celery_signals, checks  # noqa: F401
