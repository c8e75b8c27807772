"""Nginx in front of the web replicas: routing, request ids, headers, limits, probes."""

import re
import time

import pytest

from tests.e2e.stack import WEB_REPLICAS
from tests.support.waits import wait_until

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def test_healthz_and_readyz_through_nginx(client):
    healthz = client.get("/healthz")
    assert healthz.status_code == 200
    assert healthz.json()["status"] == "ok"

    readyz = client.get("/readyz")
    assert readyz.status_code == 200, readyz.text
    checks = readyz.json()["checks"]
    assert {"database", "redis", "storage"} <= set(checks)
    assert all(check["ok"] for check in checks.values()), checks


def test_requests_are_spread_over_every_web_replica(client):
    upstreams = {client.get("/healthz").headers["X-Upstream"] for _ in range(30)}
    assert len(upstreams) == WEB_REPLICAS, upstreams


def test_request_id_is_generated_when_absent_and_reaches_django(client):
    response = client.get("/api/v1/users/me/")
    request_id = response.headers["X-Request-ID"]
    assert GENERATED_ID.match(request_id)
    # Django's error body carries the id it received from Nginx.
    assert response.json()["request_id"] == request_id


def nginx_logged(stack, request_id):
    """Nginx's log, once it has the request's line (written at most 1 s late)."""

    def logged():
        logs = stack.logs("nginx")
        return logs if request_id in logs else None

    return wait_until(logged, timeout=30, what=f"Nginx's line of {request_id}")


def test_client_request_id_is_kept_reaches_django_and_is_logged(stack, client):
    request_id = f"e2e-{time.time_ns()}"
    response = client.get("/api/v1/users/me/", headers={"X-Request-ID": request_id})
    assert response.headers.get_list("X-Request-ID") == [request_id]
    assert response.json()["request_id"] == request_id
    nginx_logged(stack, request_id)


def test_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "not an id; <script>"})
    assert GENERATED_ID.match(response.headers["X-Request-ID"])


def test_authorization_never_reaches_the_logs(stack, client):
    secret, request_id = f"e2e-secret-{time.time_ns()}", f"e2e-{time.time_ns()}"
    headers = {"Authorization": f"Bearer {secret}", "X-Request-ID": request_id}
    client.get("/api/v1/users/me/", headers=headers)
    assert secret not in nginx_logged(stack, request_id)
    assert secret not in stack.logs("web")


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/users/me/", "/no-such-page"])
def test_security_headers_appear_once(client, path):
    headers = client.get(path).headers
    assert headers["Server"] == "nginx"  # no version: server_tokens off
    expected = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }
    for name, value in expected.items():
        assert headers.get_list(name) == [value], name
    assert "camera=()" in headers["Permissions-Policy"]


@pytest.mark.parametrize("claimed", [None, "https"])
def test_no_hsts_over_plain_http_whatever_the_client_claims(client, claimed):
    # Production settings send HSTS over TLS (apps/core/tests/test_browser_headers.py);
    # Nginx sets X-Forwarded-Proto to its own scheme, over a client's.
    headers = {"X-Forwarded-Proto": claimed} if claimed else {}
    response = client.get("/api/schema/", headers=headers)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_json_responses_are_gzipped(client):
    response = client.get(
        "/api/schema/?format=json", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"


def test_oversized_body_is_refused_by_nginx_in_the_api_error_shape(client):
    body = b"x" * (11 * 1024 * 1024)  # NGINX_CLIENT_MAX_BODY_SIZE defaults to 10m
    response = client.post(
        "/api/v1/auth/register/",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    error = response.json()
    assert error["code"] == "request_too_large"
    assert error["request_id"] == response.headers["X-Request-ID"]
