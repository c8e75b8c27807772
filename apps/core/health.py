"""Readiness checks for the backing services, each bounded by a short timeout."""

import functools
import logging
import time

import redis
from botocore.config import Config as BotoConfig
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis():
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_TIMEOUT,
        socket_timeout=settings.REDIS_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()


# One try, two seconds: the application's S3 client retries with longer timeouts,
# which would hold /readyz for tens of seconds against a hung object store.
PROBE_CLIENT_CONFIG = BotoConfig(
    connect_timeout=2, read_timeout=2, retries={"total_max_attempts": 1}
)


def check_storage():
    # default_storage, as the models' file fields reach it: isinstance() and
    # __class__ see through the lazy proxy to the configured storage. isinstance,
    # not hasattr(..., "bucket"): the property would build the application's own
    # S3 client only to be thrown away.
    if not isinstance(default_storage, S3Storage):  # local files: the disk answers
        default_storage.exists("readyz-probe")
        return
    # HEAD on the bucket itself. exists() of a key would not do: django-storages
    # reads any 404 as "no such key", so a missing bucket would pass as ready.
    probe = _probe_storage(default_storage.__class__, default_storage.client_config)
    bucket = probe.bucket
    bucket.meta.client.head_bucket(Bucket=bucket.name)


@functools.lru_cache(maxsize=1)
def _probe_storage(storage_class, client_config):
    """The media storage again, with the probe's client (built once per process).

    Keyed by the configured storage's class and client config, not by the lazy
    default_storage itself, whose hash follows whichever storage it wraps.
    """
    return storage_class(client_config=client_config.merge(PROBE_CLIENT_CONFIG))


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
}


def run_checks():
    """Run every check; returns {name: {"ok": bool, "ms": float, "error"?: str}}."""
    return {name: _run(name, check) for name, check in CHECKS.items()}


def _run(name, check):
    started = time.monotonic()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; say which and why
        logger.warning("readiness check %s failed: %s", name, exc)
        if name == "database":
            connection.close()  # drop a broken persistent connection
        return {"ok": False, "ms": _ms(started), "error": type(exc).__name__}
    return {"ok": True, "ms": _ms(started)}


def _ms(started):
    return round((time.monotonic() - started) * 1000, 1)
