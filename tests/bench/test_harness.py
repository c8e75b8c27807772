"""The harness's parts without Docker: wrk and its script, parsing, targets, report.

wrk runs for real against a small HTTP server in this process, on 127.0.0.1.
"""

import bisect
import http.server
import io
import json
import math
import socket
import threading
import time
from types import SimpleNamespace

import httpx
import pytest
from PIL import Image, UnidentifiedImageError

from bench import (
    drills,
    host,
    prometheus,
    report,
    report_beside,
    soak,
    swarm,
    targets,
    wrk,
)
from bench.drills import payloads
from bench.drills.probe import outage
from bench.scenarios import SCENARIOS
from bench.stack import parse_size
from tests.support.startup import docker_time, phases_from_logs


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Every answer closes its connection, as the stack's gunicorn does: h2load's
    # --rps ignored the rate asked against such a server.
    close_after_answer = False
    seen: list = []
    arrivals: list = []

    def _answer(self):
        self.arrivals.append(time.monotonic())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, dict(self.headers), body))
        status = 500 if self.path.startswith("/fail") else 200
        if self.path.startswith("/redirect"):
            status = 302
        payload = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.close_after_answer:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.seen
    httpd.shutdown()


def test_wrk_reports_throughput_and_latency(server):
    url, _ = server
    figures = wrk.run(url, wrk.Request(path="/ok"), connections=2, duration=1)
    assert figures["requests"] > 0
    assert figures["rps"] > 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert figures["errors"] == 0


@pytest.mark.parametrize("path", ["/fail", "/redirect"])
def test_wrk_counts_every_response_outside_2xx_as_an_error(server, path):
    url, _ = server
    figures = wrk.run(url, wrk.Request(path=path), connections=1, duration=1)
    assert figures["requests"] > 0
    assert figures["non2xx"] == figures["requests"] == figures["errors"]


def test_wrk_sends_token_body_and_random_ids(server):
    url, seen = server
    seen.clear()
    request = wrk.Request(
        method="POST", path="/posts/{id}/", token="tok", body='{"a": 1}', ids=(7, 8)
    )
    wrk.run(url, request, connections=1, duration=1)
    assert seen
    paths = {path for _, path, _, _ in seen}
    assert paths <= {"/posts/7/", "/posts/8/"}
    method, _, headers, body = seen[0]
    assert method == "POST"
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"a": 1}


def test_the_soak_sends_the_rate_asked_to_a_server_closing_every_connection(server):
    url, seen = server
    seen.clear()
    _Handler.close_after_answer = True
    stream = soak.Stream("writes", 1.0, "/posts/{id}/", True, b"{}", "text/plain")
    try:
        figures = soak._locust(
            SimpleNamespace(base_url=url), (stream,), token="tok", ids=(3,),
            rate=20, seconds=5,
        )["writes"]  # fmt: skip
    finally:
        _Handler.close_after_answer = False
    # About 20 req/s, not the hundreds a closed loop sends to this server.
    assert figures["rps"] == pytest.approx(20, rel=0.3)
    assert figures["requests"] == len(seen)
    method, path, headers, body = seen[0]
    assert (method, path, body) == ("POST", "/posts/3/", b"{}")
    assert headers["Authorization"] == "Bearer tok"
    assert figures["errors"] == 0


def test_users_at_a_fixed_rate_spread_their_requests_rather_than_burst(server):
    url, _ = server
    _Handler.arrivals.clear()
    stream = soak.Stream("reads", 1.0, "/ok")
    figures = soak._locust(
        SimpleNamespace(base_url=url), (stream,), token="", ids=(), rate=40, seconds=3
    )["reads"]
    users = math.ceil(40 * soak.CLIENT_INTERVAL)
    assert figures["requests"] >= users
    # locust starts users in batches (40 at once at this rate): sent on start,
    # a batch's requests came within milliseconds, every interval. Spread over
    # the interval, about a tenth of them fall in any 0.2 s.
    arrivals = sorted(_Handler.arrivals)
    busiest = max(
        bisect.bisect_left(arrivals, t + 0.2) - i for i, t in enumerate(arrivals)
    )
    assert busiest <= users * 0.3, f"{busiest} of {users} users' requests in 0.2 s"


def test_the_soak_counts_answers_outside_2xx_and_refused_connections(server):
    url, _ = server
    streams = (soak.Stream("fail", 0.5, "/fail"), soak.Stream("ok", 0.5, "/ok"))
    figures = soak._locust(
        SimpleNamespace(base_url=url), streams, token="", ids=(), seconds=2, users=2
    )
    assert figures["fail"]["requests"] == figures["fail"]["non2xx"] > 0
    assert figures["ok"]["requests"] > 0 == figures["ok"]["errors"]
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{unused.getsockname()[1]}"
    refused = soak._locust(
        SimpleNamespace(base_url=nobody), streams[1:], token="", ids=(), seconds=1,
        users=1,
    )["ok"]  # fmt: skip
    assert refused["requests"] == refused["socket_errors"] == refused["errors"] > 0


def test_wrk_refuses_output_without_figures():
    with pytest.raises(wrk.WrkError):
        wrk.parse("Running 1s test\n")


def test_docker_sizes_are_parsed():
    assert parse_size("131.4MiB") == pytest.approx(131.4 * 2**20)
    assert parse_size("1.5GiB") == pytest.approx(1.5 * 2**30)
    assert parse_size("512B") == 512


def test_outage_measures_failures_and_recovery():
    samples = [(0.0, 200), (1.0, 200), (1.1, 0), (1.2, 503), (1.5, 200), (1.6, 200)]
    assert outage(samples, since=1.0) == {
        "failed": 2,
        "recovered_after": 0.5,
        "down_for": 0.4,
    }
    assert outage(samples[:4], since=1.0)["recovered_after"] is None
    assert outage([(2.0, 200)], since=1.0)["failed"] == 0


def test_boot_phases_come_from_log_timestamps():
    logs = "\n".join(
        [
            "2026-01-01T00:00:09.000000000Z entrypoint: collecting static files",
            "2026-01-01T00:00:11.000000000Z entrypoint: collecting static files",
            "2026-01-01T00:00:13.500000000Z entrypoint: applying migrations",
            '2026-01-01T00:00:14.000000000Z {"timestamp": "2026-01-01T00:00:14+0000",'
            ' "level": "INFO", "logger": "entrypoint", "message": "starting gunicorn",'
            ' "request_id": "-"}',
            "2026-01-01T00:00:15.000000000Z [INFO] Starting gunicorn 23.0.0",
            "2026-01-01T00:00:15.250000000Z [INFO] Booting worker with pid: 7",
        ]
    )
    up = docker_time("2026-01-01T00:00:09Z")
    container = docker_time("2026-01-01T00:00:10.5Z")
    phases = phases_from_logs(logs, up=up, container=container, ready=up + 7)
    assert phases == {
        "compose up -> container started": 1.5,
        "entrypoint: wait_for_db, Django setup": 0.5,
        "collectstatic": 2.5,
        "migrate (nothing to apply)": 0.5,
        "gunicorn: import the application": 1.0,
        "gunicorn master start": 0.25,
        "worker start -> /readyz 200 via Nginx": 0.75,
    }


def test_hostile_payloads_fill_the_quotas_and_carry_no_valid_image():
    requests = payloads.build(signing_key="key", own_post=1, total=1000)
    assert len(requests) == 1000
    counts = dict.fromkeys(payloads.QUOTAS, 0)
    for request in requests:
        counts[request.category] += 1
    assert counts == payloads.QUOTAS
    for request in requests:
        if request.upload:
            with pytest.raises((UnidentifiedImageError, OSError, SyntaxError)):
                Image.open(io.BytesIO(request.upload[1])).load()


def _point(rps, p99=10.0, errors=0):
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": p99, "errors": errors, "seconds": 10}


def _results(scale=1.0, errors=0):
    matrix = {
        s.name: {str(c): _point(1000 * scale / (i + 1)) for c in (1, 32)}
        for i, s in enumerate(SCENARIOS)
    }
    matrix["baseline"]["32"] = _point(1000, p99=150.0)
    matrix["auth_list"]["32"]["errors"] = errors
    return {
        "scenarios": matrix,
        "images_mb": {"app": 240.0, "base": 178.4, "nginx": 100.0},
        "cold_start": {
            "stack_seconds": [6.0],
            "stack_median": 6.0,
            "web_seconds": [3.0],
            "web_median": 3.0,
            "web_phases": {"collectstatic": 1.0},
        },
    }


def test_targets_pass_and_miss_on_the_figures():
    verdicts = {t["target"]: t for t in targets.evaluate(_results(errors=3))}
    assert verdicts["zero errors in every scenario"]["passed"] is False
    assert verdicts["zero errors in every scenario"]["measured"] == 3
    assert verdicts["baseline p99 at 32 connections (ms)"]["passed"] is False
    assert verdicts["healthz p99 at 32 connections (ms)"]["passed"] is True
    assert verdicts["application image size (MB)"]["passed"] is True
    assert verdicts["cold start to /readyz 200 (s), whole stack"]["passed"] is False
    ratio = verdicts["auth_list throughput / baseline"]
    assert ratio["measured"] == pytest.approx(0.25)
    assert ratio["passed"] is False


def test_report_writes_markdown_and_png_charts(tmp_path):
    benchmark = {
        **_results(),
        "profile": "smoke",
        "started_at": "2026-01-01T00:00:00Z",
        "commit": "abc1234",
        "machine": {
            "cores": 2,
            "memory_gib": 23.5,
            "cpu": "cpu",
            "kernel": "k",
            "docker": "d",
            "wrk": "w",
        },
        "load_average_start": 0.1,
        "load_average_end": 0.2,
        "memory_idle_mib": {"web-1": 100.0, "db-1": 30.0},
        "memory_load_mib": {"web-1": 150.0, "db-1": 40.0},
        "workers": {
            "scenario": "auth_list",
            "connections": 32,
            "by_workers": {"1": {**_point(500), "web_memory_mib": 90.0}},
        },
    }
    benchmark["targets"] = targets.evaluate(benchmark)
    drills = {
        "started_at": "2026-01-01T00:10:00Z",
        "commit": "abc1234",
        "results": [
            {
                "name": "hostile",
                "passed": True,
                "summary": "fine",
                "line": "hostile: ok",
            }
        ],
    }
    path = report.write({"benchmark": benchmark, "drills": drills}, tmp_path)
    text = path.read_text()
    assert "| Authenticated list | GET /api/v1/posts/ | 32 |" in text
    assert "**missed**" in text
    assert "hostile: ok" in text
    for chart in ("throughput.png", "latency-p99.png", "workers.png", "memory.png"):
        assert f"({chart})" in text
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")


SWARM_FIGURES = {
    "nodes": 3,
    "started_at": "2026-01-01T00:20:00Z",
    "phases": [
        {"name": "nodes", "seconds": 50, "line": "3 engines up in 50 s", "load": None},
        {
            "name": "drain",
            "seconds": 40,
            "line": "drfsw3 drained in 40 s",
            "load": {"requests": 3000, "failed": 0, "seconds": 50.0},
        },
    ],
}


def test_the_swarm_runs_figures_are_kept_only_when_it_passed():
    write = f"echo '{json.dumps(SWARM_FIGURES)}' > \"$SWARM_FIGURES\""
    figures = swarm.run(("sh", "-c", write))
    assert figures["phases"] == SWARM_FIGURES["phases"]
    assert figures["machine"]["cores"] > 0
    assert swarm.run(("sh", "-c", write + "; exit 1")) is None
    assert swarm.run(("true",)) is None


def test_report_has_a_section_for_the_swarm_phases(tmp_path):
    swarm_results = {**SWARM_FIGURES, "commit": "abc1234"}
    text = report.write({"swarm": swarm_results}, tmp_path).read_text()
    assert "## Multi-node Swarm" in text
    assert "nodes: 3 engines up in 50 s\ndrain: drfsw3 drained in 40 s" in text
    assert "| drain | 40 | 3000 | 0 | 60.0 |" in text
    assert "| nodes |" not in text


def test_rerunning_some_drills_keeps_the_others_with_their_own_run(tmp_path):
    def line(name, passed):
        verdict = "ok" if passed else "FAILED"
        return {"name": name, "passed": passed, "summary": name, "line": verdict}

    earlier = {
        "started_at": "2026-01-01T00:10:00Z",
        "commit": "abc1234",
        "results": [line("web_restart", True), line("restore", False)],
    }
    rerun = {
        "started_at": "2026-02-01T00:10:00Z",
        "commit": "def5678",
        "results": [line("restore", True)],
    }
    merged = drills.merge(earlier, rerun)
    assert [(r["name"], r["passed"], r["commit"]) for r in merged["results"]] == [
        ("web_restart", True, "abc1234"),
        ("restore", True, "def5678"),
    ]
    assert drills.merge(None, rerun) is rerun
    text = report.write({"drills": merged}, tmp_path).read_text()
    assert "| restore | pass | restore | 2026-02-01T00:10:00Z, `def5678` |" in text
    assert "abc1234" in text


def test_host_comparison_keeps_each_servers_median_run():
    runs = [{"rps": 500.0, "cpu_ms_per_request": 2.0}, {"rps": 300.0}, {"rps": 900.0}]
    kept = host.median_run(runs)
    assert kept["rps"] == 500.0
    assert kept["cpu_ms_per_request"] == 2.0  # the whole run, not a mix of runs
    assert kept["rps_runs"] == [500.0, 300.0, 900.0]
    # With two runs, the slower: a lucky run never passes a target alone.
    assert host.median_run(runs[:2])["rps"] == 300.0


def test_the_servers_whose_ratio_is_judged_run_back_to_back_in_every_round():
    shuffled = [host.METRICS_OFF, host.CEILING, host.TRACING_ON, host.PROJECT]
    order = host.round_order(shuffled)
    assert order == [host.CEILING, host.TRACING_ON, host.PROJECT, host.METRICS_OFF]
    assert shuffled[0] == host.METRICS_OFF  # the round's own order is left alone
    assert host.round_order([host.CEILING, host.PROJECT]) == [
        host.CEILING,
        host.PROJECT,
    ]


def test_the_otlp_sink_takes_exports_and_stops():
    with host.otlp_sink() as url:
        response = httpx.post(f"{url}/v1/traces", content=b"\x0a\x00", timeout=5)
        assert response.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/v1/traces", content=b"", timeout=2)


def test_the_prometheus_section_reads_its_panels_in_order_from_results_json(tmp_path):
    # results.json is saved with sorted keys, and rewritten by `bench report`.
    titles = list(prometheus.PANELS)
    figures = {
        "file": prometheus.GRAPH, "panels": list(prometheus.PANELS.items()),
        "values": dict(zip(titles, [812.3, 0.0421], strict=True)),
        "prometheus_version": "2.53.3+ds1", "taken_at": "2026-01-01T00:00:00Z",
        "range_minutes": 7,
    }  # fmt: skip
    report.save({"benchmark": {"prometheus": figures}}, tmp_path / "results.json")
    loaded = report.load(tmp_path / "results.json")["benchmark"]["prometheus"]
    text = prometheus.section(loaded)
    assert f"]({prometheus.GRAPH})" in text
    assert text.index(f"Top, the {titles[0]}") < text.index(f"below, the {titles[1]}")
    assert "812.3 requests/s, p99 42 ms" in text
    assert prometheus.section({"error": "TimeoutError: no page"}).endswith("no page")
    assert prometheus.section(None) == ""


def test_the_request_metrics_cost_is_judged_against_the_same_server_without():
    def served(baseline, me):
        return {"baseline": {"rps": baseline}, "me": {"rps": me}}

    host_figures = {
        host.PROJECT.label: served(1900.0, 560.0),
        host.METRICS_OFF.label: served(2000.0, 580.0),
    }
    verdicts = {
        t["target"]: (t["measured"], t["passed"])
        for t in targets._observability_cost(
            host_figures, host_figures[host.PROJECT.label]
        )
    }
    assert verdicts == {
        "request metrics: share of baseline throughput they cost on the host": (
            0.05,
            True,
        ),
        "request metrics: share of me throughput they cost on the host": (
            0.034,
            True,
        ),
    }
    host_figures[host.METRICS_OFF.label] = served(2100.0, 580.0)
    worse = targets._observability_cost(host_figures, host_figures[host.PROJECT.label])
    assert [t["passed"] for t in worse] == [False, True]


def test_a_share_is_taken_round_by_round_where_both_sides_ran_every_round():
    # Round 2 was slow for one side: each round's ratio is 0.979, 0.857 and 0.995,
    # while the medians (1,950 from round 3, 2,100 from round 2) would say 0.929.
    ours = {"rps": 1950.0, "rps_runs": [2300.0, 1800.0, 1950.0]}
    theirs = {"rps": 2100.0, "rps_runs": [2350.0, 2100.0, 1960.0]}
    assert targets.paired_share(ours, theirs) == 0.979
    # Not paired: a run missing on one side, or medians only.
    assert targets.paired_share(ours, {**theirs, "rps_runs": [2350.0]}) == 0.929
    assert targets.paired_share({"rps": 1950.0}, {"rps": 2100.0}) == 0.929


def test_the_host_table_puts_the_ceiling_first_whatever_the_saved_order():
    def served(rps):
        point = {"rps": rps, "cpu_ms_per_request": 1.0, "errors": 0}
        return {"baseline": point, "me": point}

    # results.json's sorted keys: "before: gthread ..." comes before the ceiling.
    saved = {
        "before: gthread 2x4, keep-alive 5 s, recycled every 1,000": served(900.0),
        host.CEILING.label: served(2000.0),
        host.PROJECT.label: served(1800.0),
    }
    rows = [
        line for line in report_beside.host({"host": saved}).splitlines()
        if line.startswith("| ") and not line.startswith("| server")
    ]  # fmt: skip
    assert rows[0].startswith(f"| {host.CEILING.label} | 2000 | 1.00x")
    assert rows[1].startswith(f"| {host.PROJECT.label} | 1800 | 0.90x")
    assert "| 900 | 0.45x" in rows[2]


def test_a_drill_that_raises_fails_and_the_others_still_run(monkeypatch):
    def crashes(stack, **options):
        raise RuntimeError("429 Too Many Requests")

    def passes(stack, **options):
        return drills.outcome.result("fine", True, "nothing broke")

    monkeypatch.setattr(drills, "DRILLS", {"first": crashes, "second": passes})
    monkeypatch.setattr(drills.api, "access_token", lambda base_url: "token")
    run = drills.run_all(SimpleNamespace(base_url="http://unused"), log=lambda _: None)
    first, second = run["results"]
    assert (first["name"], first["passed"]) == ("first", False)
    assert "429 Too Many Requests" in first["line"]
    assert (second["name"], second["passed"]) == ("second", True)
