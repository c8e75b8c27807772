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
    """Shares of samples per function from py-spy's raw (collapsed) output."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_function(frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    if not total:
        return {"samples": 0, "own": [], "inclusive": []}
    return {
        "samples": total,
        "own": _shares(own, total, top),
        "inclusive": _shares(_interesting(inclusive), total, top),
    }


def _function(frame: str) -> str:
    return _LINE_NUMBER.sub(")", frame.strip())


def _interesting(counts: Counter) -> Counter:
    """Inclusive counts without the frames every request passes through."""
    plumbing = ("threading.py", "concurrent/futures", "gunicorn/", "handlers/base.py")
    return Counter(
        {
            frame: n
            for frame, n in counts.items()
            if not any(p in frame for p in plumbing)
        }
    )


def _shares(counts: Counter, total: int, top: int) -> list[dict]:
    return [
        {"function": frame, "share": round(count / total, 3)}
        for frame, count in counts.most_common(top)
    ]


def _gunicorn_master(stack: Stack) -> str:
    container = stack.compose("ps", "--quiet", "web").split()[0]
    return stack.inspect(container, "{{.State.Pid}}")
