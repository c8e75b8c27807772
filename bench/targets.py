"""The issue's targets for this 2-core machine, judged on one run's figures.

Reported as passed or missed, never asserted: a slow machine must not fail a build.
Throughput ratios compare each scenario's peak requests/s (its best concurrency)
with the baseline's peak in the same run.
"""

from bench.scenarios import BASELINE, SCENARIOS

P99_CONNECTIONS = "32"
P99_LIMIT_MS = 100.0
IMAGE_LIMIT_MB = 250.0
COLD_START_LIMIT_S = 5.0


def evaluate(results: dict) -> list[dict]:
    matrix = results.get("scenarios", {})
    return [
        _zero_errors(matrix),
        *(_ratio(matrix, s.name, s.min_ratio) for s in SCENARIOS if s.min_ratio),
        *(_p99(matrix, s.name) for s in SCENARIOS if s.read),
        _image(results.get("images_mb", {})),
        _cold_start(results.get("cold_start")),
    ]


def peak_rps(matrix: dict, name: str) -> float:
    return max((point["rps"] for point in matrix.get(name, {}).values()), default=0.0)


def ratio(matrix: dict, name: str) -> float | None:
    baseline = peak_rps(matrix, BASELINE.name)
    return round(peak_rps(matrix, name) / baseline, 3) if baseline else None


def _target(name, measured, limit, passed, detail=""):
    return {
        "target": name,
        "measured": measured,
        "limit": limit,
        "passed": passed,
        "detail": detail,
    }


def _zero_errors(matrix: dict) -> dict:
    failing = {
        f"{name}@{connections}": point["errors"]
        for name, points in matrix.items()
        for connections, point in points.items()
        if point["errors"]
    }
    total = sum(failing.values())
    detail = ", ".join(f"{key}: {count}" for key, count in failing.items())
    return _target("zero errors in every scenario", total, 0, total == 0, detail)


def _ratio(matrix: dict, name: str, minimum: float) -> dict:
    measured = ratio(matrix, name)
    passed = None if measured is None else measured >= minimum
    return _target(f"{name} throughput / baseline", measured, f">= {minimum}", passed)


def _p99(matrix: dict, name: str) -> dict:
    point = matrix.get(name, {}).get(P99_CONNECTIONS)
    measured = point["p99_ms"] if point else None
    passed = None if point is None else measured < P99_LIMIT_MS
    return _target(
        f"{name} p99 at {P99_CONNECTIONS} connections (ms)",
        measured,
        f"< {P99_LIMIT_MS:g}",
        passed,
    )


def _image(images: dict) -> dict:
    size = images.get("app")
    detail = ""
    if size is not None and "base" in images:
        own = size - images["base"]
        detail = f"base image {images['base']} MB + application {own:.1f} MB"
    return _target(
        "application image size (MB)",
        size,
        f"< {IMAGE_LIMIT_MB:g}",
        None if size is None else size < IMAGE_LIMIT_MB,
        detail,
    )


def _cold_start(cold: dict | None) -> dict:
    if not cold:
        return _target("cold start to /readyz 200 (s)", None, "< 5", None)
    return _target(
        "cold start to /readyz 200 (s), whole stack",
        cold["stack_median"],
        f"< {COLD_START_LIMIT_S:g}",
        cold["stack_median"] < COLD_START_LIMIT_S,
        f"web container alone: {cold['web_median']} s",
    )
