"""The benchmark and the drills, shrunk to seconds, against their own real stack.

Asserts that every scenario and drill ran and reported figures, never how fast or
how robust the stack was: `make bench` and `make drills` report that. The stack
runs under its own project name and port and is removed afterwards.
"""

import os

import pytest
from PIL import Image

from bench import benchmark, drills, prometheus, report
from bench.profiles import SMOKE
from bench.scenarios import SCENARIOS
from bench.stack import Stack
from tests.support.metrics import query

pytestmark = pytest.mark.stack

# Short and independent of each other's state: the ones left out (web replica
# restart, Redis restart) share all their machinery with these.
SMOKE_DRILLS = ["hostile", "postgres_restart", "worker_kill"]


@pytest.fixture(scope="module")
def stack():
    stack = Stack(project="benchsmoke", http_port=18490)
    yield stack
    if not os.environ.get("BENCH_KEEP_STACK"):
        stack.down()


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return tmp_path_factory.mktemp("graph") / prometheus.GRAPH


@pytest.fixture(scope="module")
def results(stack, graph):
    return benchmark.run(stack, SMOKE, log=lambda line: None, graph_to=graph)


def test_every_scenario_reports_figures(results):
    for scenario in SCENARIOS:
        points = results["scenarios"][scenario.name]
        assert sorted(points, key=int) == [str(c) for c in SMOKE.connections]
        # A gunicorn worker recycling (max_requests) can stall one short point.
        assert sum(point["requests"] for point in points.values()) > 0, scenario.name
        assert max(point["p99_ms"] for point in points.values()) > 0, scenario.name


def test_resources_and_targets_are_reported(results):
    assert results["images_mb"]["app"] > 0
    assert results["memory_idle_mib"]["web-1"] > 0
    assert results["memory_load_mib"]["web-1"] > 0
    assert results["seed"]["posts"] >= SMOKE.posts
    # SMOKE measures no cold start and no point at the p99 targets' 32 connections:
    # those alone are "not measured" (None); every other target is judged (a bool).
    verdicts = {t["target"]: t["passed"] for t in results["targets"]}
    assert {name for name, passed in verdicts.items() if passed is None} == {
        "cold start to /readyz 200 (s)",
        *(f"{s.name} p99 at 32 connections (ms)" for s in SCENARIOS if s.read),
    }


def test_drills_print_a_line_of_figures(stack, results, tmp_path):
    outcome = drills.run_all(stack, quick=True, names=SMOKE_DRILLS, log=print)
    assert [r["name"] for r in outcome["results"]] == SMOKE_DRILLS
    for result in outcome["results"]:
        assert result["summary"] in result["line"]
        assert any(char.isdigit() for char in result["summary"])
        assert result["figures"]
    hostile = outcome["results"][0]["figures"]
    assert hostile["requests"] == 100
    written = report.write({"benchmark": results, "drills": outcome}, tmp_path)
    assert "## Fault drills" in written.read_text()


def test_the_baseline_is_served_by_the_benchmarks_own_urls(results):
    # bench/site, mounted by the overlay: the project itself answers 404 there.
    for point in results["scenarios"]["baseline"].values():
        assert point["requests"] > 0
        assert point["non2xx"] == 0, point


def test_the_host_servers_report_throughput_and_cpu(results):
    assert list(results["host"]) == list(SMOKE.host_servers)
    for paths in results["host"].values():
        for point in paths.values():
            assert point["requests"] > 0, point
            assert point["errors"] == 0, point
            assert point["cpu_ms_per_request"] > 0, point


def test_load_runs_from_the_host_and_from_the_network(results):
    assert set(results["load_from"]) == {"host", "container"}
    for point in results["load_from"].values():
        assert point["requests"] > 0, point
        assert point["errors"] == 0, point


def test_every_read_runs_at_fixed_rates(results):
    reads = {s.name for s in SCENARIOS if s.read}
    assert set(results["open_model"]) == reads
    for points in results["open_model"].values():
        assert set(points) == {"50%", "80%"}
        assert all(point["requests"] > 0 for point in points.values()), points


def test_the_soak_smoke_fails_no_request_and_samples_resources(results):
    soak = results["soak"]
    assert soak["errors"] == 0, soak["streams"]
    assert all(stream["requests"] > 0 for stream in soak["streams"].values())
    sampled = [s for s in soak["samples"] if "error" not in s]
    assert sampled, soak["samples"]
    assert sampled[0]["pg_connections"] > 0
    assert sampled[0]["web_open_files"]["web-1"] > 0


def test_prometheus_graphs_the_matrix_in_a_screenshot(stack, results, graph, tmp_path):
    figures = results["prometheus"]
    assert "error" not in figures, figures
    png = graph.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert figures["bytes"] == len(png) > 40_000, len(png)
    with Image.open(graph) as image:
        assert list(image.size) == figures["size"]
        assert image.width == prometheus.WIDTH
        assert image.height > 1000  # two panels, each a graph and its controls
        # Text, axes and two lines in several colours; an empty page has a few.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 200
    assert set(figures["page_errors"]) <= prometheus.KNOWN_PAGE_ERRORS
    # Both lines drawn from several points, by the Prometheus of this stack,
    # which still has the series.
    assert list(figures["points_drawn"]) == list(prometheus.PANELS)
    assert all(points > 2 for points in figures["points_drawn"].values()), figures
    for expression in prometheus.PANELS.values():
        values = [value for _, value in query(stack.prometheus_port, expression)]
        assert values, expression
        assert all(value > 0 for value in values), (expression, values)
    assert "g1.expr=" in figures["page"]
    written = report.write({"benchmark": results}, tmp_path).read_text()
    assert f"]({prometheus.GRAPH})" in written
