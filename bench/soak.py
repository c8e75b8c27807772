"""Load at a constant arrival rate: the soak, and the open-model latency runs.

wrk's runs are closed loops: each connection waits for its answer, so a slow
server is sent less and its queue never shows. Here locust users each send a
request per fixed interval (bench/locustfile.py), as users arrive, whatever
the server does.

The soak mixes what users do (anonymous and signed-in lists, post pages,
writes, a few image uploads) for minutes at a share of the measured capacity,
and samples the resources that leak when something is wrong: memory per
container, PostgreSQL connections, open files in the web containers, Redis
memory, TIME_WAIT sockets in Nginx. Every request's status and latency come
from the users' per-request log.

h2load's `--rps` was used before and is not fit for this: against a server
that closes its connections it ignores the rate (asked 20 req/s, it sent 480),
and its clients all fire on the same tick, so its p99 measured its own bursts.
"""

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios import POST_BODY
from bench.stack import Stack
from tests.support.compose import docker
from tests.support.images import png

SAMPLE_SECONDS = 10
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Seconds between two requests of one user. A user whose previous request is
# still in flight when its next is due sends late, so the interval must stay
# far above the slowest latency or the rate sent falls below the rate asked.
CLIENT_INTERVAL = 2.0
# Users (connections to Nginx) at most; faster rates shorten the interval.
MAX_USERS = 400
BOUNDARY = "bench-soak-boundary"


class SoakError(RuntimeError):
    """locust could not run the load."""


@dataclass(frozen=True)
class Stream:
    """One kind of request in the mix and its share of the total rate."""

    name: str
    share: float
    path: str
    auth: bool = False
    body: bytes = b""
    content_type: str = ""


def mix() -> tuple[Stream, ...]:
    upload = _multipart(png((64, 64)))
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    json_body = POST_BODY.encode()
    posts = "/api/v1/posts/"
    return (
        Stream("anon_list", 0.30, posts),
        Stream("auth_list", 0.30, posts, auth=True),
        Stream("auth_detail", 0.30, posts + "{id}/", auth=True),
        Stream("auth_create", 0.08, posts, True, json_body, "application/json"),
        Stream("image_upload", 0.02, posts, True, upload, multipart),
    )


def capacity(stack: Stack, *, token: str, ids, seconds: float, connections=32):
    """Requests per second the mix gets in a closed loop at `connections`."""
    figures = _locust(stack, mix(), token=token, ids=ids, seconds=seconds,
                      users=connections)  # fmt: skip
    return round(sum(f["rps"] for f in figures.values()), 1)


def run(stack: Stack, *, token: str, ids, rate: float, seconds: float, log=print):
    """The mix at `rate` requests/s for `seconds`; figures per stream, samples."""
    samples = []
    stop = threading.Event()
    sampler = threading.Thread(
        target=_sample_until, args=(stack, stop, samples), daemon=True
    )
    log(f"soak: {rate:.0f} req/s for {seconds:.0f} s")
    sampler.start()
    try:
        by_stream = _locust(
            stack, mix(), token=token, ids=ids, seconds=seconds, rate=rate
        )
    finally:
        stop.set()
        sampler.join(timeout=60)
    return {
        "rate": round(rate, 1),
        "seconds": seconds,
        **_totals(by_stream.values()),
        "streams": by_stream,
        "samples": samples,
        "growth": growth(samples),
    }


def open_model(stack: Stack, request_path: str, *, token: str, rate, seconds, ids):
    """One read at a fixed rate: p50/p99 as users arriving at that rate see them."""
    stream = Stream("open", 1.0, request_path, auth=bool(token))
    figures = _locust(
        stack, (stream,), token=token, ids=ids, seconds=seconds, rate=rate
    )
    return figures["open"]


def growth(samples: list[dict]) -> dict:
    """Each resource's median over the last quarter against the first quarter.

    The first minute is left out: caches, pools and workers fill up then.
    """
    settled = [s for s in samples if s["t"] >= 60] or samples
    quarter = max(1, len(settled) // 4)
    first, last = settled[:quarter], settled[-quarter:]
    result = {}
    for name in _series_names(samples):
        before = statistics.median(_values(first, name))
        after = statistics.median(_values(last, name))
        result[name] = {
            "first": round(before, 1),
            "last": round(after, 1),
            "ratio": round(after / before, 3) if before else None,
        }
    return result


# --- locust ----------------------------------------------------------------------
def _locust(stack, streams, *, token, ids, seconds, rate=None, users=32) -> dict:
    """The streams for `seconds`, at `rate` req/s or as a closed loop of `users`."""
    if rate:
        users = min(MAX_USERS, max(1, math.ceil(rate * CLIENT_INTERVAL)))
    interval = users / rate if rate else 0
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as workdir:
        workdir = Path(workdir)
        spec = workdir / "spec.json"
        log_file = workdir / "requests.log"
        spec.write_text(json.dumps({
            "streams": [_stream_spec(s, workdir) for s in streams],
            "token": token, "ids": list(ids), "interval": interval,
            "log_file": str(log_file),
        }))  # fmt: skip
        _run_locust(stack.base_url, spec, users=users, interval=interval,
                    seconds=seconds)  # fmt: skip
        return _figures(log_file.read_text(), [s.name for s in streams])


def _stream_spec(stream: Stream, workdir: Path) -> dict:
    body_file = ""
    if stream.body:
        body_file = workdir / f"{stream.name}.body"
        body_file.write_bytes(stream.body)
    return {
        "name": stream.name, "share": stream.share, "path": stream.path,
        "auth": stream.auth, "body_file": str(body_file),
        "content_type": stream.content_type,
    }  # fmt: skip


def _run_locust(base_url, spec: Path, *, users, interval, seconds):
    """Users start at once, and each sends its first request at a random moment
    of the first interval (bench/locustfile.py); the run lasts that much longer."""
    locust = Path(sys.executable).with_name("locust")
    command = [
        str(locust), "--headless", "--only-summary", "--loglevel=WARNING",
        f"--locustfile={LOCUSTFILE}", f"--host={base_url}",
        f"--users={users}", f"--spawn-rate={users}",
        f"--run-time={math.ceil(seconds + interval)}s", "--stop-timeout=10",
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120,
        env={**os.environ, "BENCH_SPEC": str(spec)},
    )  # fmt: skip
    # Locust exits 1 when any request failed; the log says which, so only a run
    # that could not start is an error here.
    if result.returncode not in (0, 1) or "Traceback" in result.stderr:
        raise SoakError(f"locust exited {result.returncode}: {result.stderr[-2000:]}")


def _figures(log: str, names: list[str]) -> dict:
    """Per stream, from the per-request log: count, rate, latency, failures.

    The rate is over the span from the first request to the last, so the
    users' staggered start does not count as time the load was off.
    """
    rows = [line.split("\t") for line in log.splitlines() if line]
    starts = [float(row[0]) for row in rows]
    span = (max(starts) - min(starts)) if len(starts) > 1 else 1.0
    result = {}
    for name in names:
        mine = [row for row in rows if row[1] == name]
        latencies = sorted(float(row[3]) for row in mine)
        socket_errors = sum(1 for row in mine if row[2] == "0")
        non2xx = sum(1 for row in mine if not 200 <= int(row[2]) < 300)
        result[name] = {
            "requests": len(mine),
            "rps": round(len(mine) / span, 1),
            "p50_ms": _percentile(latencies, 50),
            "p99_ms": _percentile(latencies, 99),
            "max_ms": round(latencies[-1], 2) if latencies else None,
            "non2xx": non2xx - socket_errors,
            "socket_errors": socket_errors,
            "errors": non2xx,
        }
    return result


def _percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, math.ceil(len(values) * percent / 100) - 1)
    return round(values[max(0, index)], 2)


def _totals(figures) -> dict:
    figures = list(figures)
    return {
        "requests": sum(f["requests"] for f in figures),
        "rps": round(sum(f["rps"] for f in figures), 1),
        "non2xx": sum(f["non2xx"] for f in figures),
        "socket_errors": sum(f["socket_errors"] for f in figures),
        "errors": sum(f["errors"] for f in figures),
    }


def _multipart(image: bytes) -> bytes:
    fields = (
        b'Content-Disposition: form-data; name="title"\r\n\r\nSoak upload\r\n',
        b'Content-Disposition: form-data; name="published"\r\n\r\ntrue\r\n',
        b'Content-Disposition: form-data; name="image"; filename="soak.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + image + b"\r\n",
    )
    boundary = f"--{BOUNDARY}\r\n".encode()
    return b"".join(boundary + part for part in fields) + f"--{BOUNDARY}--\r\n".encode()


# --- resources -------------------------------------------------------------------
_FDS = 'n=0; for d in /proc/[0-9]*/fd; do set -- "$d"/*; n=$((n + $#)); done; echo $n'
_TIME_WAIT = "cat /proc/net/tcp /proc/net/tcp6 | awk '$4 == \"06\"' | wc -l"


def sample(stack: Stack) -> dict:
    """The resources that grow when something leaks, now."""
    containers = stack.containers()
    webs = sorted(name for name in containers if "-web-" in name)
    return {
        "memory_mib": stack.memory(),
        "pg_connections": int(
            stack.sql(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend'"
            )[0][0]
        ),
        "web_open_files": {
            name.removeprefix(f"{stack.project}-"): int(
                docker("exec", containers[name], "sh", "-c", _FDS).strip()
            )
            for name in webs
        },
        "redis_used_mib": _redis_used_mib(stack),
        "nginx_time_wait": int(
            stack.exec("nginx", "sh", "-c", _TIME_WAIT).stdout.strip()
        ),
    }


def _redis_used_mib(stack: Stack) -> float:
    info = stack.exec("redis", "redis-cli", "info", "memory").stdout
    for line in info.splitlines():
        if line.startswith("used_memory:"):
            return round(int(line.split(":")[1]) / 2**20, 2)
    return 0.0


def _sample_until(stack: Stack, stop: threading.Event, samples: list):
    started = time.monotonic()
    while not stop.is_set():
        try:
            samples.append({"t": round(time.monotonic() - started), **sample(stack)})
        except Exception as exc:  # a missed sample must not end the soak
            samples.append({"t": round(time.monotonic() - started), "error": str(exc)})
        stop.wait(SAMPLE_SECONDS)


def _series_names(samples: list[dict]) -> list[str]:
    """Flat names of every figure sampled: 'memory_mib.web-1', 'pg_connections'..."""
    names = []
    for entry in samples:
        for key, value in entry.items():
            if key in ("t", "error"):
                continue
            keys = [f"{key}.{k}" for k in value] if isinstance(value, dict) else [key]
            names += [name for name in keys if name not in names]
    return names


def _values(samples: list[dict], name: str) -> list[float]:
    key, _, sub = name.partition(".")
    values = []
    for entry in samples:
        value = entry.get(key)
        value = value.get(sub) if isinstance(value, dict) else value
        if value is not None:
            values.append(float(value))
    return values or [0.0]
