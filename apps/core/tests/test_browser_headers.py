"""What browsers are told: CORS on /api/ only, a CSP on every page, HSTS over TLS.

The browser tests (tests/e2e/test_browser_*.py) show pages work under these
headers in Chromium; these pin the headers themselves.
"""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings

from apps.core.tests.test_settings import PRODUCTION_ENV, run_django

ALLOWED = "https://app.example.com"
PREFLIGHT = {
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization,content-type",
}
NONCE = re.compile(r"<script nonce=\"([^\"]+)\">")


def csp(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = (
        part.split() for part in response["Content-Security-Policy"].split(";")
    )
    return {name: sources for name, *sources in directives}


# --- CORS -----------------------------------------------------------------------


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_an_allowed_origin_gets_a_preflight_answer_without_credentials(client):
    response = client.options("/api/v1/posts/", HTTP_ORIGIN=ALLOWED, **PREFLIGHT)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_another_origin_gets_no_cors_headers(client):
    response = client.options(
        "/api/v1/posts/", HTTP_ORIGIN="https://evil.example.com", **PREFLIGHT
    )
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
@pytest.mark.parametrize("path", ["/admin/login/", "/static/admin/css/base.css"])
def test_cors_is_for_the_api_only(client, path):
    response = client.get(path, HTTP_ORIGIN=ALLOWED)
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_api_errors_carry_cors_headers_so_the_client_can_read_them(client):
    response = client.get("/api/v1/users/me/", HTTP_ORIGIN=ALLOWED)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_no_origin_is_allowed_by_default(client):
    response = client.options("/api/v1/posts/", HTTP_ORIGIN=ALLOWED, **PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response


def test_an_origin_with_a_path_stops_the_checks_naming_the_setting():
    result = run_django(
        ["manage.py", "check"],
        {**PRODUCTION_ENV, "CORS_ALLOWED_ORIGINS": "https://app.example.com/path"},
    )
    assert result.returncode != 0
    assert "CORS_ALLOWED_ORIGINS" in result.stderr


# --- Content-Security-Policy ----------------------------------------------------


def test_docs_page_loads_swagger_ui_from_static_under_its_nonce(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "https://" not in page  # no CDN, no third party
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', page):
        assert finders.find(asset), asset
    assert "swagger-ui-bundle.js" in page

    (nonce,) = set(NONCE.findall(page))
    policy = csp(response)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_each_docs_page_gets_a_new_nonce(client):
    first, second = (
        NONCE.search(client.get("/api/docs/").content.decode()) for _ in "12"
    )
    assert first[1] != second[1]


@pytest.mark.django_db
def test_admin_pages_allow_no_inline_code(client):
    policy = csp(client.get("/admin/login/"))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_json_responses_get_a_policy_that_loads_nothing(client):
    response = client.get("/api/v1/users/me/")
    assert response["Content-Type"] == "application/json"
    policy = csp(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "nonce" not in response["Content-Security-Policy"]


def test_development_allows_style_attributes_only_for_the_browsable_api():
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES'], default=repr))"
    )
    result = run_django(
        ["-c", code],
        {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.development"},
    )
    assert result.returncode == 0, result.stderr
    directives = json.loads(result.stdout.splitlines()[-1])
    assert directives["style-src-attr"] == ["'unsafe-inline'"]
    assert directives["style-src"] == ["'self'", "csp.constants.NONCE"]
    assert directives["script-src"] == ["'self'", "csp.constants.NONCE"]


# --- HSTS -----------------------------------------------------------------------

# A response of production's settings, as Nginx forwards a request of `scheme`.
PRODUCTION_RESPONSE = (
    "import django; django.setup(); from django.test import Client; "
    "r = Client(HTTP_HOST='api.example.com').get('/api/schema/', "
    "HTTP_X_FORWARDED_PROTO='{scheme}'); "
    "print(r.status_code, r.get('Strict-Transport-Security'))"
)


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("https", "200 max-age=31536000; includeSubDomains; preload"),
        ("http", "200 None"),
    ],
)
def test_hsts_is_sent_only_over_tls(scheme, expected):
    result = run_django(
        ["-c", PRODUCTION_RESPONSE.format(scheme=scheme)],
        {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "False"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
