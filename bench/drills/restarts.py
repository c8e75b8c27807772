"""Drills that restart a web replica, PostgreSQL or Redis while load runs."""

import time

import httpx

from bench.api import drill_image
from bench.drills.outcome import result
from bench.drills.probe import Load, Prober, outage
from bench.drills.thumbnails import processing
from bench.scenarios import BY_NAME
from bench.stack import Stack
from tests.support.api import bearer, post_image
from tests.support.compose import docker
from tests.support.waits import seconds_until


def web_restart(stack: Stack, *, token: str, quick: bool, log=print) -> dict:
    """Two web replicas; one restarted while reads and writes go on."""
    duration = 8 if quick else 20
    stack.env["WEB_REPLICAS"] = 2
    try:
        stack.up()
        time.sleep(6)  # Nginx re-resolves `web` every 5 s: let it see both
        reads = _load(stack, "anon_list", token, connections=8, duration=duration)
        writes = _load(stack, "auth_create", token, connections=2, duration=duration)
        time.sleep(duration * 0.2)
        started = time.monotonic()
        docker("restart", "--time", "30", stack.container("web", 1))
        restart = round(time.monotonic() - started, 2)
        reads, writes = reads.result(), writes.result()
    finally:
        stack.env.pop("WEB_REPLICAS")
        stack.up()
    failed = reads["errors"] + writes["errors"]
    summary = (
        f"{failed} of {reads['requests'] + writes['requests']} requests failed "
        f"(reads {reads['errors']}/{reads['requests']}, "
        f"writes {writes['errors']}/{writes['requests']}) while one of 2 replicas "
        f"restarted ({restart} s)"
    )
    return result(
        "web restart", failed == 0, summary, reads=reads, writes=writes, restart=restart
    )


def postgres_restart(stack: Stack, *, token: str, quick: bool, log=print) -> dict:
    """PostgreSQL restarted under authenticated reads: recovery time, errors."""
    duration = 10 if quick else 25
    probes = [Prober(stack.url("/readyz")), Prober(stack.url("/api/v1/posts/"))]
    load = _load(stack, "auth_list", token, connections=4, duration=duration)
    for probe in probes:
        probe.start()
    time.sleep(3)
    since = probes[0].elapsed()
    restart = _timed(lambda: stack.compose("restart", "--timeout", "30", "db"))
    figures = load.result()
    seconds_until(lambda: _ok(stack.url("/readyz")), timeout=60)
    ready, listing = (outage(probe.stop(), since=since) for probe in probes)
    recovered = ready["recovered_after"] is not None and (
        listing["recovered_after"] is not None
    )
    summary = (
        f"restart took {restart} s; /readyz: {_recovery(ready)}; the post list: "
        f"{_recovery(listing)}; {figures['errors']} of {figures['requests']} "
        "requests under load failed"
    )
    return result(
        "postgres restart",
        recovered,
        summary,
        restart=restart,
        readyz=ready,
        post_list=listing,
        load=figures,
    )


def redis_restart(stack: Stack, *, token: str, quick: bool, log=print) -> dict:
    """Redis restarted with thumbnail tasks queued and reads under way."""
    duration = 8 if quick else 20
    queued_count = 2 if quick else 8
    stack.compose("stop", "worker")
    image = drill_image()
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        queued = [
            post_image(client, bearer(token), image=image, title=f"queued {i}").json()[
                "id"
            ]
            for i in range(queued_count)
        ]
    probe = Prober(stack.url("/api/v1/posts/"))
    load = _load(stack, "anon_list", token, connections=8, duration=duration)
    probe.start()
    time.sleep(2)
    since = probe.elapsed()
    restart = _timed(lambda: stack.compose("restart", "--timeout", "30", "redis"))
    figures = load.result()
    listing = outage(probe.stop(), since=since)
    stack.compose("start", "worker")
    done_after = seconds_until(
        lambda: not processing(stack, queued), timeout=60 if quick else 120
    )
    lost = len(processing(stack, queued))
    summary = (
        f"restart took {restart} s; {figures['errors']} of {figures['requests']} "
        f"reads failed; {queued_count - lost} of {queued_count} queued thumbnail "
        f"tasks done after the restart ({done_after} s), {lost} lost"
    )
    return result(
        "redis restart",
        lost == 0 and figures["errors"] == 0,
        summary,
        restart=restart,
        load=figures,
        post_list=listing,
        queued=queued_count,
        lost=lost,
        done_after=done_after,
    )


def _load(stack: Stack, scenario: str, token: str, *, connections, duration) -> Load:
    request = BY_NAME[scenario].request(token=token, ids=())
    load = Load(stack.base_url, request, connections=connections, duration=duration)
    load.start()
    return load


def _recovery(figures: dict) -> str:
    """How a probe saw the restart, in words."""
    if not figures["failed"]:
        return "no failed probe"
    if figures["recovered_after"] is None:
        return f"{figures['failed']} failed probes, never 200 again"
    return (
        f"{figures['failed']} failed probes, 200 again "
        f"{figures['recovered_after']} s after the restart began"
    )


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _timed(action) -> float:
    started = time.monotonic()
    action()
    return round(time.monotonic() - started, 2)
