"""Error reports: off by default; on, an error reaches Sentry without credentials.

A stand-in for Sentry, an HTTP server in this process, receives the envelopes
sentry-sdk sends to the DSN. The failing request runs in a fresh interpreter (the
SDK patches Django for the rest of a process), through the WSGI handler gunicorn
calls, over a real socket, with a password and a refresh token in its body, a
Bearer access token and a session cookie.
"""

import gzip
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from sentry_sdk.envelope import Envelope

from apps.core.sentry import FILTERED, sentry_init
from apps.core.tests.test_settings import SETUP, run_django

REQUEST = """
import json, os, threading, urllib.error, urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server
import django
django.setup()
import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

with override_settings(ROOT_URLCONF="apps.core.tests.urls"):
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.handle_request, daemon=True).start()
    body = {"password": os.environ["TEST_PASSWORD"],
            "refresh": os.environ["TEST_REFRESH"]}
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.server_port}/crash/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer " + os.environ["TEST_ACCESS"],
            "Cookie": "sessionid=" + os.environ["TEST_COOKIE"],
            "X-Request-ID": "sentry-check",
        },
    )
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        print(error.code)
sentry_sdk.flush(timeout=10)
"""


class StandIn(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: keeps each body, decompressed, and answers 200."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def sentry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_off_by_default():
    assert sentry_init() is False
    assert not sentry_sdk.get_client().is_active()


def test_an_error_arrives_with_no_password_token_or_cookie(sentry):
    credentials = {
        "TEST_PASSWORD": secrets.token_urlsafe(16),
        "TEST_ACCESS": str(AccessToken()),
        "TEST_REFRESH": str(RefreshToken()),
        "TEST_COOKIE": secrets.token_urlsafe(16),
    }
    dsn = f"http://public@127.0.0.1:{sentry.server_port}/1"
    result = run_django(["-c", REQUEST], {"SENTRY_DSN": dsn, **credentials})
    assert result.returncode == 0, result.stderr
    # The last line; the log lines (on stdout too) come before.
    assert result.stdout.splitlines()[-1] == "500"

    assert {path for path, _ in sentry.received} == {"/api/1/envelope/"}
    events = [
        item.payload.json
        for _, body in sentry.received
        for item in Envelope.deserialize(body).items
        if item.type == "event"
    ]
    (event,) = events
    (error,) = event["exception"]["values"]
    assert error["type"] == "RuntimeError"
    # A JWT in the message is blanked, the rest kept.
    assert error["value"] == "cannot rotate [Filtered]"
    # The request is described: method, URL, its id.
    request = event["request"]
    assert request["method"] == "POST"
    assert request["url"].endswith("/crash/")
    headers = request["headers"]
    assert headers["X-Request-Id"] == "sentry-check"
    # Blanked or removed (sentry-sdk notes why in the event's _meta).
    assert headers.get("Authorization") in (None, "", FILTERED)
    assert headers.get("Cookie") in (None, "", FILTERED)
    assert not request.get("data")
    sent = b"".join(body for _, body in sentry.received)
    leaked = [name for name, value in credentials.items() if value.encode() in sent]
    assert not leaked, f"sent to Sentry: {leaked}"
    assert b"Bearer" not in sent


def test_a_bad_dsn_stops_start_up_without_repeating_it():
    result = run_django(
        ["-c", SETUP], {"SENTRY_DSN": "ftp://s3cretkey@sentry.invalid/1"}
    )
    assert result.returncode != 0
    assert "SENTRY_DSN is not a valid DSN" in result.stderr
    assert "s3cretkey" not in result.stderr
