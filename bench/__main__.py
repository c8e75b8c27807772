"""Command line: `python -m bench run|soak|drills|swarm|report|down` (see `--help`)."""

import argparse
import dataclasses
import sys
from pathlib import Path

from bench import api, benchmark, beside, drills, prometheus, report, swarm, targets
from bench.profiles import PROFILES
from bench.stack import Stack


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    stack = Stack(project=args.project, http_port=args.port)
    results_path = args.output / "results.json"
    if args.command == "report":
        results = report.load(results_path)
        if "benchmark" in results:  # the verdicts, as targets.py judges today
            judged = {**results["benchmark"], "soak": results.get("soak")}
            results["benchmark"]["targets"] = targets.evaluate(judged)
        report.write(results, args.output)
        return 0
    if args.command == "swarm":
        return _swarm(results_path)
    if args.command == "down":
        stack.down()
        return 0
    try:
        return _measure(args, stack, results_path)
    finally:
        if not args.keep:
            print(f"stopping the {stack.project} stack (--keep leaves it up)")
            stack.down()


def _measure(args, stack: Stack, results_path: Path) -> int:
    results = report.load(results_path)
    profile = PROFILES[args.profile]
    if args.command == "run":
        graph = args.output / prometheus.GRAPH
        results["benchmark"] = benchmark.run(stack, profile, graph_to=graph)
        # The newest soak is the report's, whether `make bench` or `make soak` ran it.
        results["soak"] = results["benchmark"].pop("soak", results.get("soak"))
        failed = False
    elif args.command == "soak":
        results["soak"] = _soak(stack, profile, seconds=args.seconds)
        failed = results["soak"]["errors"] > 0
    else:
        stack.build()
        stack.up()
        benchmark.seed(stack, profile)
        names = args.only.split(",") if args.only else None
        rerun = drills.run_all(stack, quick=profile.name == "smoke", names=names)
        results["drills"] = drills.merge(results.get("drills"), rerun)
        failed = not all(r["passed"] for r in results["drills"]["results"])
    report.save(results, results_path)
    written = report.write(results, args.output)
    print(f"wrote {results_path} and {written}")
    return 1 if failed and args.strict else 0


def _swarm(results_path: Path) -> int:
    figures = swarm.run()
    if figures is None:
        print("the Swarm test failed; results.json is unchanged")
        return 1
    results = report.load(results_path)
    results["swarm"] = figures
    report.save(results, results_path)
    print(f"wrote {results_path} and {report.write(results, results_path.parent)}")
    return 0


def _soak(stack: Stack, profile, *, seconds: float | None) -> dict:
    stack.build()
    stack.up()
    benchmark.seed(stack, profile)
    if seconds:
        profile = dataclasses.replace(profile, soak_seconds=seconds)
    return beside.soak_run(
        stack,
        profile,
        token=api.access_token(stack.base_url),
        ids=benchmark.sample_ids(stack),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "command",
        choices=["run", "soak", "drills", "swarm", "report", "down"],
        help="run: the benchmark; soak: the soak alone; drills: the fault drills; "
        "swarm: the Swarm test (root); report: rewrite the report from "
        "results.json; down: remove the stack",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument(
        "--output", type=Path, default=report.DOCS, help="results and report folder"
    )
    parser.add_argument("--project", default="bench", help="compose project name")
    parser.add_argument("--port", type=int, default=18480, help="Nginx's host port")
    parser.add_argument("--only", help="drills: comma-separated drill names")
    parser.add_argument(
        "--seconds", type=float, help="soak: its length (default: the profile's)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="leave the stack running afterwards"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="drills and soak: exit 1 when a drill fails or a request does",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
