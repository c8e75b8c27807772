"""Factor IV, backing services: PostgreSQL and Redis go away and come back.

The application is never restarted: it reports the outage on /readyz, keeps
serving what it can, and reconnects by itself.
"""

from tests.e2e.containers import container_state
from tests.e2e.stack import WEB_REPLICAS
from tests.support.api import (
    ME,
    POSTS,
    TOKEN,
    create_image_post,
    image_status,
    new_user,
    readyz,
    register,
    remember_secret,
)
from tests.support.waits import wait_until

# What beat's requeue-stuck-thumbnails task runs, without its 15-minute delay.
REQUEUE_NOW = (
    "from datetime import timedelta; "
    "from apps.posts.services import post_requeue_stuck_thumbnails as requeue; "
    "print(requeue(older_than=timedelta(0)))"
)


def start_states(stack, *services):
    """Each container of `services` with its start time and restart count."""
    return {
        container: container_state(container)[:2]
        for service in services
        for container in stack.container_ids(service)
    }


def every_replica_says(client, status, failed=None):
    """/readyz answers `status` (and names `failed`) on several requests in a row."""
    answers = [readyz(client) for _ in range(2 * WEB_REPLICAS)]
    expected = (status, failed if failed is not None else [])
    return all(answer == expected for answer in answers)


def welcome_email_sent(stack, credentials):
    return f"Hello {credentials['email']}" in stack.logs("worker")


def test_postgres_restart_is_reported_then_recovered_without_app_restart(stack, client):
    headers = new_user(client, prefix="e2e-backing")
    before = start_states(stack, "web", "worker")
    stack.compose("stop", "db")
    try:
        wait_until(
            lambda: every_replica_says(client, 503, ["database"]),
            timeout=30,
            what="/readyz 503 naming the database",
        )
        assert client.get("/healthz").status_code == 200  # alive, just not ready
    finally:
        stack.compose("start", "db")
    wait_until(
        lambda: every_replica_says(client, 200),
        timeout=90,
        what="/readyz 200 again",
    )
    assert client.get(ME, headers=headers).status_code == 200
    # The worker reconnected too: a task that reads the database runs.
    credentials = register(client, prefix="e2e-after-db")
    wait_until(
        lambda: welcome_email_sent(stack, credentials),
        timeout=60,
        what="the welcome email task after the restart",
    )
    assert start_states(stack, "web", "worker") == before, "the app was restarted"


def queued_tasks(stack):
    result = stack.exec("redis", "redis-cli", "-n", "1", "llen", "celery")
    return int(result.stdout.strip())


def test_redis_outage_keeps_reads_up_and_queued_work_survives(stack, client):
    credentials = register(client, prefix="e2e-backing")
    tokens = client.post(TOKEN, json=credentials).json()
    remember_secret(tokens["refresh"])
    headers = {"Authorization": f"Bearer {remember_secret(tokens['access'])}"}
    web_before = start_states(stack, "web")
    stack.compose("stop", "worker")
    try:
        queued = create_image_post(client, headers, title="queued before the outage")
        assert queued_tasks(stack) >= 1
        stack.compose("stop", "redis")
        try:
            during = during_redis_outage(client, headers, credentials, queued)
        finally:
            stack.compose("start", "redis")
        wait_until(
            lambda: every_replica_says(client, 200),
            timeout=60,
            what="/readyz 200 once Redis is back",
        )
    finally:
        stack.compose("start", "worker")

    # Queued before the outage: kept by Redis's append-only file, then done.
    wait_until(
        lambda: image_status(client, headers, queued["id"]) == "ready",
        timeout=90,
        what="the task queued before the outage",
    )
    # Written during it: the post was saved, its task never reached a queue. Beat's
    # requeue-stuck-thumbnails re-enqueues it (after 15 minutes; here at once).
    assert image_status(client, headers, during["id"]) == "processing"
    stack.manage("shell", "-c", REQUEUE_NOW)
    wait_until(
        lambda: image_status(client, headers, during["id"]) == "ready",
        timeout=60,
        what="the re-enqueued thumbnail",
    )
    # The web processes publish again without a restart.
    after = create_image_post(client, headers, title="after the outage")
    wait_until(
        lambda: image_status(client, headers, after["id"]) == "ready",
        timeout=60,
        what="a thumbnail enqueued after the outage",
    )
    assert start_states(stack, "web") == web_before, "web was restarted"


def during_redis_outage(client, headers, credentials, queued):
    """What works while Redis is down; returns the post written meanwhile."""
    wait_until(
        lambda: every_replica_says(client, 503, ["redis"]),
        timeout=30,
        what="/readyz 503 naming Redis",
    )
    # Reads need no Redis: the cache fails open.
    assert client.get(POSTS).status_code == 200
    assert client.get(f"{POSTS}{queued['id']}/").status_code == 200
    assert client.get(ME, headers=headers).status_code == 200
    # Throttled endpoints too: no rate limit beats no service.
    tokens = client.post(TOKEN, json=credentials)
    assert tokens.status_code == 200, tokens.text
    remember_secret(tokens.json()["refresh"])
    remember_secret(tokens.json()["access"])
    # Writes are kept even when their task cannot be queued.
    register(client, prefix="e2e-during-outage")
    return create_image_post(client, headers, title="written during the outage")
