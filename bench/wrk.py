"""Runs wrk with the scenario script and turns what it prints into figures."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("lua") / "scenario.lua"
MARKER = "BENCH_JSON "


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no figures."""


@dataclass(frozen=True)
class Request:
    """What every request of one run sends. `path` may hold "{id}" (see `ids`)."""

    method: str = "GET"
    path: str = "/"
    token: str = ""
    body: str = ""
    ids: tuple[int, ...] = ()


def run(
    base_url: str,
    request: Request,
    *,
    connections: int,
    duration: float,
    timeout: float = 5.0,
    runner: tuple[str, ...] = ("wrk",),
    script: Path = SCRIPT,
) -> dict:
    """Drive `request` at `connections` for `duration` seconds; return the figures.

    One wrk thread is enough for these rates and leaves the cores to the stack.
    `runner` is the command that starts wrk, `script` the scenario as it sees it
    (in_network() runs it in a container).
    """
    if runner == ("wrk",) and shutil.which("wrk") is None:
        raise WrkError("wrk is not installed (apt-get install wrk)")
    command = [
        *runner,
        "--threads=1",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        f"--timeout={max(1, round(timeout))}s",
        f"--script={script}",
        base_url,
        "--",
        request.method,
        request.path,
        request.token,
        request.body,
        ",".join(str(i) for i in request.ids),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + timeout + 30
    )
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}: {completed.stderr.strip()}")
    figures = parse(completed.stdout)
    figures["connections"] = connections
    return figures


def in_network(network: str, image: str) -> dict:
    """run()'s `runner` and `script` for wrk in a container on `network`."""
    mount = f"{SCRIPT.parent}:/lua:ro"
    return {
        "runner": ("docker", "run", "--rm", "--network", network, "-v", mount, image),
        "script": Path("/lua") / SCRIPT.name,
    }


def parse(output: str) -> dict:
    """Figures from wrk's output: the script's JSON line, in seconds and ms."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise WrkError(f"wrk printed no figures:\n{output}")
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(
        raw[key]
        for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "mean_ms": round(latency["mean"] / 1000, 2),
        "non2xx": raw["non2xx"],
        "socket_errors": socket_errors,
        "errors": raw["non2xx"] + socket_errors,
    }
