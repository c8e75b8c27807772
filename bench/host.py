"""The application served on the host, beside the stack: the ceiling, and the
server configurations compared on equal terms.

The stack's own figures cannot tell what its server configuration costs from
what the framework costs: a baseline served by the same configuration shares
its defects. Here the same code runs on the host, without Docker or Nginx,
against the benchmark stack's PostgreSQL and Redis (published on loopback by
the overlay). Plain `gunicorn -w N` (sync, no configuration file) is the
ceiling; the project's docker/gunicorn.conf.py and its alternatives run beside
it in the same run. For each: requests per second and the server's CPU time per
request, read from /proc (workers recycled meanwhile included).
"""

import contextlib
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import wrk
from bench.stack import ROOT, Stack

PORT = 18470
PROJECT_CONFIG = ["--config", "docker/gunicorn.conf.py"]
PLAIN = ["--config", "/dev/null"]
# The worker class the project used before (its keep-alive was 5 s).
GTHREAD = ["--worker-class", "gthread", "--keep-alive", "5"]
# The trivial view (no I/O) and the cheapest authenticated API call.
PATHS = {"baseline": "/bench/baseline", "me": "/api/v1/users/me/"}
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# TemporaryDirectory makes a private directory (mode 0700) there.
_SHM = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108


@dataclass(frozen=True)
class Server:
    label: str
    args: tuple[str, ...]
    env: dict = field(default_factory=dict)


CEILING = Server("plain sync, 2 workers", (*PLAIN, "--workers", "2"))
# The project's default worker count, without its configuration: what the
# project's CPU per request is compared with.
SAME_WORKERS = Server("plain sync, 4 workers", (*PLAIN, "--workers", "4"))


# Stands for the address of otlp_sink(), started for the server that names it.
OTLP_SINK = "otlp-sink"


def project(label: str, *extra_args: str, metrics=True, **env: str) -> Server:
    """The project's configuration as the web container runs it, `env` over it:
    metrics in prometheus-client's multiprocess mode, whose directory the
    entrypoint sets (running() makes a fresh one); metrics=False: in-process."""
    settings = {"PROMETHEUS_MULTIPROC_DIR": ""} if metrics else {}
    return Server(label, (*PROJECT_CONFIG, *extra_args), {**settings, **env})


PROJECT = project("project default")
TRACING_ON = project(
    "project, tracing on (every request, to a local receiver)",
    OTEL_EXPORTER_OTLP_ENDPOINT=OTLP_SINK,
)
METRICS_OFF = project(
    "project, request metrics off",
    metrics=False,
    DJANGO_SETTINGS_MODULE="bench.site.nometrics",
)
# Measured one right after the other in every round: the cost of the metrics is
# judged on their ratio round by round (bench/targets.py, paired_share).
BACK_TO_BACK = ((PROJECT, METRICS_OFF),)
SERVERS = (
    CEILING,
    SAME_WORKERS,
    PROJECT,
    project("project, 2 workers", GUNICORN_WORKERS="2"),
    project(
        "project, Django's connection pool", DJANGO_SETTINGS_MODULE="bench.site.pool"
    ),
    project("project, gunicorn access log on", GUNICORN_ACCESS_LOG="true"),
    TRACING_ON,
    METRICS_OFF,
    project(
        "project, recycled every 1,000 requests",
        GUNICORN_MAX_REQUESTS="1000",
        GUNICORN_MAX_REQUESTS_JITTER="100",
    ),
    project(
        "before: gthread 2x4, keep-alive 5 s, recycled every 1,000",
        *GTHREAD,
        "--threads",
        "4",
        GUNICORN_WORKERS="2",
        GUNICORN_MAX_REQUESTS="1000",
        GUNICORN_MAX_REQUESTS_JITTER="100",
    ),
    project("gthread 4x1, keep-alive 5 s", *GTHREAD, "--threads", "1"),
)


def compare(
    stack: Stack,
    *,
    token: str,
    duration: float,
    warmup: float,
    rounds: int = 1,
    connections: int = 32,
    servers: tuple[Server, ...] = SERVERS,
    log=print,
) -> dict:
    """{server label: {path name: figures}}: each server measured `rounds` times,
    in a new random order each round (BACK_TO_BACK pairs kept together), and its
    median run kept.

    Servers measured one after the other in a fixed order drift with the machine
    (a later one met a warmer or a busier machine): the first full run here put
    the same configuration at 0.75x and 0.92x of the ceiling. Interleaved rounds
    in shuffled order, and the median, take that drift out of the ratios.
    """
    runs = {server.label: {name: [] for name in PATHS} for server in servers}
    order = list(servers)
    shuffle = random.Random(0)  # noqa: S311 - an order, not a secret
    for round_ in range(1, rounds + 1):
        shuffle.shuffle(order)
        for server in round_order(order):
            log(f"  host, round {round_} of {rounds}: {server.label}")
            with running(stack, server) as process:
                for name, path in PATHS.items():
                    runs[server.label][name].append(
                        measure(
                            process,
                            path,
                            token=token if name == "me" else "",
                            connections=connections,
                            duration=duration,
                            warmup=warmup,
                        )
                    )
    return {
        label: {name: median_run(points) for name, points in by_path.items()}
        for label, by_path in runs.items()
    }


def round_order(shuffled: list[Server]) -> list[Server]:
    """The shuffled order, with each BACK_TO_BACK pair next to each other."""
    order = list(shuffled)
    for first, second in BACK_TO_BACK:
        if first in order and second in order:
            order.remove(second)
            order.insert(order.index(first) + 1, second)
    return order


def median_run(points: list[dict]) -> dict:
    """The run of median throughput, with every run's req/s beside it."""
    ranked = sorted(points, key=lambda point: point["rps"])
    return {**ranked[(len(ranked) - 1) // 2], "rps_runs": [p["rps"] for p in points]}


def measure(process, path, *, token, connections, duration, warmup) -> dict:
    request = wrk.Request(path=path, token=token)
    base_url = f"http://127.0.0.1:{PORT}"
    wrk.run(base_url, request, connections=connections, duration=warmup)
    before = cpu_seconds(process.pid)
    figures = wrk.run(base_url, request, connections=connections, duration=duration)
    spent = cpu_seconds(process.pid) - before
    if figures["requests"]:
        figures["cpu_ms_per_request"] = round(spent * 1000 / figures["requests"], 3)
    return figures


@contextlib.contextmanager
def running(stack: Stack, server: Server):
    """gunicorn on 127.0.0.1:PORT with `server`'s options, stopped on the way out."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), *server.args, "--bind", f"127.0.0.1:{PORT}"]
    env = environment(stack, server.env)
    with (
        tempfile.NamedTemporaryFile(prefix="bench-host-", suffix=".log") as log,
        # In memory, as the containers' /tmp is.
        tempfile.TemporaryDirectory(dir=_SHM, prefix="bench-metrics-") as metrics,
        otlp_sink() as sink,
    ):
        if "PROMETHEUS_MULTIPROC_DIR" in env:
            env["PROMETHEUS_MULTIPROC_DIR"] = metrics
        if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == OTLP_SINK:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink
        process = subprocess.Popen(
            [*command, "config.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_answering(process, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def otlp_sink():
    """An OTLP/HTTP receiver on 127.0.0.1 that takes every export and keeps none:
    what tracing costs the server, without a collector's own work."""

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def environment(stack: Stack, extra: dict) -> dict:
    """The stack's settings, pointed at its published PostgreSQL and Redis."""
    secrets = stack.secrets()
    user, db = secrets.get("POSTGRES_USER", "app"), secrets.get("POSTGRES_DB", "app")
    password = secrets["POSTGRES_PASSWORD"]
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "bench.site.settings",
        "SECRET_KEY": secrets["SECRET_KEY"],
        "JWT_SIGNING_KEY": secrets["JWT_SIGNING_KEY"],
        "DATABASE_URL": (
            f"postgres://{user}:{password}@127.0.0.1:{stack.db_port}/{db}"
        ),
        "REDIS_URL": f"redis://127.0.0.1:{stack.redis_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{stack.redis_port}/1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "JWT_ACCESS_TOKEN_MINUTES": "120",
        "LOG_FORMAT": "json",
        # The values are counted; serving them is not what is measured here.
        "METRICS_PORT": "0",
        **extra,
    }


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and its children, reaped ones included."""
    ticks = _stat_ticks(pid, children=True)
    for child in _children(pid):
        ticks += _stat_ticks(child, children=False)
    return ticks / _CLOCK_TICKS


def _stat_ticks(pid: int, *, children: bool) -> int:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:  # a worker that exited just now
        return 0
    fields = text.rsplit(")", 1)[1].split()
    # Fields 14-17 of proc(5): utime, stime, cutime, cstime (here from index 11).
    ticks = int(fields[11]) + int(fields[12])
    return ticks + (int(fields[13]) + int(fields[14]) if children else 0)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _wait_answering(process, log, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(log.name).read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on the host did not answer within {timeout} s")
