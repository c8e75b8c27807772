"""Processes that count and exit, for the compaction tests.

Each scenario runs in an interpreter of its own (`python -m
apps.core.tests.multiprocess_scenarios <name> <numbers>`, PROMETHEUS_MULTIPROC_DIR
set), as prometheus-client picks multiprocess mode when it is imported, and prints
one JSON object for the test to judge. Children are real forks that write their own
files and exit; the parent plays gunicorn's master: it reaps them, then compacts,
from the thread that forked them. What the children count is planned by the pure
functions at the top, which the tests use to know what to expect.
"""

import functools
import json
import logging
import operator
import os
import random
import socket
import sys
import threading
import time
import urllib.request

MODES = ("min", "max", "sum", "mostrecent", "livesum", "liveall", "all")


def durations(seed: int, count: int) -> list[float]:
    """What child `seed` observes: float seconds over six orders of magnitude."""
    rng = random.Random(seed)
    return [rng.random() * 10 ** rng.randint(-4, 1) for _ in range(count)]


def child_sum(seed: int, count: int) -> float:
    """The `_sum` child `seed` writes: its observations added one by one, as
    prometheus-client does (sum() compensates its rounding since Python 3.12)."""
    return functools.reduce(operator.add, durations(seed, count), 0.0)


def rounds_plan(count: int, per_round: int) -> list[list[tuple[int, int]]]:
    """Per round, the (seed, requests) of each child that counts and exits."""
    firsts = [1000 * (i + 1) for i in range(count)]
    return [
        [(seed, seed % 7 + 1) for seed in range(first, first + per_round)]
        for first in firsts
    ]


def live_plan(live: int) -> list[tuple[int, int]]:
    """The (seed, requests) of the children that stay up through every round."""
    return [(seed, 3) for seed in range(live)]


def race_plan(count: int) -> list[tuple[int, int]]:
    return [(seed, seed % 5 + 1) for seed in range(count)]


def _lock_state_at_fork():
    # Runs in the parent just before each fork: the child inherits this snapshot
    # of the directory lock, whatever the module's own fork hook does next.
    from apps.core.metrics import multiprocess

    _at_fork["held"] = multiprocess.LOCK.locked()


_at_fork = {}
logger = logging.getLogger("scenario")


def directory() -> str:
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


@functools.cache
def metrics():
    from prometheus_client import Counter, Histogram

    return (
        Counter("t_requests", "Requests.", ["view"]),
        Histogram("t_seconds", "Seconds.", ["view"]),
    )


def fork(seed: int, count: int, *, until=None) -> int:
    """A child that counts `count` requests, waits for `until` (a pipe) and exits."""
    requests, seconds = metrics()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        for value in durations(seed, count):
            requests.labels("home").inc()
            seconds.labels("home").observe(value)
        if until is not None:
            os.read(until, 1)
    except BaseException:
        code = 1
    os._exit(code)


def reap(pids, timeout: float = 30) -> list[int]:
    """Exit codes; a child still running after `timeout` is stuck: -1."""
    codes, deadline = {}, time.monotonic() + timeout
    while len(codes) < len(pids) and time.monotonic() < deadline:
        for pid in set(pids) - set(codes):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                codes[pid] = os.waitstatus_to_exitcode(status)
        time.sleep(0.005)
    return [codes.get(pid, -1) for pid in pids]


def compact() -> int:
    from apps.core.metrics.compaction import compact

    return compact(directory())


def listing() -> list[str]:
    return sorted(os.listdir(directory()))


def exposition() -> dict:
    """What a scrape of the directory reads: {sample with labels: value}."""
    from prometheus_client import CollectorRegistry, generate_latest

    from apps.core.metrics.multiprocess import DirectoryCollector

    registry = CollectorRegistry()
    registry.register(DirectoryCollector(directory()))
    return samples(generate_latest(registry).decode())


def samples(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        f"{s.name}{sorted(s.labels.items())}": s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def changed(before: dict, after: dict) -> dict:
    pairs = {k: [before.get(k), after.get(k)] for k in before.keys() | after.keys()}
    return {key: pair for key, pair in pairs.items() if pair[0] != pair[1]}


def rounds(count: int, per_round: int, live: int) -> dict:
    """Rounds of children that count and exit, while `live` others stay up."""
    read_end, write_end = os.pipe()
    staying = [fork(seed, n, until=read_end) for seed, n in live_plan(live)]
    report = []
    for children in rounds_plan(count, per_round):
        codes = reap([fork(seed, n) for seed, n in children])
        files_before, before = listing(), exposition()
        merged = compact()
        files_after, after = listing(), exposition()
        report.append({
            "codes": codes, "merged": merged, "files_before": files_before,
            "files_after": files_after, "changed": changed(before, after),
        })  # fmt: skip
    os.write(write_end, b"x" * live)  # one byte each: go
    live_codes = reap(staying)
    merged_at_end = compact()
    return {
        "rounds": report, "live_pids": staying, "live_codes": live_codes,
        "merged_at_end": merged_at_end, "files_end": listing(), "totals": exposition(),
    }  # fmt: skip


def race(count: int) -> dict:
    """Children fork, count and exit while two threads scrape the real endpoint."""
    from apps.core.metrics.exposition import metrics_serve

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert metrics_serve(port=port)
    seen, errors, stop = [[], []], [], threading.Event()

    def scrape(mine):
        # Each thread in turn, as Prometheus scrapes: its own sequence to judge.
        while not stop.is_set():
            url = f"http://127.0.0.1:{port}/"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    mine.append(samples(response.read().decode()))
            except OSError as error:  # HTTPError (a 500) included
                errors.append(repr(error))
                return

    scrapers = [threading.Thread(target=scrape, args=(mine,)) for mine in seen]
    for thread in scrapers:
        thread.start()
    codes, held, file_counts = [], 0, []
    for seed, n in race_plan(count):
        pid = fork(seed, n)
        held += _at_fork["held"]
        codes += reap([pid])
        compact()
        file_counts.append(len(listing()))
    stop.set()
    for thread in scrapers:
        thread.join()
    return {
        "codes": codes, "scrapes": seen, "errors": errors, "file_counts": file_counts,
        "forks_while_a_scrape_held_the_lock": held, "totals": exposition(),
    }  # fmt: skip


def held_lock() -> dict:
    """A child forked while another thread holds the directory lock can take it,
    log and count."""
    from apps.core.metrics import multiprocess

    requests, _ = metrics()
    taken, release = threading.Event(), threading.Event()

    def scrape_in_progress():
        with multiprocess.LOCK:
            taken.set()
            release.wait()

    holder = threading.Thread(target=scrape_in_progress)
    holder.start()
    taken.wait()
    pid = os.fork()
    if pid == 0:
        logger.warning("child %s counting", os.getpid())
        requests.labels("home").inc()
        got = multiprocess.LOCK.acquire(timeout=5)
        os._exit(0 if got and _at_fork["held"] else 1)
    code = reap([pid])[0]
    release.set()
    holder.join()
    return {"code": code}


def gauges() -> dict:
    """Three children set a gauge of each mode and exit, one stays up; the values
    before and after a compaction, and the files."""
    from prometheus_client import Gauge
    from prometheus_client.multiprocess import MultiProcessCollector

    made = {m: Gauge(f"t_{m}", m, ["k"], multiprocess_mode=m) for m in MODES}
    read_end, write_end = os.pipe()

    def child(value, *, stay=False):
        pid = os.fork()
        if pid == 0:
            for gauge in made.values():
                gauge.labels("x").set(value)
            if stay:
                os.read(read_end, 1)
            os._exit(0)
        time.sleep(0.05)  # mostrecent: each child's time after the one before
        return pid

    staying = child(5, stay=True)
    codes = reap([child(value) for value in (1, 2, 3)])

    def values():
        names = [n for n in listing() if n.startswith("gauge_")]
        files = [os.path.join(directory(), name) for name in names]
        return samples_of(MultiProcessCollector.merge(files))

    before = values()
    merged = compact()
    after = values()
    os.write(write_end, b"x")
    reap([staying])
    return {
        "codes": codes, "merged": merged, "before": before, "after": after,
        "staying": staying, "files": listing(),
    }  # fmt: skip


def samples_of(families) -> dict:
    return {
        f"{s.name}{sorted(s.labels.items())}": s.value
        for family in families
        for s in family.samples
    }


def corrupt() -> dict:
    """A child's counter file is damaged after it exits: that kind is kept as it
    was, the histogram merged, and the compaction returns."""
    codes = reap([fork(7, 3)])
    counters = [n for n in listing() if n.startswith("counter_")]
    with open(os.path.join(directory(), counters[0]), "r+b") as damaged:
        damaged.write((10**6).to_bytes(4, "little"))  # claims a megabyte in use
    before = listing()
    merged = compact()
    return {"codes": codes, "merged": merged, "before": before, "after": listing()}


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr)
    os.register_at_fork(before=_lock_state_at_fork)
    name, *numbers = sys.argv[1:]
    scenarios = {
        "rounds": rounds, "race": race, "held_lock": held_lock, "gauges": gauges,
        "corrupt": corrupt,
    }  # fmt: skip
    sys.stdout.write(json.dumps(scenarios[name](*map(int, numbers))) + "\n")
