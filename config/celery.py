"""The Celery application; configured from Django settings under the CELERY_ prefix."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

from apps.core.celery_liveness import LivenessFile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker container's healthcheck reads the file this step keeps fresh.
app.steps["consumer"].add(LivenessFile)


@setup_logging.connect
def use_django_logging(**kwargs):
    """Log through Django's LOGGING (JSON lines with the request id) on stdout.

    Connecting this signal stops Celery from installing its own handlers, so the
    worker and beat write the same format as the web process.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
