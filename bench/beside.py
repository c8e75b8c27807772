"""What `make bench` measures beside the closed-loop matrix, in the same run.

The host ceiling and server configurations (bench/host.py), wrk from inside the
stack's network against wrk through the published port, latency at fixed
arrival rates, and the soak (bench/soak.py).
"""

import subprocess

from bench import host, soak, targets, wrk
from bench.profiles import Profile
from bench.scenarios import BASELINE, SCENARIOS
from bench.stack import ROOT, Stack

LOADGEN_IMAGE = "drf-reference-wrk:bench"
OPEN_MODEL_SHARES = (0.5, 0.8)


def host_servers(stack: Stack, profile: Profile, *, token: str, log=print) -> dict:
    chosen = tuple(s for s in host.SERVERS if s.label in profile.host_servers)
    log("host: the application served beside the stack")
    return host.compare(
        stack,
        token=token,
        duration=profile.duration,
        warmup=profile.warmup,
        rounds=profile.host_rounds,
        servers=chosen,
        log=log,
    )


def load_from_container(stack: Stack, profile: Profile, *, log=print) -> dict:
    """The baseline at 32 connections from the host and from the edge network."""
    log("load generated from the host and from a container")
    subprocess.run(
        ["docker", "build", "--quiet", "--tag", LOADGEN_IMAGE,
         "--file", str(ROOT / "bench" / "loadgen.Dockerfile"), str(ROOT / "bench")],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    request = BASELINE.request(token="", ids=())
    inside = wrk.in_network(f"{stack.project}_edge", LOADGEN_IMAGE)
    return {
        "host": wrk.run(
            stack.base_url, request, connections=32, duration=profile.duration
        ),
        "container": wrk.run(
            "http://nginx:80",
            request,
            connections=32,
            duration=profile.duration,
            **inside,
        ),
    }


def open_model(stack, profile, matrix, *, token: str, ids, log=print) -> dict:
    """Every read at 50% and 80% of its closed-loop peak, as a fixed rate."""
    log("open model: fixed arrival rates")
    results = {}
    for scenario in SCENARIOS:
        if not scenario.read:
            continue
        peak = targets.peak_rps(matrix, scenario.name)
        results[scenario.name] = {
            f"{share:.0%}": {
                "rate": round(peak * share, 1),
                **soak.open_model(
                    stack,
                    scenario.path,
                    token=token if scenario.auth else "",
                    rate=max(1.0, peak * share),
                    seconds=profile.open_seconds,
                    ids=ids,
                ),
            }
            for share in OPEN_MODEL_SHARES
        }
        log(f"  {scenario.name}: {_p99s(results[scenario.name])}")
    return results


def soak_run(stack: Stack, profile: Profile, *, token: str, ids, log=print) -> dict:
    """The mix at `soak_share` of its capacity for `soak_seconds`."""
    capacity = soak.capacity(
        stack, token=token, ids=ids, seconds=profile.capacity_seconds
    )
    log(f"soak: the mix's capacity is {capacity} req/s")
    results = soak.run(
        stack,
        token=token,
        ids=ids,
        rate=capacity * profile.soak_share,
        seconds=profile.soak_seconds,
        log=log,
    )
    results["capacity"] = capacity
    results["share"] = profile.soak_share
    log(f"  {results['requests']} requests, {results['errors']} errors")
    return results


def _p99s(points: dict) -> str:
    return ", ".join(f"{share}: p99 {p['p99_ms']} ms" for share, p in points.items())
