"""PNG charts of a run's figures (matplotlib, no display needed)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.scenarios import SCENARIOS


def draw_all(benchmark: dict, directory: Path) -> list[str]:
    """Write every chart the figures allow; return the file names written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    charts = (
        ("throughput.png", _throughput, "scenarios"),
        ("latency-p99.png", _latency, "scenarios"),
        ("workers.png", _workers, "workers"),
        ("memory.png", _memory, "memory_idle_mib"),
    )
    for name, draw, needs in charts:
        if benchmark.get(needs):
            figure = draw(benchmark)
            figure.savefig(directory / name, dpi=100, bbox_inches="tight")
            plt.close(figure)
            written.append(name)
    return written


def _by_connections(benchmark: dict, key: str):
    for scenario in SCENARIOS:
        points = benchmark["scenarios"].get(scenario.name, {})
        connections = sorted(points, key=int)
        yield (
            scenario.title,
            [int(c) for c in connections],
            [points[c][key] for c in connections],
        )


def _line_chart(benchmark, key, ylabel, title):
    figure, axes = plt.subplots(figsize=(8, 4.5))
    ticks = set()
    for label, x, y in _by_connections(benchmark, key):
        axes.plot(x, y, marker="o", label=label)
        ticks.update(x)
    axes.set_xscale("log", base=2)
    axes.set_xticks(sorted(ticks), [str(t) for t in sorted(ticks)])
    axes.set_ylim(bottom=0)
    axes.set_xlabel("concurrent connections")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return figure


def _throughput(benchmark):
    return _line_chart(benchmark, "rps", "requests/s", "Throughput through Nginx")


def _latency(benchmark):
    figure = _line_chart(benchmark, "p99_ms", "p99 latency (ms)", "p99 latency")
    figure.axes[0].axhline(100, color="red", linestyle="--", linewidth=1)
    return figure


def _workers(benchmark):
    scaling = benchmark["workers"]
    workers = sorted(scaling["by_workers"], key=int)
    rps = [scaling["by_workers"][w]["rps"] for w in workers]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.bar(workers, rps, color="tab:blue")
    axes.set_xlabel("gunicorn workers")
    axes.set_ylabel("requests/s")
    axes.set_title(f"{scaling['scenario']} at {scaling['connections']} connections")
    return figure


def _memory(benchmark):
    idle = benchmark["memory_idle_mib"]
    load = benchmark.get("memory_load_mib", {})
    names = sorted(idle)
    positions = range(len(names))
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.bar([p - 0.2 for p in positions], [idle[n] for n in names], 0.4, label="idle")
    axes.bar(
        [p + 0.2 for p in positions],
        [load.get(n, 0) for n in names],
        0.4,
        label="under load",
    )
    axes.set_xticks(list(positions), names)
    axes.set_ylabel("MiB")
    axes.set_title("Memory per container (docker stats)")
    axes.legend()
    return figure
