"""Cold start: from `docker compose up` to /readyz 200, and where the time goes."""

import re
import statistics
import time
from datetime import datetime

from bench.stack import Stack
from tests.support.compose import inspect

# Messages the web container logs as it boots (entrypoint.sh, then gunicorn), each
# naming the phase it begins, in JSON or text lines alike. Phases are ordered by
# when they were logged.
MARKERS = {
    "applying migrations": "migrate (nothing to apply)",
    "collecting static files": "collectstatic",
    # gunicorn's master imports the application before it logs (preload_app).
    "starting gunicorn": "gunicorn: import the application",
    "Starting gunicorn": "gunicorn master start",
    "Booting worker": "worker start -> /readyz 200 via Nginx",
}


def measure(stack: Stack, *, runs: int, log=print) -> dict:
    """Cold-start the whole stack, then the web container alone, `runs` times each.

    Images are built and the database is migrated, as for any restart after the
    first deploy: the clock covers containers starting, health-gated dependencies,
    the entrypoint and gunicorn, until Nginx answers /readyz with 200.
    """
    stack_runs, web_runs, phases = [], [], []
    for _ in range(runs):
        stack.compose("stop", "--timeout", "30")
        stack_runs.append(_timed_up(stack, "up", "--detach"))
        log(f"  cold start, whole stack: {stack_runs[-1]:.2f} s")
    for _ in range(runs):
        started = time.time()
        web_runs.append(
            _timed_up(stack, "up", "--detach", "--no-deps", "--force-recreate", "web")
        )
        phases.append(boot_phases(stack, started=started, ready=started + web_runs[-1]))
        log(f"  cold start, web container: {web_runs[-1]:.2f} s")
    return {
        "stack_seconds": stack_runs,
        "stack_median": round(statistics.median(stack_runs), 2),
        "web_seconds": web_runs,
        "web_median": round(statistics.median(web_runs), 2),
        "web_phases": _median_phases(phases),
    }


def _timed_up(stack: Stack, *args: str) -> float:
    started = time.monotonic()
    stack.compose(*args, timeout=300)
    stack.wait_ready(timeout=180, interval=0.05)
    return round(time.monotonic() - started, 2)


def boot_phases(stack: Stack, *, started: float, ready: float) -> dict[str, float]:
    """Seconds spent in each step of the web container's last boot."""
    container = stack.container_ids("web")[0]
    started_at = _parse_time(inspect(container, "{{.State.StartedAt}}"))
    logs = stack.compose("logs", "--timestamps", "--no-log-prefix", "web").stdout
    return phases_from_logs(logs, up=started, container=started_at, ready=ready)


def phases_from_logs(logs: str, *, up: float, container: float, ready: float) -> dict:
    """Split a boot into phases by the timestamps of its log markers."""
    seen = {}
    for line in logs.splitlines():
        stamp, _, text = line.partition(" ")
        for marker, phase in MARKERS.items():
            if marker in text and phase not in seen:
                at = _parse_time(stamp)
                if at >= container - 1:  # this boot, not an earlier one
                    seen[phase] = at
    starts = [
        ("compose up -> container started", up),
        ("entrypoint: wait_for_db, Django setup", container),
        *sorted(seen.items(), key=lambda item: item[1]),
    ]
    ends = [at for _, at in starts[1:]] + [ready]
    return {
        phase: round(max(0.0, end - start), 2)
        for (phase, start), end in zip(starts, ends, strict=True)
    }


def _median_phases(runs: list[dict]) -> dict[str, float]:
    if not runs:
        return {}
    return {
        name: round(statistics.median(run.get(name, 0.0) for run in runs), 2)
        for name in runs[-1]
    }


def _parse_time(stamp: str) -> float:
    """Epoch seconds of an RFC 3339 time with up to nanoseconds, as Docker writes."""
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", stamp.strip()).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()
