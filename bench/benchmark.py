"""The benchmark run: seed, warm up, drive every scenario, collect the figures."""

import os
import threading
import time
from pathlib import Path

from bench import api, beside, machine, profiling, prometheus, startup, targets, wrk
from bench.profiles import Profile
from bench.scenarios import BY_NAME, SCENARIOS
from bench.stack import Stack, image_sizes, largest_packages


def run(
    stack: Stack, profile: Profile, *, log=print, graph_to: Path | None = None
) -> dict:
    """Everything `make bench` measures, as one JSON-ready dict.

    With `graph_to`, Prometheus' graph of the throughput matrix is saved there as
    the matrix ends (bench/prometheus.py).
    """
    results = {
        "profile": profile.name,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": machine.commit(),
        "machine": machine.describe(),
        "load_average_start": machine.load_average(),
    }
    log(f"building images ({stack.project})")
    results["build_seconds"] = stack.build()
    stack.up()
    results["seed"] = seed(stack, profile, log=log)
    results["images_mb"] = image_sizes()
    results["largest_packages_mb"] = largest_packages()
    token = api.access_token(stack.base_url)
    ids = sample_ids(stack)
    results["quiet_wait"] = wait_for_quiet(profile.quiet_wait, log=log)
    results["memory_idle_mib"] = stack.memory()
    load_started = time.time()
    warm_up(stack, profile, token=token, ids=ids, log=log)
    matrix, results["memory_load_mib"] = run_matrix(
        stack, profile, token=token, ids=ids, log=log
    )
    results["scenarios"] = matrix
    if graph_to is not None:
        results["prometheus"] = graph(stack, graph_to, since=load_started, log=log)
    if profile.workers:
        results["workers"] = worker_scaling(
            stack, profile, token=token, ids=ids, log=log
        )
    if profile.experiments:
        log("experiments")
        results["experiments"] = {
            "scenario": profile.scaling_scenario,
            "connections": profile.scaling_connections,
            "by_config": web_variants(
                stack, profile, dict(profile.experiments), token=token, ids=ids, log=log
            ),
        }
    if profile.profiled:
        results["profiles"] = profiles(stack, profile, token=token, ids=ids, log=log)
    if profile.host_servers:
        results["host"] = beside.host_servers(stack, profile, token=token, log=log)
        results["load_from"] = beside.load_from_container(stack, profile, log=log)
    if profile.open_seconds:
        results["open_model"] = beside.open_model(
            stack, profile, matrix, token=token, ids=ids, log=log
        )
    if profile.soak_seconds:
        results["soak"] = beside.soak_run(stack, profile, token=token, ids=ids, log=log)
    if profile.cold_starts:
        log("cold starts")
        results["cold_start"] = startup.measure(
            stack, runs=profile.cold_starts, log=log
        )
    results["load_average_end"] = machine.load_average()
    results["targets"] = targets.evaluate(results)
    return results


def graph(stack: Stack, path: Path, *, since: float, log=print) -> dict:
    """Prometheus' graph of the load so far, saved to `path`; a failure is
    reported, not raised, so the rest of the run is not lost to it."""
    log(f"Prometheus graphs the run: {path}")
    try:
        return prometheus.screenshot(stack.prometheus_url, path, since=since)
    except Exception as error:  # Playwright's, httpx's, GraphError
        log(f"  no graph: {error}")
        return {"error": f"{type(error).__name__}: {error}"}


def wait_for_quiet(limit: float, *, log=print) -> dict:
    """Wait, at most `limit` seconds, until the machine's load settles.

    Other work on the same cores skews every figure. Quiet means a 1-minute load
    average below the number of cores (the idle stack itself adds little).
    """
    threshold = float(os.cpu_count() or 1)
    started = time.monotonic()
    time.sleep(3)
    while machine.load_average() >= threshold and time.monotonic() - started < limit:
        log(f"  waiting for a quieter machine (load {machine.load_average()})")
        time.sleep(15)
    return {
        "seconds": round(time.monotonic() - started),
        "load_average": machine.load_average(),
        "threshold": threshold,
    }


def seed(stack: Stack, profile: Profile, *, log=print) -> dict:
    """Seed `profile.posts` posts by `profile.users` users, unless already there."""
    existing = post_count(stack)
    started = time.monotonic()
    if existing < profile.posts:
        log(f"seeding {profile.posts} posts from {profile.users} users")
        stack.manage(
            "seed_demo", "--users", str(profile.users), "--posts", str(profile.posts)
        )
    return {
        "users": profile.users,
        "posts": post_count(stack),
        "seconds": round(time.monotonic() - started, 1),
    }


def post_count(stack: Stack) -> int:
    return int(stack.sql("SELECT count(*) FROM posts_post")[0][0])


def sample_ids(stack: Stack, limit: int = 1000) -> tuple[int, ...]:
    """Random published posts for the detail scenario to spread its reads over."""
    rows = stack.sql(
        f"SELECT id FROM posts_post WHERE published ORDER BY random() LIMIT {limit}"
    )
    return tuple(int(row[0]) for row in rows)


def warm_up(stack: Stack, profile: Profile, *, token: str, ids, log=print):
    """Unmeasured load on every read scenario: connections, caches, JIT-free paths."""
    log(f"warming up ({profile.warmup:g} s per scenario)")
    for scenario in SCENARIOS:
        if scenario.read:
            wrk.run(
                stack.base_url,
                scenario.request(token=token, ids=ids),
                connections=max(profile.connections),
                duration=profile.warmup,
            )


def run_matrix(stack: Stack, profile: Profile, *, token: str, ids, log=print):
    """Every scenario at every concurrency; memory sampled under the heaviest read.

    Concurrency is the outer loop, so each scenario runs within a minute or so of
    the baseline it is compared with: a machine whose other load comes and goes
    then skews both sides of a ratio alike.
    """
    matrix = {scenario.name: {} for scenario in SCENARIOS}
    memory = {}
    busiest = max(profile.connections)
    for connections in profile.connections:
        for scenario in SCENARIOS:
            sample = scenario.name == profile.scaling_scenario and (
                connections == busiest
            )
            figures, sampled = measure(
                stack,
                scenario.request(token=token, ids=ids),
                connections=connections,
                duration=profile.duration,
                sample_memory=sample,
            )
            memory.update(sampled)
            matrix[scenario.name][str(connections)] = figures
            log(_line(scenario.name, figures))
            time.sleep(0.5)
    return matrix, memory


def measure(
    stack: Stack,
    request: wrk.Request,
    *,
    connections: int,
    duration: float,
    sample_memory: bool = False,
):
    """One wrk run; with `sample_memory`, docker stats taken half-way through."""
    memory = {}
    sampler = None
    if sample_memory:
        sampler = threading.Timer(duration / 2, lambda: memory.update(stack.memory()))
        sampler.start()
    figures = wrk.run(
        stack.base_url, request, connections=connections, duration=duration
    )
    if sampler:
        sampler.join()
    return figures, memory


def worker_scaling(stack: Stack, profile: Profile, *, token: str, ids, log=print):
    """Throughput of one scenario as the web container runs 1, 2, 4... workers."""
    configs = {str(n): {"GUNICORN_WORKERS": n} for n in profile.workers}
    return {
        "scenario": profile.scaling_scenario,
        "connections": profile.scaling_connections,
        "by_workers": web_variants(
            stack, profile, configs, token=token, ids=ids, log=log
        ),
    }


def web_variants(stack: Stack, profile: Profile, configs: dict, *, token, ids, log):
    """The scaling scenario once per web configuration (environment overrides).

    The web container is recreated for each, then for the defaults again.
    """
    scenario = BY_NAME[profile.scaling_scenario]
    request = scenario.request(token=token, ids=ids)
    measured = {}
    try:
        for label, overrides in configs.items():
            stack.env.update(overrides)
            stack.up("web", recreate=True, no_deps=True)
            stack.wait_ready()
            wrk.run(
                stack.base_url,
                request,
                connections=profile.scaling_connections,
                duration=profile.warmup,
            )
            figures, memory = measure(
                stack,
                request,
                connections=profile.scaling_connections,
                duration=profile.duration,
                sample_memory=True,
            )
            figures["web_memory_mib"] = sum(
                mib for name, mib in memory.items() if name.startswith("web")
            )
            figures["environment"] = {k: str(v) for k, v in overrides.items()}
            measured[label] = figures
            log(f"  {label}: " + _line(scenario.name, figures))
            for name in overrides:
                stack.env.pop(name, None)
    finally:
        stack.up("web", recreate=True, no_deps=True)
        stack.wait_ready()
    return measured


def profiles(stack: Stack, profile: Profile, *, token: str, ids, log=print):
    """py-spy samples of the web workers under each profiled scenario."""
    summaries = {}
    for name in profile.profiled:
        log(f"  profiling {name}")
        summaries[name] = profiling.profile(
            stack,
            BY_NAME[name].request(token=token, ids=ids),
            connections=profile.scaling_connections,
            duration=profile.duration,
        )
    return summaries


def _line(name: str, figures: dict) -> str:
    return (
        f"  {name:<12} c={figures['connections']:<3} {figures['rps']:>8.1f} req/s"
        f"  p50 {figures['p50_ms']:>7.2f} ms  p99 {figures['p99_ms']:>7.2f} ms"
        f"  errors {figures['errors']}"
    )
