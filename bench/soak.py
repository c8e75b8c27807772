"""Load at a constant arrival rate: the soak, and the open-model latency runs.

wrk's runs are closed loops: each connection waits for its answer, so a slow
server is sent less and its queue never shows. Here h2load sends at fixed rates
(`--rps` per client, many clients), as users arrive, whatever the server does.

The soak mixes what users do (anonymous and signed-in lists, post pages,
writes, a few image uploads) for minutes at a share of the measured capacity,
and samples the resources that leak when something is wrong: memory per
container, PostgreSQL connections, open files in the web containers, Redis
memory, TIME_WAIT sockets in Nginx. Every request's status and latency come
from h2load's per-request log.
"""

import math
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.api import gradient_png
from bench.scenarios import POST_BODY
from bench.stack import Stack

SAMPLE_SECONDS = 10
# Seconds between two requests of one h2load client. A client whose previous
# request is still in flight when its timer fires skips that request, so the
# interval must stay far above the slowest latency or the rate sent falls
# below the rate asked (0.25 s gave 47% of it at a 400 ms p99).
CLIENT_INTERVAL = 2.0
BOUNDARY = "bench-soak-boundary"


class SoakError(RuntimeError):
    """h2load is missing or printed no figures."""


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
    upload = _multipart(gradient_png(size=64))
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
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as workdir:
        runs = _start_mix(
            stack, Path(workdir), token=token, ids=ids, seconds=seconds,
            connections=connections,
        )  # fmt: skip
        figures = [run.result() for run in runs.values()]
    return round(sum(f["rps"] for f in figures), 1)


def run(stack: Stack, *, token: str, ids, rate: float, seconds: float, log=print):
    """The mix at `rate` requests/s for `seconds`; figures per stream, samples."""
    samples = []
    stop = threading.Event()
    sampler = threading.Thread(
        target=_sample_until, args=(stack, stop, samples), daemon=True
    )
    log(f"soak: {rate:.0f} req/s for {seconds:.0f} s")
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as workdir:
        sampler.start()
        runs = _start_mix(
            stack, Path(workdir), token=token, ids=ids, seconds=seconds, rate=rate
        )
        by_stream = {name: run.result() for name, run in runs.items()}
        stop.set()
        sampler.join(timeout=60)
    totals = _totals(by_stream.values(), seconds)
    return {
        "rate": round(rate, 1),
        "seconds": seconds,
        **totals,
        "streams": by_stream,
        "samples": samples,
        "growth": growth(samples),
    }


def open_model(stack: Stack, request_path: str, *, token: str, rate, seconds, ids):
    """One read at a fixed rate: p50/p99 as users arriving at that rate see them."""
    stream = Stream("open", 1.0, request_path, auth=bool(token))
    with tempfile.TemporaryDirectory(prefix="bench-open-") as workdir:
        run = _h2load(
            stack.base_url,
            stream,
            Path(workdir),
            token=token,
            ids=ids,
            rate=rate,
            seconds=seconds,
        )
        return run.result()


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


# --- h2load ----------------------------------------------------------------------
def _start_mix(stack, workdir, *, token, ids, seconds, rate=None, connections=32):
    """One h2load per stream: its share of `rate`, or of `connections` without."""
    runs = {}
    for stream in mix():
        if rate:
            pace = {"rate": rate * stream.share}
        else:
            pace = {"clients": max(1, round(connections * stream.share))}
        runs[stream.name] = _h2load(
            stack.base_url, stream, workdir, token=token, ids=ids, seconds=seconds,
            **pace,
        )  # fmt: skip
    return runs


class _Run:
    def __init__(self, process, log_file: Path, seconds: float):
        self.process, self.log_file, self.seconds = process, log_file, seconds

    def result(self) -> dict:
        stdout, stderr = self.process.communicate(timeout=self.seconds + 120)
        if self.process.returncode != 0:
            raise SoakError(f"h2load exited {self.process.returncode}: {stderr}")
        return _figures(stdout, self.log_file, self.seconds)


def _h2load(base_url, stream, workdir, *, token, ids, seconds, rate=None, clients=1):
    if shutil.which("h2load") is None:
        raise SoakError("h2load is not installed (apt-get install nghttp2-client)")
    log_file = workdir / f"{stream.name}.log"
    command = ["h2load", "--h1", f"--duration={seconds:g}", f"--log-file={log_file}"]
    if rate is not None:
        clients = max(1, math.ceil(rate * CLIENT_INTERVAL))
        command.append(f"--rps={rate / clients:.3f}")
    command += [f"--clients={clients}", "--header=Accept: application/json"]
    if stream.auth:
        command.append(f"--header=Authorization: Bearer {token}")
    if stream.body:
        body = workdir / f"{stream.name}.body"
        body.write_bytes(stream.body)
        command += [f"--data={body}", f"--header=Content-Type: {stream.content_type}"]
    if "{id}" in stream.path:
        uris = workdir / f"{stream.name}.uris"
        uris.write_text("".join(f"{base_url}{stream.path.format(id=i)}\n" for i in ids))
        command.append(f"--input-file={uris}")
    else:
        command.append(base_url + stream.path)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return _Run(process, log_file, seconds)


def _figures(stdout: str, log_file: Path, seconds: float) -> dict:
    """h2load's summary line and its per-request log, as the bench's figures."""
    summary = _summary(stdout)
    latencies, non2xx = [], 0
    for line in log_file.read_text().splitlines():
        _, status, elapsed_us = line.split("\t")
        latencies.append(int(elapsed_us) / 1000)
        non2xx += not 200 <= int(status) < 300
    latencies.sort()
    errors = summary["failed"] + summary["errored"] + summary["timeout"]
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": _percentile(latencies, 50),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "non2xx": non2xx,
        "socket_errors": summary["errored"] + summary["timeout"],
        "errors": max(errors, non2xx),
    }


def _summary(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("requests:"):
            # requests: 32 total, 32 started, 32 done, 32 succeeded, 0 failed, ...
            pairs = (part.split() for part in line.split(":", 1)[1].split(","))
            return {name: int(count) for count, name in pairs}
    raise SoakError(f"h2load printed no summary:\n{stdout}")


def _percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, math.ceil(len(values) * percent / 100) - 1)
    return round(values[max(0, index)], 2)


def _totals(figures, seconds) -> dict:
    figures = list(figures)
    requests = sum(f["requests"] for f in figures)
    return {
        "requests": requests,
        "rps": round(requests / seconds, 1),
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
                stack.docker("exec", containers[name], "sh", "-c", _FDS).strip()
            )
            for name in webs
        },
        "redis_used_mib": _redis_used_mib(stack),
        "nginx_time_wait": int(
            stack.compose("exec", "-T", "nginx", "sh", "-c", _TIME_WAIT).strip()
        ),
    }


def _redis_used_mib(stack: Stack) -> float:
    info = stack.compose("exec", "-T", "redis", "redis-cli", "info", "memory")
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
