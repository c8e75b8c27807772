"""A web container's boot, split into phases by the timestamps Docker gives its
log lines: the benchmark's cold-start figures and the e2e startup figure."""

import re
from datetime import datetime

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


def boot_phases(project, service, *, index, up: float, ready: float) -> dict:
    """Seconds spent in each step of the last boot of `service`'s replica `index`,
    started by a `compose up` at `up` and answering at `ready` (epoch seconds)."""
    container = f"{project.project}-{service}-{index}"  # compose's name for it
    started_at = docker_time(inspect(container, "{{.State.StartedAt}}"))
    logs = project.compose(
        "logs", "--timestamps", "--no-log-prefix", f"--index={index}", service
    ).stdout
    return phases_from_logs(logs, up=up, container=started_at, ready=ready)


def phases_from_logs(logs: str, *, up: float, container: float, ready: float) -> dict:
    """Split a boot into phases by the timestamps of its log markers."""
    seen = {}
    for line in logs.splitlines():
        stamp, _, text = line.partition(" ")
        for marker, phase in MARKERS.items():
            if marker in text and phase not in seen:
                at = docker_time(stamp)
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


def docker_time(stamp: str) -> float:
    """Epoch seconds of an RFC 3339 time with up to nanoseconds, as Docker writes."""
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", stamp.strip()).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()
