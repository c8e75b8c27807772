"""Liveness and readiness probes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import health


def test_healthz_answers_any_host_without_touching_the_database(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0


@pytest.mark.django_db
def test_readyz_checks_every_backing_service(client):
    response = client.get("/readyz", HTTP_HOST="web")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["checks"]) == {"database", "redis", "storage"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"]["error"] == "ConnectionError"


@pytest.mark.django_db
def test_readyz_is_503_naming_a_failed_check(client, monkeypatch):
    def broken():
        raise OSError("bucket gone")

    monkeypatch.setitem(health.CHECKS, "storage", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_probes_answer_get_and_head_only(client):
    assert client.head("/healthz/", HTTP_HOST="10.1.2.3").status_code == 200
    assert client.post("/healthz").status_code == 404


def test_other_paths_still_validate_the_host(client):
    response = client.get("/api/v1/users/me/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    body = response.json()  # the API's error shape, not Django's HTML page
    assert (body["status"], body["code"]) == (400, "bad_request")
    assert set(body) == {"status", "code", "detail", "request_id"}
