"""Describes the machine and the code a run measured, for the report."""

import os
import platform
import subprocess
from pathlib import Path

from bench.stack import ROOT


def describe() -> dict:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(_meminfo_kib("MemTotal") / 2**20, 1),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "docker": _output(["docker", "version", "--format", "{{.Server.Version}}"]),
        "wrk": _output(["wrk", "--version"]).split(" [")[0] or "missing",
    }


def commit() -> str:
    """The commit measured, marked "+dirty" when the work tree had changes."""
    sha = _output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "apps"])
    return sha + ("+dirty" if dirty else "")


def load_average() -> float:
    """The 1-minute load average: other work on the machine skews the figures."""
    return round(os.getloadavg()[0], 2)


def _meminfo_kib(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _output(command: list[str]) -> str:
    """The first line a command prints, or "" when it cannot run."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0] if lines else ""
