"""Responses, queries and cache lookups are counted, by view and outcome."""

import pytest
from django.db import connection, transaction
from prometheus_client import REGISTRY

from apps.core.metrics import requests


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def requests_of(view, method="GET", status="200"):
    labels = {"view": view, "method": method, "status": status}
    return sample("django_http_requests_total", **labels)


def test_a_response_is_counted_once_by_view_name_and_timed(api_client, db):
    before = requests_of("post-list")
    timed = sample(
        "django_http_request_duration_seconds_count",
        view="post-list",
        method="GET",
    )
    assert api_client.get("/api/v1/posts/").status_code == 200
    assert requests_of("post-list") == before + 1
    after = sample(
        "django_http_request_duration_seconds_count",
        view="post-list",
        method="GET",
    )
    assert after == timed + 1


def test_probes_and_unrouted_paths_get_fixed_labels_not_their_path(api_client):
    probes, unrouted = requests_of("healthz"), requests_of("<unresolved>", status="404")
    api_client.get("/healthz")
    api_client.get("/no/such/path/123")
    assert requests_of("healthz") == probes + 1
    assert requests_of("<unresolved>", status="404") == unrouted + 1


def test_unknown_methods_share_one_label(rf):
    request = rf.generic("BREW", "/healthz")
    middleware = requests.MetricsMiddleware(lambda r: _Response(405))
    before = requests_of("healthz", method="other", status="405")
    middleware(request)
    assert requests_of("healthz", method="other", status="405") == before + 1


@pytest.mark.django_db
def test_queries_are_counted_with_their_outcome():
    ok = sample("django_db_queries_total", alias="default", outcome="ok")
    failed = sample("django_db_queries_total", alias="default", outcome="error")
    connection.ensure_connection()
    # The wrapper is installed when the connection is made (connection_created).
    assert any(
        isinstance(w, requests.QueryMetrics) for w in connection.execute_wrappers
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert (
            sample("django_db_queries_total", alias="default", outcome="ok") == ok + 1
        )
        # In a savepoint (its own queries count as ok): the test's transaction goes
        # on after the error.
        with pytest.raises(Exception, match="no_such_table"), transaction.atomic():
            cursor.execute("SELECT * FROM no_such_table")
    after = sample("django_db_queries_total", alias="default", outcome="error")
    assert after == failed + 1


def test_the_wrapper_is_installed_once_per_connection():
    class Connection:
        alias = "default"
        execute_wrappers = []

    requests.instrument_connection(None, Connection)
    requests.instrument_connection(None, Connection)
    assert len(Connection.execute_wrappers) == 1


def test_the_feed_cache_counts_a_miss_then_a_hit(api_client, db, settings):
    settings.FEED_CACHE_SECONDS = 30
    hits = sample("django_cache_lookups_total", cache="feed", result="hit")
    misses = sample("django_cache_lookups_total", cache="feed", result="miss")
    api_client.get("/api/v1/posts/")
    api_client.get("/api/v1/posts/")
    assert (
        sample("django_cache_lookups_total", cache="feed", result="miss") == misses + 1
    )
    assert sample("django_cache_lookups_total", cache="feed", result="hit") == hits + 1


class _Response:
    def __init__(self, status_code):
        self.status_code = status_code
