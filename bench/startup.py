"""Cold start: from `docker compose up` to /readyz 200, and where the time goes."""

import statistics
import time

from bench.stack import Stack
from tests.support.startup import boot_phases


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
        ready = started + web_runs[-1]
        phases.append(boot_phases(stack, "web", index=1, up=started, ready=ready))
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


def _median_phases(runs: list[dict]) -> dict[str, float]:
    if not runs:
        return {}
    return {
        name: round(statistics.median(run.get(name, 0.0) for run in runs), 2)
        for name in runs[-1]
    }
