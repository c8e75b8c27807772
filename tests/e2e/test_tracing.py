"""Tracing end to end: one trace from Nginx through Django into the Celery task.

Off by default, the stack's log lines carry `-` as trace and span ids. Then web,
worker and beat are recreated with an OTLP endpoint set, pointing at a receiver
this module runs on the stack's backend network (the application image running
tests/support/otlp_receiver.py, which prints every span it gets), and an image
upload is followed span by span: the traceparent Nginx starts, Django's server
span, the Celery publish span, the worker's run span of the thumbnail task, one
trace id throughout, and in Nginx's, gunicorn's and the worker's log lines. The
three services get the stack's own settings back at the end, pass or fail.
"""

import json
import re
import secrets
import time

import pytest

from tests.e2e.containers import container_state
from tests.e2e.test_logs import json_records
from tests.support.api import POSTS, create_image_post, new_user, post_image
from tests.support.compose import ROOT, docker
from tests.support.waits import wait_until

RECEIVER = "otlp-receiver"
TRACED_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{RECEIVER}:4318",
    "OTEL_SERVICE_NAME": "drf-e2e",
    # Off by default (Nginx's line is the access record); on here, because its
    # line is the one that carries the server span's id.
    "GUNICORN_ACCESS_LOG": "true",
}
TRACED_SERVICES = ("web", "worker", "beat")
TASK = "apps.posts.tasks.generate_thumbnail"
INSTRUMENTED = ("django", "psycopg", "redis", "celery", "botocore")
# How often the SDK's batch span processor sends what it holds (5 s, the default
# of OTEL_BSP_SCHEDULE_DELAY), and a margin.
EXPORT_ROUND = 5 + 2


class Receiver:
    """The receiver container: the spans it printed so far."""

    def __init__(self, container):
        self.container = container

    def spans(self):
        out = docker("logs", self.container)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def trace(self, trace_id):
        return [span for span in self.spans() if span["trace_id"] == trace_id]


@pytest.fixture(scope="module")
def receiver(stack):
    container = f"{stack.project}-{RECEIVER}"
    docker(
        "run", "--detach", "--name", container,
        f"--network={stack.project}_backend", f"--network-alias={RECEIVER}",
        "--read-only", "--cap-drop=ALL", "--entrypoint=python",
        "--volume", f"{ROOT}/tests/support/otlp_receiver.py:/receiver.py:ro",
        stack.image("app"), "/receiver.py", "--host=0.0.0.0",
    )  # fmt: skip
    try:
        yield Receiver(container)
    finally:
        docker("rm", "--force", container, check=False)


@pytest.fixture(scope="module")
def traced(stack, receiver):
    """web, worker and beat with tracing on; the stack's own settings after."""
    up = (
        "up", "--detach", "--no-build", "--no-deps",
        "--wait", "--wait-timeout", "240", *TRACED_SERVICES,
    )  # fmt: skip
    try:
        stack.compose(*up, env={**stack.env, **TRACED_ENV})
        yield receiver
    finally:
        stack.compose(*up)


def log_line(stack, service, request_id, **match):
    """The service's JSON line about request_id with the `match` keys and values."""

    def found():
        entries = json_records(stack.logs(service), request_id).get(service, [])
        matching = [e for e in entries if match.items() <= e.items()]
        return matching[0] if matching else None

    return wait_until(found, timeout=60, what=f"{service}'s line of {request_id}")


def thumbnail_line(stack, request_id, post_id):
    message = f"thumbnail of post {post_id} is ready"
    return log_line(stack, "worker", request_id, message=message)


def test_off_by_default_log_lines_carry_no_ids(stack, client):
    headers = new_user(client, prefix="e2e-untraced")
    request_id = f"e2e-untraced-{time.time_ns()}"
    post = create_image_post(client, {**headers, "X-Request-ID": request_id})
    entry = thumbnail_line(stack, request_id, post["id"])
    assert (entry["trace_id"], entry["span_id"]) == ("-", "-"), entry


def wait_for_spans(receiver, trace_id, *names):
    """The trace's spans, once it has one named each of `names`."""

    def complete():
        spans = receiver.trace(trace_id)
        return spans if set(names) <= {span["name"] for span in spans} else None

    return wait_until(complete, timeout=60, what=f"spans {names} of {trace_id}")


def server_span(receiver, trace_id):
    def found():
        return [span for span in receiver.trace(trace_id) if span["kind"] == "SERVER"]

    (span,) = wait_until(found, timeout=60, what=f"the server span of {trace_id}")
    return span


def test_an_upload_is_one_trace_from_nginx_into_its_thumbnail_task(
    stack, client, traced
):
    headers = new_user(client, prefix="e2e-traced")
    # No X-Request-ID and no traceparent: Nginx makes both, from one id.
    response = post_image(client, headers)
    assert response.status_code == 201, response.text
    trace_id = response.headers["X-Request-ID"]
    assert re.fullmatch("[0-9a-f]{32}", trace_id), trace_id

    publish, run = f"apply_async/{TASK}", f"run/{TASK}"
    spans = wait_for_spans(traced, trace_id, publish, run)
    by_name = {span["name"]: span for span in spans}
    server = server_span(traced, trace_id)
    # Nginx's traceparent: the trace id, and the parent id it derives from it.
    assert server["parent_span_id"] == trace_id[16:]
    assert server["service"] == "drf-e2e"
    assert by_name[publish]["kind"] == "PRODUCER"
    assert by_name[publish]["parent_span_id"] == server["span_id"]
    assert by_name[run]["kind"] == "CONSUMER"
    assert by_name[run]["parent_span_id"] == by_name[publish]["span_id"]
    # Each instrumented library has its part in the one trace.
    scopes = {span["scope"] for span in spans}
    expected = {f"opentelemetry.instrumentation.{name}" for name in INSTRUMENTED}
    assert expected <= scopes, scopes

    access = log_line(stack, "web", trace_id, logger="gunicorn.access")
    ready = thumbnail_line(stack, trace_id, response.json()["id"])
    assert (access["trace_id"], access["span_id"]) == (trace_id, server["span_id"])
    assert (ready["trace_id"], ready["span_id"]) == (trace_id, by_name[run]["span_id"])
    nginx = log_line(stack, "nginx", trace_id, logger="nginx.access")
    assert nginx["trace_id"] == trace_id


def test_a_clients_traceparent_is_continued_and_a_malformed_one_replaced(
    client, traced
):
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    continued = client.get(
        POSTS,
        headers={"traceparent": f"00-{trace_id}-{parent_id}-01", "tracestate": "e2e=1"},
    )
    # Upper-case hex is not a traceparent (W3C Trace Context): a new trace.
    malformed = f"00-{trace_id.upper()}-{parent_id}-01"
    replaced = client.get(
        POSTS, headers={"traceparent": malformed, "tracestate": "x=1"}
    )
    assert continued.status_code == replaced.status_code == 200

    span = server_span(traced, trace_id)
    assert (span["parent_span_id"], span["trace_state"]) == (parent_id, "e2e=1")
    new_trace = replaced.headers["X-Request-ID"]
    span = server_span(traced, new_trace)
    assert (span["parent_span_id"], span["trace_state"]) == (new_trace[16:], "")


def test_health_probes_make_no_spans(client, traced):
    probe = client.get("/readyz")
    assert probe.status_code == 200
    # A negative: give every process one export round to send what it holds.
    time.sleep(EXPORT_ROUND)
    spans = traced.spans()
    probe_trace = probe.headers["X-Request-ID"]
    assert not [span for span in spans if span["trace_id"] == probe_trace]
    # /readyz's storage check is the only HeadBucket call.
    assert not [span for span in spans if span["name"].endswith("HeadBucket")]
    # Docker has probed /healthz on every web replica every 2 s all along.
    probes = [
        span
        for span in spans
        if any("/healthz" in str(value) for value in span["attributes"].values())
    ]
    assert not probes, probes[:3]


def test_beat_and_manage_py_run_with_tracing_on(stack, traced):
    assert stack.exec("beat", "printenv", "OTEL_EXPORTER_OTLP_ENDPOINT").stdout.strip()
    check = stack.manage("check")
    assert "no issues" in check.stdout, check.stdout + check.stderr
    (beat,) = stack.container_ids("beat")
    _, restarts, _ = container_state(beat)
    assert restarts == 0
    logs = stack.logs("beat")
    assert "beat: Starting..." in logs
    assert "Traceback" not in logs
