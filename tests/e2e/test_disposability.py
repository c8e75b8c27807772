"""Factor IX, disposability: fast start, graceful stop, no work lost to a crash.

Requests and tasks are held "in flight" by pausing the S3 stand-in: a web request
uploading an image, or a worker reading one, then waits on storage, provably mid-way,
for as long as the test needs. Every test leaves the services it stopped running.
"""

import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.containers import container_state, paused, requests_waiting_on
from tests.e2e.stack import GUNICORN_WORKERS, WEB_REPLICAS
from tests.support.api import POSTS, create_image_post, image_status, new_user, readyz
from tests.support.images import png
from tests.support.reporting import report_figure
from tests.support.startup import boot_phases
from tests.support.waits import wait_until

S3_PORT = 5000
# No more uploads than one replica has workers: Nginx picks a replica at random
# for each request (its resolver rotates `web`'s addresses), so all of them may
# land on one, and any beyond its workers would wait in its listen queue, never
# reaching the store (a failing run had 5 of 6 there; six requests spread here
# put 4 on one replica in 1 of 5 tries).
IN_FLIGHT = GUNICORN_WORKERS
# The killed worker's task is redelivered once the broker's visibility timeout has
# passed; the test stack lowers it for the worker that restarts (default 300 s).
TEST_VISIBILITY_TIMEOUT = 10


def upload(base_url, headers, image):
    with httpx.Client(base_url=base_url, timeout=90) as client:
        response = client.post(
            POSTS,
            data={"title": "in flight"},
            files={"image": ("in-flight.png", image, "image/png")},
            headers=headers,
        )
    return response.status_code, response.text


class Background(threading.Thread):
    """Runs a compose command without blocking the test; `join()` returns it."""

    def __init__(self, stack, *args):
        super().__init__(daemon=True)
        self.stack, self.args, self.result = stack, args, None

    def run(self):
        self.result = self.stack.compose(*self.args, check=False)

    def join(self, timeout=180):
        super().join(timeout)
        assert self.result is not None, f"compose {self.args} did not finish"
        assert self.result.returncode == 0, self.result.stderr
        return self.result


def start_bypassing_dependency_checks(container):
    """`docker start`: compose would refuse while the paused S3 looks unhealthy."""
    subprocess.run(["docker", "start", container], capture_output=True, check=True)


def count_in_logs(stack, service, text):
    return stack.logs(service).count(text)


def stop_web_with_uploads_in_flight(stack, headers):
    """`docker compose stop web` while uploads wait on storage; their outcomes."""
    image = png()
    signalled_before = count_in_logs(stack, "web", "Handling signal: term")
    replicas = len(stack.container_ids("web"))
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        with paused(stack, "s3"):
            uploads = [
                pool.submit(upload, stack.base_url, headers, image)
                for _ in range(IN_FLIGHT)
            ]
            wait_until(
                lambda: all_waiting_on_storage(stack, uploads),
                timeout=60,
                what=f"{IN_FLIGHT} uploads waiting on storage",
            )
            stopping = Background(stack, "stop", "web")
            stopping.start()
            # Every replica got SIGTERM while its uploads were still waiting.
            wait_until(
                lambda: (
                    count_in_logs(stack, "web", "Handling signal: term")
                    >= signalled_before + replicas
                ),
                timeout=30,
                what="SIGTERM reaching every web replica",
            )
        results = [future.result(timeout=120) for future in uploads]
    stopping.join()
    return results


def all_waiting_on_storage(stack, uploads):
    """True once every upload waits on the paused store; fails if one has ended."""
    ended = [upload.result() for upload in uploads if upload.done()]
    assert not ended, f"uploads ended before storage came back: {ended}"
    return requests_waiting_on(stack, "s3", S3_PORT) >= len(uploads)


def start_phases(stack, *, up: float, ready: float) -> str:
    """Per web replica, the seconds its start spent in each phase: where a slow
    start goes (the benchmark's cold-start phases, tests/support/startup.py)."""
    return "; ".join(
        f"web-{index}: "
        + ", ".join(
            f"{phase} {seconds}"
            for phase, seconds in boot_phases(
                stack, "web", index=index, up=up, ready=ready
            ).items()
        )
        for index in stack.replica_numbers("web")
    )


def test_stopping_web_finishes_requests_in_flight_and_it_starts_again_fast(
    stack, client, request
):
    headers = new_user(client, prefix="e2e-disposable")
    containers = stack.container_ids("web")
    try:
        results = stop_web_with_uploads_in_flight(stack, headers)
        assert [status for status, _ in results] == [201] * IN_FLIGHT, results
        for container in containers:
            assert container_state(container)[2] == 0, "gunicorn exited uncleanly"

        started = time.time()
        stack.compose("up", "--detach", "--no-build", "web")
        wait_until(lambda: readyz(client)[0] == 200, timeout=180, what="/readyz 200")
        ready_after = time.time() - started
        phases = start_phases(stack, up=started, ready=started + ready_after)
    finally:
        stack.compose("up", "--detach", "--no-build", "--wait", "--wait-timeout", "180")
    healthy_after = time.time() - started
    report_figure(
        request,
        f"startup: /readyz 200 through Nginx {ready_after:.1f} s after "
        f"`docker compose up -d web` ({WEB_REPLICAS} replicas, built images, migrated "
        f"database); every replica healthy after {healthy_after:.1f} s; "
        f"seconds in each phase: {phases}",
    )
    assert len(stack.container_ids("web")) == WEB_REPLICAS


def test_a_worker_stopped_while_it_starts_stops_at_once(stack):
    """A stop before the command has its signal handlers is not lost."""
    (worker,) = stack.container_ids("worker")
    stack.compose("stop", "worker")
    start_bypassing_dependency_checks(worker)
    started = time.monotonic()
    stack.compose("stop", "--timeout", "20", "worker")
    took = time.monotonic() - started
    stack.compose("start", "worker")
    assert took < 10, f"stopping took {took:.0f} s: SIGTERM was lost, SIGKILL ended it"


def test_worker_stopped_with_sigterm_finishes_its_current_task(stack, client):
    headers = new_user(client, prefix="e2e-disposable")
    (worker,) = stack.container_ids("worker")
    stack.compose("stop", "worker")
    try:
        post = create_image_post(client, headers, title="warm shutdown")
        with paused(stack, "s3"):
            start_bypassing_dependency_checks(worker)
            wait_until(
                lambda: requests_waiting_on(stack, "s3", S3_PORT) >= 1,
                timeout=90,
                what="the worker reading the image",
            )
            stopping = Background(stack, "stop", "worker")
            stopping.start()
            wait_until(
                lambda: "worker: Warm shutdown" in worker_logs_since_start(stack),
                timeout=30,
                what="the worker's warm shutdown",
            )
        stopping.join()
        assert container_state(worker)[2] == 0
        logs = worker_logs_since_start(stack)
    finally:
        start_bypassing_dependency_checks(worker)

    # The task ran to its end after the shutdown began, and only once.
    shutdown = logs.index("worker: Warm shutdown")
    ready = f"thumbnail of post {post['id']} is ready"
    assert logs.find(ready, shutdown) > shutdown, logs[-3000:]
    assert logs.count(ready) == 1
    assert image_status(client, headers, post["id"]) == "ready"


def worker_logs_since_start(stack):
    """The worker container's output since its latest start."""
    logs = stack.compose("logs", "--no-color", "--no-log-prefix", "worker").stdout
    banners = [m.start() for m in re.finditer(r"-------------- celery@", logs)]
    return logs[banners[-1] :] if banners else logs


def test_worker_killed_mid_task_loses_nothing(stack, client):
    headers = new_user(client, prefix="e2e-disposable")
    (worker,) = stack.container_ids("worker")
    stack.compose("stop", "worker")
    low_visibility = {
        **stack.env,
        "CELERY_VISIBILITY_TIMEOUT": str(TEST_VISIBILITY_TIMEOUT),
    }
    try:
        post = create_image_post(client, headers, title="worker killed")
        thumbnails_before = stored_thumbnails(stack)
        with paused(stack, "s3"):
            start_bypassing_dependency_checks(worker)
            wait_until(
                lambda: requests_waiting_on(stack, "s3", S3_PORT) >= 1,
                timeout=90,
                what="the worker reading the image",
            )
            taken_at = time.monotonic()
            stack.compose("kill", "--signal", "SIGKILL", "worker")
        assert image_status(client, headers, post["id"]) == "processing"
        # Unacknowledged, the task waits in Redis until its visibility timeout
        # runs out; a worker starting after that hands it out again.
        time.sleep(max(0, taken_at + TEST_VISIBILITY_TIMEOUT + 1 - time.monotonic()))
        stack.compose(
            "up", "--detach", "--no-build", "--no-deps", "worker", env=low_visibility
        )
        wait_until(
            lambda: image_status(client, headers, post["id"]) != "processing",
            timeout=120,
            what="the redelivered thumbnail task",
        )
    finally:
        # Back to the stack's own settings (and a running worker) whatever happened.
        stack.compose("up", "--detach", "--no-build", "--no-deps", "worker")

    assert image_status(client, headers, post["id"]) == "ready"
    # Done once in effect: one thumbnail stored for it, however often it ran.
    assert stored_thumbnails(stack) == thumbnails_before + 1


def stored_thumbnails(stack):
    result = stack.manage(
        "shell",
        "-c",
        "from django.core.files.storage import default_storage as s; "
        "print(len(s.listdir('posts/thumbnails/')[1]))",
    )
    return int(result.stdout.strip().splitlines()[-1])
