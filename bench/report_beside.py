"""The report's sections for what bench/beside.py measures, and the soak's chart."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench import host as host_servers
from bench import targets
from bench.markdown import table

SOAK_CHART = "soak.png"
OPEN_MODEL_HEADERS = [
    "scenario", "share", "offered req/s", "served req/s", "p50 ms", "p99 ms", "errors",
]  # fmt: skip
SOAK_HEADERS = [
    "stream", "req/s", "requests", "p50 ms", "p99 ms", "non-2xx", "socket errors",
]  # fmt: skip


def in_measured_order(servers: dict | None) -> dict | None:
    """The host's rows in bench/host.py's order, the ceiling first: results.json
    is saved with sorted keys, and `bench report` renders it again from there."""
    if not servers:
        return servers
    known = [server.label for server in host_servers.SERVERS]
    rank = {label: index for index, label in enumerate(known)}
    return dict(sorted(servers.items(), key=lambda item: rank.get(item[0], len(rank))))


def host(benchmark: dict) -> str:
    servers = in_measured_order(benchmark.get("host"))
    if not servers:
        return ""
    ceiling = next(iter(servers.values()))
    rows = []
    for label, paths in servers.items():
        row = [label]
        for name in ("baseline", "me"):
            point = paths[name]
            ratio = point["rps"] / ceiling[name]["rps"] if ceiling[name]["rps"] else 0
            row += [
                f"{point['rps']:.0f}",
                f"{ratio:.2f}x",
                _cell(point.get("cpu_ms_per_request")),
                point["errors"],
            ]
        rows.append(row)
    efficiency = targets.stack_efficiency(benchmark.get("scenarios", {}), servers)
    return "\n\n".join(
        [
            "## Server configurations on the host",
            "The same application served on the host by each configuration "
            "(no Docker, no Nginx; the benchmark stack's PostgreSQL and Redis), wrk "
            "at 32 connections straight to gunicorn, in rounds that take every "
            "configuration in a new random order (the default and its run without "
            "request metrics back to back: their cost is the median of the rounds' "
            "ratios); each row is a configuration's median run (every run's req/s "
            "are in results.json). The project's rows "
            "count metrics as the containers do (multiprocess files in memory). "
            "CPU is the server's own user "
            "and system time per request (master and workers, recycled ones "
            "included), from /proc. The first row is the ceiling; the ratios are "
            f"to it. Stack efficiency (in-stack baseline / host ceiling): "
            f"{_cell(efficiency)}.",
            table(
                [
                    "server",
                    "baseline req/s",
                    "vs ceiling",
                    "CPU ms/req",
                    "errors",
                    "/users/me/ req/s",
                    "vs ceiling",
                    "CPU ms/req",
                    "errors",
                ],
                rows,
            ),
        ]
    )


def load_from(benchmark: dict) -> str:
    measured = benchmark.get("load_from")
    if not measured:
        return ""
    rows = [
        [where, f"{p['rps']:.0f}", p["p50_ms"], p["p99_ms"], p["errors"]]
        for where, p in measured.items()
    ]
    return "\n\n".join(
        [
            "## Load from the host and from the stack's network",
            "The baseline at 32 connections: wrk on the host through the published "
            "port (Docker's proxy and NAT in the path), and wrk in a container on "
            "the `edge` network straight to `nginx:80`.",
            table(["wrk runs on", "req/s", "p50 ms", "p99 ms", "errors"], rows),
        ]
    )


def open_model(benchmark: dict) -> str:
    runs = benchmark.get("open_model")
    if not runs:
        return ""
    rows = [
        [name, share, p["rate"], f"{p['rps']:.0f}", p["p50_ms"], p["p99_ms"],
         p["errors"]]
        for name, points in runs.items()
        for share, p in points.items()
    ]  # fmt: skip
    return "\n\n".join(
        [
            "## Latency at fixed arrival rates (open model)",
            "Locust users send each read at a fixed rate, 50% and 80% of its peak "
            "in the closed-loop matrix, one request per user per interval with "
            "their starts spread out: latency as users arriving at that rate see "
            "it, queueing included.",
            table(OPEN_MODEL_HEADERS, rows),
        ]
    )


def soak(soak: dict | None, directory: Path) -> str:
    if not soak:
        return ""
    chart(soak, directory / SOAK_CHART)
    rows = [
        [name, f"{p['rps']:.1f}", p["requests"], p["p50_ms"], p["p99_ms"],
         p["non2xx"], p["socket_errors"]]
        for name, p in soak["streams"].items()
    ]  # fmt: skip
    growth = [
        [name, g["first"], g["last"], _cell(g["ratio"])]
        for name, g in soak["growth"].items()
    ]
    return "\n\n".join(
        [
            "## Soak",
            f"{soak['seconds'] / 60:g} minutes through Nginx, {soak['rate']} req/s "
            f"asked ({soak['share']:.0%} of the mix's capacity, {soak['capacity']} "
            f"req/s in a closed loop at 32 connections) and {soak['rps']} req/s "
            f"sent and answered ({soak['rps'] / soak['capacity']:.0%} of capacity): "
            f"{soak['requests']} requests, {soak['non2xx']} non-2xx, "
            f"{soak['socket_errors']} socket errors. Resources sampled every 10 s.",
            table(SOAK_HEADERS, rows),
            "Resources: median over the first and the last quarter of the run "
            "(after its first minute).",
            table(["resource", "first", "last", "last / first"], growth),
            f"![soak]({SOAK_CHART})",
        ]
    )


def chart(soak: dict, path: Path):
    samples = [s for s in soak["samples"] if "error" not in s]
    minutes = [s["t"] / 60 for s in samples]
    panels = (
        ("memory per container (MiB)", "memory_mib"),
        ("open files per web container", "web_open_files"),
        ("PostgreSQL connections", "pg_connections"),
        ("Redis memory (MiB)", "redis_used_mib"),
        ("TIME_WAIT sockets in Nginx", "nginx_time_wait"),
    )
    figure, axes = plt.subplots(len(panels), 1, figsize=(8, 2.2 * len(panels)))
    for axis, (title, key) in zip(axes, panels, strict=True):
        for label, values in _series(samples, key).items():
            axis.plot(minutes, values, label=label)
        axis.set_title(title, fontsize=9)
        axis.set_ylim(bottom=0)
        if isinstance(samples[0].get(key) if samples else None, dict):
            axis.legend(fontsize=7, loc="upper left", ncol=4)
    axes[-1].set_xlabel("minutes into the soak")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)


def _series(samples: list[dict], key: str) -> dict[str, list]:
    first = samples[0].get(key) if samples else None
    if isinstance(first, dict):
        return {name: [s[key].get(name) for s in samples] for name in first}
    return {key: [s.get(key) for s in samples]}


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else value
