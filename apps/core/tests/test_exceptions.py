"""The one error contract: every 4xx/5xx has the same JSON shape."""

import logging

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions

from apps.core.exceptions import api_exception_handler

pytestmark = pytest.mark.urls("apps.core.tests.urls")

SHAPE = {"status", "code", "detail", "request_id"}


def test_unhandled_exception_is_500_in_shape_without_traceback(api_client, caplog):
    api_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="apps.core.exceptions"):
        response = api_client.get("/explode/", HTTP_X_REQUEST_ID="req-500")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == SHAPE
    assert body["code"] == "server_error"
    assert body["request_id"] == "req-500"
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert any(record.exc_info for record in caplog.records), "500 must be logged"


def test_validation_error_keeps_field_names(api_client):
    response = api_client.post("/validate/", {"count": 0})
    body = response.json()
    assert response.status_code == 400
    assert set(body) == SHAPE | {"fields"}
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["count"]


def test_unknown_url_is_404_in_shape(client):
    response = client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == SHAPE


def test_django_validation_error_from_a_service_becomes_400():
    exc = DjangoValidationError({"title": ["Too long."]})
    response = api_exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["fields"] == {"title": ["Too long."]}


def test_non_field_validation_error_is_grouped():
    response = api_exception_handler(exceptions.ValidationError("Bad."), {})
    assert response.data["fields"] == {"non_field_errors": ["Bad."]}


def test_request_id_is_echoed_and_generated(client):
    echoed = client.get("/healthz-not-a-probe/", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    generated = client.get("/nope/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(generated["X-Request-ID"]) == 32


def test_request_data_too_big_is_413_in_shape():
    response = api_exception_handler(RequestDataTooBig("Too big."), {})
    assert response.status_code == 413
    assert set(response.data) == SHAPE
    assert response.data["code"] == "request_too_large"


def test_other_suspicious_operations_are_400_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="django.security"):
        response = api_exception_handler(TooManyFieldsSent("Too many."), {})
    assert response.status_code == 400
    assert response.data["code"] == "bad_request"
    assert "TooManyFieldsSent" in caplog.text
