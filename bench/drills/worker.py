"""Drill: the Celery worker SIGKILLed while thumbnail tasks are in flight."""

import threading
import time

import httpx

from bench.api import drill_image
from bench.drills.outcome import result
from bench.drills.thumbnails import generated, processing, statuses, stored
from bench.stack import Stack
from tests.support.api import bearer, post_image
from tests.support.compose import docker
from tests.support.waits import seconds_until

# Tasks a killed worker had taken stay unacknowledged in Redis. Kombu hands them
# out again once they are older than the visibility timeout
# (CELERY_VISIBILITY_TIMEOUT, 300 s by default), on a sweep that runs about every
# 100 s (unacked_restore_interval 10 s x unacked_restore_throttle 10): the full
# drill waits for both, and a little more.
FULL_WAIT = 450
QUICK_WAIT = 5


def worker_kill(stack: Stack, *, token: str, quick: bool, log=print) -> dict:
    count = 4 if quick else 20
    stack.compose("start", "worker")
    stored_before = stored(stack)
    ids, killed_at, in_flight = _upload_and_kill(stack, token=token, count=count)
    killed = time.time()
    stack.compose("start", "worker")
    log(f"  worker killed after {killed_at} uploads; waiting for {count} thumbnails")
    wait = QUICK_WAIT if quick else FULL_WAIT
    done_after = seconds_until(
        lambda: not processing(stack, ids), timeout=wait, interval=2
    )
    final = statuses(stack, ids)
    runs = generated(stack.compose("logs", "--no-log-prefix", "worker").stdout, ids)
    duplicated = sum(1 for n in runs.values() if n > 1)
    lost = final.get("processing", 0)
    extra_files = stored(stack) - stored_before - final.get("ready", 0)
    summary = (
        f"{count} image posts, worker SIGKILLed after {killed_at} uploads with "
        f"{in_flight} thumbnails unfinished; after {done_after or wait} s: "
        f"{final.get('ready', 0)} ready, {final.get('failed', 0)} failed, "
        f"{lost} still without a thumbnail, {duplicated} generated twice, "
        f"{extra_files} extra files stored"
    )
    return result(
        "worker SIGKILL",
        lost == 0 and extra_files == 0,
        summary,
        posts=count,
        killed_after_uploads=killed_at,
        unfinished_at_kill=in_flight,
        done_after=done_after,
        statuses=final,
        generated_twice=duplicated,
        extra_files=extra_files,
        pending=processing(stack, ids),
        killed_at=killed,
    )


def follow_up(stack: Stack, result: dict) -> None:
    """After the other drills: are the thumbnails still missing done by now?"""
    figures = result["figures"]
    if not figures.get("pending"):
        return
    left = len(processing(stack, figures["pending"]))
    seconds = round(time.time() - figures["killed_at"])
    figures["follow_up"] = {"seconds_after_kill": seconds, "still_missing": left}
    addition = (
        f"; {seconds} s after the kill, at the end of the drills: "
        f"{len(figures['pending']) - left} of them done, {left} still missing"
    )
    result["summary"] += addition
    result["line"] += addition
    result["passed"] = left == 0 and figures["extra_files"] == 0


def _upload_and_kill(stack: Stack, *, token: str, count: int):
    """Upload `count` image posts; SIGKILL the worker half-way through.

    Returns the post ids, how many were uploaded before the kill, and how many of
    those had no thumbnail yet at that moment.
    """
    image = drill_image()
    ids = []
    half = threading.Event()

    def upload():
        with httpx.Client(base_url=stack.base_url, timeout=60) as client:
            for i in range(count):
                response = post_image(
                    client, bearer(token), image=image, title=f"drill {i}"
                )
                response.raise_for_status()
                ids.append(response.json()["id"])
                if len(ids) == count // 2:
                    half.set()

    worker = stack.container("worker")  # looked up now: the kill must not wait
    uploader = threading.Thread(target=upload, daemon=True)
    uploader.start()
    half.wait(timeout=120)
    time.sleep(0.3)  # let the worker pick up the last upload's task
    docker("kill", "--signal", "KILL", worker)
    killed_at = len(ids)
    unfinished = len(processing(stack, ids[:killed_at]))
    uploader.join(timeout=300)
    return ids, killed_at, unfinished
