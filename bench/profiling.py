"""Samples the web workers with py-spy while wrk drives one scenario.

py-spy runs on the host and attaches to the container's gunicorn master by its
host PID (`--subprocesses` follows the workers, which max_requests recycles), so
the image needs neither the profiler nor extra capabilities.
"""

import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench import wrk
from bench.stack import ROOT, Stack
from tests.support.compose import inspect

_LINE_NUMBER = re.compile(r":\d+\)$")


def py_spy() -> str | None:
    """The py-spy executable: $PATH, else the host virtualenv's."""
    found = shutil.which("py-spy")
    local = ROOT / ".venv" / "bin" / "py-spy"
    return found or (str(local) if local.exists() else None)


def profile(
    stack: Stack, request: wrk.Request, *, connections: int, duration: float
) -> dict:
    """Top frames by own time and by inclusive time under the given load."""
    executable = py_spy()
    if executable is None:
        return {"skipped": "py-spy not installed (pip install py-spy)"}
    master = _gunicorn_master(stack)
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "stacks.txt"
        command = [
            executable, "record", "--pid", master, "--subprocesses", "--nonblocking",
            "--rate", "250", "--duration", str(max(1, round(duration - 2))),
            "--format", "raw", "--output", str(output),
        ]  # fmt: skip
        load = threading.Thread(
            target=wrk.run,
            args=(stack.base_url, request),
            kwargs={"connections": connections, "duration": duration},
        )
        load.start()
        subprocess.run(command, capture_output=True, timeout=duration + 60)
        load.join()
        stacks = output.read_text() if output.exists() else ""
    return summarize(stacks)


def summarize(raw: str, top: int = 12) -> dict:
    """Where the web workers' samples went, from py-spy's raw (collapsed) output.

    Samples waiting for work (selector, queue, signals) are dropped. The rest are
    split into `shares` by CATEGORIES (first match wins). `own` and `inclusive`
    rank functions within Django's request handling only: own time, and time with
    callees minus the frames every request passes through.
    """
    own, inclusive, shares = Counter(), Counter(), Counter()
    busy = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [
            _function(f) for f in stack.split(";") if not f.startswith("process ")
        ]
        if not frames or frames[-1].startswith(IDLE):
            continue
        busy += int(count)
        category = _category(frames)
        shares[category] += int(count)
        if category != REQUEST_CATEGORY:
            continue
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    requests = shares[REQUEST_CATEGORY] or 1
    return {
        "samples": busy,
        "shares": {
            name: round(shares[name] / (busy or 1), 3) for name, _ in CATEGORIES
        },
        "own": _shares(own, requests, top),
        "inclusive": _shares(_interesting(inclusive), requests, top),
    }


REQUEST_CATEGORY = "Django request handling"
CATEGORIES = (
    ("importing modules (a recycled worker starting)", "_find_and_load"),
    ("gunicorn access log", "JsonLogger.access"),
    (REQUEST_CATEGORY, "WSGIHandler.__call__"),
    ("other gunicorn work (parse, write, poll)", ""),
)


def _category(frames: list[str]) -> str:
    for name, marker in CATEGORIES:
        if any(frame.startswith(marker) for frame in frames):
            return name
    return CATEGORIES[-1][0]


IDLE = (
    "EpollSelector.select",
    "Arbiter.wait_for_signals",
    "Arbiter.sleep",
    "_worker (concurrent/futures/thread.py)",
    "Condition.wait",
    "select (",
)


def _function(frame: str) -> str:
    return _LINE_NUMBER.sub(")", frame.strip())


def _interesting(counts: Counter) -> Counter:
    """Inclusive counts without the frames every request passes through."""
    plumbing = (
        "threading.py", "concurrent/futures", "gunicorn", "handlers/base.py",
        "handlers/exception.py", "handlers/wsgi.py", "utils/deprecation.py",
        "apps/core/middleware.py", "whitenoise/middleware.py",
        "rest_framework/views.py",
        "rest_framework/viewsets.py", "csrf.py", "django/views/generic/base.py",
    )  # fmt: skip
    return Counter(
        {f: n for f, n in counts.items() if not any(p in f for p in plumbing)}
    )


def _shares(counts: Counter, total: int, top: int) -> list[dict]:
    return [
        {"function": frame, "share": round(count / total, 3)}
        for frame, count in counts.most_common(top)
    ]


def _gunicorn_master(stack: Stack) -> str:
    container = stack.container_ids("web")[0]
    return inspect(container, "{{.State.Pid}}")
