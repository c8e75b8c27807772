"""Fault drills: each breaks one part of the running stack under load and prints
one line of figures. `run_all` runs them in order and returns their results."""

import time

from bench import api, machine
from bench.drills import hostile, restarts, worker
from bench.drills.outcome import result as drill_result
from bench.drills.restore import restore_drill
from bench.stack import Stack

DRILLS = {
    "web_restart": restarts.web_restart,
    "worker_kill": worker.worker_kill,
    "postgres_restart": restarts.postgres_restart,
    "redis_restart": restarts.redis_restart,
    "hostile": hostile.hostile_requests,
    "restore": lambda stack, *, token, quick, log: restore_drill(
        stack, quick=quick, log=log
    ),
}


def run_all(stack: Stack, *, quick: bool = False, names=None, log=print) -> dict:
    """Run the drills (all, or `names`); `quick` shrinks them for the smoke test."""
    token = api.access_token(stack.base_url)
    results = []
    for name in names or DRILLS:
        log(f"drill: {name}")
        result = _run_one(name, stack, token=token, quick=quick, log=log)
        result["name"] = name
        log(result["line"])
        results.append(result)
    for result in results:
        if result["name"] == "worker_kill" and result["figures"].get("pending"):
            worker.follow_up(stack, result)
            log(result["line"])
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": machine.commit(),
        "machine": machine.describe(),
        "quick": quick,
        "results": results,
    }


def _run_one(name: str, stack: Stack, **options) -> dict:
    """A drill's result; a drill that raises fails, with the error as its line,
    and the drills after it still run and every result is still saved."""
    try:
        return DRILLS[name](stack, **options)
    except Exception as error:  # reported as the drill's failure; the run goes on
        return drill_result(name, False, f"the drill raised {error!r:.300}")


def merge(earlier: dict | None, rerun: dict) -> dict:
    """`rerun`'s drills in place of the same ones in `earlier`, the others kept: a
    run of some drills (`--only`) leaves the rest of the report as it was. Each
    result keeps the time and commit of the run that measured it."""
    if not earlier or not earlier.get("results"):
        return rerun
    stamped = {
        result["name"]: {**_run_of(run), **result}
        for run in (earlier, rerun)
        for result in run["results"]
    }
    order = [name for name in DRILLS if name in stamped]
    return {**rerun, "results": [stamped[name] for name in order]}


def _run_of(run: dict) -> dict:
    return {"started_at": run["started_at"], "commit": run["commit"]}
