"""Sustained load through Nginx: a minute at 32 connections fails no request.

The short version of `make soak` (ten minutes, a mix with writes and uploads,
resources charted). A 10-second burst could not show what this guards against:
Nginx running out of local ports once TIME_WAIT sockets of about 28,000
connections pile up inside a minute, and answering 502 from then on.

Meanwhile a third web replica is added with `--scale`: Nginx sends it requests
without being restarted, and none of them fails.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bench import wrk
from tests.e2e.test_concurrency import restore_shape
from tests.support.api import ME, POSTS, new_user
from tests.support.compose import inspect
from tests.support.reporting import report_figure
from tests.support.waits import wait_until

LOAD_SECONDS = 60
CONNECTIONS = 32
SCALE_UP_AFTER_SECONDS = 15
# Today's figure is 0; before gunicorn closed first it passed 14,000 in 60 s.
TIME_WAIT_CEILING = 1000


def time_wait_sockets(stack, service):
    """TCP sockets in TIME_WAIT (state 06) inside the service's container."""
    result = stack.exec(service, "sh", "-c", "cat /proc/net/tcp /proc/net/tcp6")
    return sum(1 for line in result.stdout.splitlines() if line.split()[3:4] == ["06"])


def started_at(stack, service):
    (container,) = stack.container_ids(service)
    return inspect(container, "{{.State.StartedAt}}")


def answers_by_upstream(stack, since):
    """Nginx's access log since `since`: upstream address -> 2xx answers.

    A request Nginx retried lists every address it tried; the last answered
    (a replica still starting refuses, and Nginx tries the next).
    """
    logs = stack.compose("logs", "--no-color", "--since", since, "nginx").stdout
    counts = {}
    for line in logs.splitlines():
        _, _, record = line.partition("| ")
        if not record.startswith("{"):
            continue
        entry = json.loads(record)
        if 200 <= entry["status"] < 300 and entry["upstream"]:
            answered = entry["upstream"].split(", ")[-1]
            counts[answered] = counts.get(answered, 0) + 1
    return counts


def drive(stack, token):
    """Anonymous feed and signed-in reads, half the connections each, at once."""
    requests = [wrk.Request(path=POSTS), wrk.Request(path=ME, token=token)]
    pool = ThreadPoolExecutor(len(requests))
    runs = [
        pool.submit(
            wrk.run,
            stack.base_url,
            request,
            connections=CONNECTIONS // len(requests),
            duration=LOAD_SECONDS,
        )
        for request in requests
    ]
    pool.shutdown(wait=False)
    return runs


def test_a_minute_at_32_connections_fails_no_request(stack, client, request):
    token = new_user(client, prefix="e2e-soak")["Authorization"].split()[1]
    stack.compose("up", "--detach", "--no-build", "--wait", "--scale", "web=2")
    time.sleep(6)  # Nginx's resolver cache (5 s) forgets the removed replica
    nginx_started = started_at(stack, "nginx")
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    time_waits = []
    try:
        start = time.monotonic()
        runs = drive(stack, token)
        time.sleep(SCALE_UP_AFTER_SECONDS)
        stack.compose(
            "up", "--detach", "--no-build", "--no-recreate", "--wait",
            "--scale", "web=3", "web",
        )  # fmt: skip
        while not all(run.done() for run in runs):
            time_waits.append(time_wait_sockets(stack, "nginx"))
            time.sleep(5)
        results = [run.result() for run in runs]
        elapsed = time.monotonic() - start
    finally:
        restore_shape(stack)

    report_figure(
        request,
        "sustained load: "
        + "; ".join(
            f"{r['requests']} requests at {r['rps']} req/s, {r['errors']} errors, "
            f"p99 {r['p99_ms']} ms"
            for r in results
        )
        + f" in {elapsed:.0f} s; "
        f"TIME_WAIT in Nginx every 5 s: {time_waits}",
    )
    for result in results:
        assert result["requests"] > 1000, f"the load did not run: {result}"
        assert result["errors"] == 0, f"failed requests under load: {result}"
    assert max(time_waits) < TIME_WAIT_CEILING, time_waits
    assert started_at(stack, "nginx") == nginx_started, "Nginx was restarted"
    answered = wait_until(
        lambda: (
            (counts := answers_by_upstream(stack, since))
            and len(counts) >= 3
            and counts
        ),
        timeout=30,
        what="answers from three replicas in Nginx's log",
    )
    assert len(answered) == 3, answered
    assert min(answered.values()) > 100, answered
