"""The benchmark's settings without the request metrics: what counting every
response costs, measured beside the default by bench/host.py. (Queries and cache
lookups are still counted, in the process's own registry: a few microseconds.)"""

from bench.site.settings import *  # noqa: F403 - these settings, one changed

MIDDLEWARE = [m for m in MIDDLEWARE if not m.endswith(".MetricsMiddleware")]  # noqa: F405
