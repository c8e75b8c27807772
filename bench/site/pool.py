"""The benchmark's settings with Django's connection pool (psycopg 3) instead of
persistent connections: measured beside the default by bench/host.py."""

from bench.site.settings import *  # noqa: F403 - these settings, one changed

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405 - the pool requires it
DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 2}  # noqa: F405
