"""Locust users for bench/soak.py: a request mix at a fixed arrival rate.

Run by bench/soak.py as `locust --headless` with BENCH_SPEC naming a JSON file
that holds the mix (bench/soak.py's `Stream`s), the token, the post ids and the
seconds between two requests of one user. Every request is written to the
spec's log file as `start<TAB>stream<TAB>status<TAB>milliseconds` (status 0: no
answer), so the figures are exact, not locust's rounded percentiles.

Each user sends one request per `interval`, the first at a random moment within
the first interval, so arrivals are spread out rather than in bursts. An interval
of 0 makes a closed loop (each user sends as soon as its previous answer came):
the capacity run.
"""

import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task

SPEC = json.loads(Path(os.environ["BENCH_SPEC"]).read_text())
STREAMS = SPEC["streams"]
WEIGHTS = [stream["share"] for stream in STREAMS]
BODIES = {
    s["name"]: Path(s["body_file"]).read_bytes() for s in STREAMS if s["body_file"]
}
# Load, not secrets: any generator does.
pick = random.Random()  # noqa: S311
_log = open(SPEC["log_file"], "a", buffering=1 << 16)  # noqa: SIM115 (lives with locust)


@events.request.add_listener
def _record(name, response_time, response, **_):
    status = getattr(response, "status_code", 0) or 0
    started = time.time() - response_time / 1000
    _log.write(f"{started:.3f}\t{name}\t{status}\t{response_time:.2f}\n")


@events.quitting.add_listener
def _close(**_):
    _log.close()


class Visitor(FastHttpUser):
    def on_start(self):
        # The first request at a random moment of the first interval, and each
        # next one an interval later: the users' requests stay spread out. With
        # locust's constant_throughput, each user's pace starts when the user
        # does, and locust starts them in batches (the spawn rate's worth once a
        # second): each batch sent together, every interval, and the queue that
        # burst left at the 4 workers was the open model's latency.
        if SPEC["interval"]:
            gevent.sleep(pick.uniform(0, SPEC["interval"]))
        self.due = time.monotonic()

    def wait_time(self):
        """Seconds until this user's next request (none in a closed loop). A
        request answered after its successor was due is followed at once."""
        if not SPEC["interval"]:
            return 0
        self.due += SPEC["interval"]
        return max(0.0, self.due - time.monotonic())

    @task
    def one_request(self):
        stream = pick.choices(STREAMS, weights=WEIGHTS)[0]
        path = stream["path"]
        if "{id}" in path:
            path = path.format(id=pick.choice(SPEC["ids"]))
        headers = {"Accept": "application/json"}
        if stream["auth"]:
            headers["Authorization"] = f"Bearer {SPEC['token']}"
        if stream["name"] in BODIES:
            headers["Content-Type"] = stream["content_type"]
            body = BODIES[stream["name"]]
            self.client.post(path, data=body, headers=headers, name=stream["name"])
        else:
            self.client.get(path, headers=headers, name=stream["name"])
