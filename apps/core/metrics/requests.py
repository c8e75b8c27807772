"""Request, database and cache metrics of the web processes.

`MetricsMiddleware` comes first in MIDDLEWARE, so it times and counts every
response, the health probes' included (their view is the probe's name: readiness
failures are `django_http_requests_total{view="readyz",status="503"}`). Labels stay
few: the view's name, never the path, and unknown methods as "other".
"""

import functools
import time

from django.db.backends.signals import connection_created
from prometheus_client import Counter, Histogram

from apps.core.probes import probe_name

REQUESTS = Counter(
    "django_http_requests",
    "HTTP responses, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "django_http_request_duration_seconds",
    "Time from the first middleware to the response, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUERIES = Counter(
    "django_db_queries", "Database queries, by alias and outcome.", ["alias", "outcome"]
)
QUERY_TIME = Histogram(
    "django_db_query_duration_seconds",
    "Database query time, by alias.",
    ["alias"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
CACHE = Counter(
    "django_cache_lookups",
    "Cache lookups, by cache and result (hit or miss).",
    ["cache", "result"],
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNRESOLVED = "<unresolved>"


class MetricsMiddleware:
    """Counts and times every response by view, method and status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in METHODS else "other"
        count, latency = _request_series(
            view_label(request), method, response.status_code
        )
        count.inc()
        latency.observe(elapsed)
        return response


# Finding a child by its labels validates and locks on every call: a share of the
# few microseconds a request's metrics cost (docs/benchmarks). Views, methods and
# statuses are few, so each combination's children are looked up once per process.
@functools.lru_cache(maxsize=1024)
def _request_series(view: str, method: str, status: int):
    return REQUESTS.labels(view, method, str(status)), LATENCY.labels(view, method)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    return probe_name(request) or UNRESOLVED


def cache_lookup(*, cache: str, hit: bool) -> None:
    CACHE.labels(cache, "hit" if hit else "miss").inc()


class QueryMetrics:
    """A connection's execute wrapper: counts and times each query."""

    def __init__(self, alias: str):
        self.ok = QUERIES.labels(alias, "ok")
        self.error = QUERIES.labels(alias, "error")
        self.time = QUERY_TIME.labels(alias)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        outcome = self.error
        try:
            result = execute(sql, params, many, context)
            outcome = self.ok
            return result
        finally:
            outcome.inc()
            self.time.observe(time.perf_counter() - started)


def instrument_connection(sender, connection, **kwargs):
    """Wraps each new database connection's queries (connection_created)."""
    if not any(isinstance(w, QueryMetrics) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(QueryMetrics(connection.alias))


connection_created.connect(instrument_connection, dispatch_uid="core.metrics.db")
