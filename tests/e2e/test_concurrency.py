"""Factor VIII, concurrency: scale out by process type, restart replicas one by one.

The scale commands are the README's, run verbatim; the stack goes back to its own
shape (three web replicas, one worker) afterwards.
"""

import json
import subprocess
import time

from tests.e2e.load import SteadyLoad
from tests.e2e.readme import readme_commands, run_as_user
from tests.e2e.stack import WEB_REPLICAS
from tests.support.api import ME, POSTS, TOKEN, new_user, register, remember_secret
from tests.support.compose import health, inspect
from tests.support.waits import wait_until

README_TESTED_BY = "tests/e2e/test_concurrency.py"


def restore_shape(stack):
    """`docker compose up -d`: back to WEB_REPLICAS web containers and one worker."""
    stack.compose("up", "--detach", "--no-build", "--wait", "--wait-timeout", "180")


def published_ports(stack):
    """service -> the host ports its containers publish."""
    result = stack.compose("ps", "--format", "json")
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    published = {}
    for row in rows:
        for port in row.get("Publishers") or []:
            if port.get("PublishedPort"):
                published.setdefault(row["Service"], []).append(
                    (port["URL"], port["PublishedPort"])
                )
    return published


def workers_answering(stack):
    result = stack.exec(
        "worker", "celery", "--app=config", "inspect", "ping", "--timeout=5",
        check=False,
    )  # fmt: skip
    return result.stdout.count(": OK")


def upstreams_answering(client, path, headers=None, *, tries=40):
    """The X-Upstream of every 200 answer among `tries` requests."""
    seen = set()
    for _ in range(tries):
        response = client.get(path, headers=headers)
        if response.status_code == 200:
            seen.add(response.headers["X-Upstream"])
    return seen


def test_readme_scale_out_command_runs_three_web_and_two_workers(stack, client):
    commands = readme_commands(README_TESTED_BY)
    scale_out = [c for c in commands if "--scale worker=2" in c]
    assert scale_out == ["docker compose up -d --scale web=3 --scale worker=2"]
    try:
        for command in commands:
            run_as_user(stack, command)
        assert len(stack.container_ids("web")) == 3
        assert len(stack.container_ids("worker")) == 2
        # Only Nginx publishes a port, on loopback: replicas can never clash.
        assert published_ports(stack) == {"nginx": [("127.0.0.1", stack.port)]}

        # Both workers answer on the broker.
        wait_until(
            lambda: workers_answering(stack) == 2,
            timeout=90,
            what="two workers answering a ping",
        )

        # Nginx spreads requests over every replica (it re-resolves `web` every 5 s).
        wait_until(
            lambda: len(upstreams_answering(client, "/healthz")) == 3,
            timeout=30,
            what="requests reaching all three replicas",
        )
        # A token issued by one replica is good on every other: no local state.
        tokens = client.post(TOKEN, json=register(client, prefix="e2e-scale"))
        issuer = tokens.headers["X-Upstream"]
        remember_secret(tokens.json()["refresh"])
        access = remember_secret(tokens.json()["access"])
        headers = {"Authorization": f"Bearer {access}"}
        accepted_by = upstreams_answering(client, ME, headers)
        assert len(accepted_by) == 3, accepted_by
        assert issuer in accepted_by
    finally:
        restore_shape(stack)
    assert len(stack.container_ids("web")) == WEB_REPLICAS
    assert len(stack.container_ids("worker")) == 1


def test_restarting_web_replicas_one_at_a_time_fails_no_request(stack, client):
    headers = new_user(client, prefix="e2e-rolling")
    stack.compose("up", "--detach", "--no-build", "--wait", "--scale", "web=2")
    try:
        replicas = stack.container_ids("web")
        assert len(replicas) == 2
        time.sleep(6)  # Nginx's resolver cache (5 s) forgets the removed replica
        # Reads, which Nginx may retry on the other replica, and writes, which it
        # may not once sent: a restarting replica must refuse new connections
        # rather than reset them (gunicorn's ClosingSyncWorker).
        post = {"title": "written during a rolling restart"}
        with (
            SteadyLoad(stack.base_url, ME, headers=headers, threads=3) as reads,
            SteadyLoad(
                stack.base_url, POSTS, headers=headers, json=post, threads=3
            ) as writes,
        ):
            time.sleep(2)
            for container in replicas:
                subprocess.run(
                    ["docker", "restart", "--time", "30", container],
                    capture_output=True,
                    timeout=90,
                    check=True,
                )
                wait_until(
                    lambda container=container: health(container) == "healthy",
                    timeout=120,
                    what=f"{container[:12]} healthy again",
                )
                # Healthy inside its container is not yet serving Nginx: wait
                # until Nginx gets answers from it before restarting the next.
                address = inspect(
                    container,
                    "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                ).split()
                wait_until(
                    lambda address=address: any(
                        upstream.split(":")[0] in address
                        for upstream in upstreams_answering(
                            client, "/healthz", tries=10
                        )
                    ),
                    timeout=60,
                    what=f"{container[:12]} answering through Nginx",
                )
            time.sleep(2)
    finally:
        restore_shape(stack)

    for load in (reads, writes):
        served = len(load.outcomes)
        assert served > 100, f"only {served} {load.method}s: the load did not run"
        assert not load.failures, (
            f"{len(load.failures)} of {served} {load.method}s failed: "
            f"{load.failures[:10]}"
        )
