"""The files of exited processes merge into archives: totals exact, files bounded.

Real forked processes write real files (multiprocess_scenarios.py, each scenario in
a fresh interpreter); these tests judge what the scenario printed against what its
plan says the children counted.
"""

import itertools
import json
import math
import random
import re
import subprocess
import sys

import pytest

from apps.core.metrics.compaction import exact_sum
from apps.core.tests import multiprocess_scenarios as scenarios

REQUESTS = "t_requests_total[('view', 'home')]"
COUNT = "t_seconds_count[('view', 'home')]"
SUM = "t_seconds_sum[('view', 'home')]"
INF = "t_seconds_bucket[('le', '+Inf'), ('view', 'home')]"
ARCHIVE = re.compile(r"^(counter|histogram)_archive(-\d+)?\.db$")


def run(tmp_path, name, *numbers):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ".",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}  # fmt: skip
    command = [sys.executable, "-m", "apps.core.tests.multiprocess_scenarios", name]
    result = subprocess.run(
        [*command, *map(str, numbers)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def expected(children) -> dict:
    """The totals the children's plan adds up to: counts, and the exact sum."""
    requests = sum(n for _, n in children)
    seconds = math.fsum(scenarios.child_sum(seed, n) for seed, n in children)
    return {REQUESTS: requests, COUNT: requests, INF: requests, SUM: seconds}


def pid_files(pids):
    return {f"{kind}_{pid}.db" for pid in pids for kind in ("counter", "histogram")}


def test_compaction_keeps_every_total_and_one_file_per_live_process(tmp_path):
    count, per_round, live = 8, 4, 2
    out, _ = run(tmp_path, "rounds", count, per_round, live)
    for one in out["rounds"]:
        assert one["codes"] == [0] * per_round
        assert one["changed"] == {}, one["changed"]  # bit for bit, every sample
        assert one["merged"] == 2 * per_round  # a counter and a histogram file each
        before, after = set(one["files_before"]), set(one["files_after"])
        gone = {name for name in before - after if not ARCHIVE.match(name)}
        assert len(gone) == 2 * per_round  # the exited children's, and only theirs
        assert not gone & pid_files(out["live_pids"])
        assert after - pid_files(out["live_pids"]) == {
            name for name in after if ARCHIVE.match(name)
        }
    # Bounded: the live processes' two files each, then one archive per kind and
    # the few remainders of a sum of float seconds (here within 2^-40..2^10).
    archives = [n for n in out["files_end"] if ARCHIVE.match(n)]
    assert {"counter_archive.db", "histogram_archive.db"} <= set(archives)
    assert "counter_archive-1.db" not in archives  # counts never need a remainder
    assert len(archives) <= 4, archives
    assert out["live_codes"] == [0] * live
    assert out["merged_at_end"] == 2 * live
    assert set(out["files_end"]) == set(archives)
    children = [c for r in scenarios.rounds_plan(count, per_round) for c in r]
    children += scenarios.live_plan(live)
    totals = out["totals"]
    assert {key: totals[key] for key in expected(children)} == expected(children)


def test_totals_never_dip_while_compactions_race_with_scrapes(tmp_path):
    count = 60
    out, _ = run(tmp_path, "race", count)
    assert out["codes"] == [0] * count  # every child forked mid-scrape finished
    assert out["errors"] == []  # no scrape failed, not even on a file being made
    for scrapes in out["scrapes"]:  # each scraping thread's, in its order
        assert len(scrapes) > 2
        for key in (REQUESTS, COUNT, SUM, INF):
            series = [one.get(key, 0.0) for one in scrapes]
            assert all(a <= b for a, b in itertools.pairwise(series)), key
    # No dead child's files stay: the archives, and nothing else once reaped.
    assert max(out["file_counts"]) <= 4, out["file_counts"]
    totals = out["totals"]
    children = scenarios.race_plan(count)
    assert {key: totals[key] for key in expected(children)} == expected(children)


def test_a_child_forked_while_a_scrape_holds_the_lock_can_take_it(tmp_path):
    out, stderr = run(tmp_path, "held_lock")
    assert out["code"] == 0  # it inherited the lock held, and took a fresh one
    assert "counting" in stderr  # and logged through the handlers' locks


def test_gauges_keep_their_multiprocess_mode(tmp_path):
    out, _ = run(tmp_path, "gauges")
    assert out["codes"] == [0, 0, 0]
    before, after = out["before"], out["after"]
    # Children set 5 (still up), then 1, 2 and 3 (exited), in that order.
    merged_modes = {"t_min": 1.0, "t_max": 5.0, "t_sum": 11.0, "t_mostrecent": 3.0}
    for name, value in merged_modes.items():
        key = f"{name}[('k', 'x')]"
        assert before[key] == after[key] == value
    staying = out["staying"]
    assert after["t_livesum[('k', 'x')]"] == 5.0  # the exited children's went
    assert [k for k in after if k.startswith("t_liveall")] == [
        f"t_liveall[('k', 'x'), ('pid', '{staying}')]"
    ]
    alls = [k for k in after if k.startswith("t_all")]
    assert len(alls) == 4  # one series per process, exited or not: not merged
    kept_all = [n for n in out["files"] if n.startswith("gauge_all_")]
    assert len(kept_all) == 4
    modes = ("min", "max", "sum", "mostrecent")
    assert {f"gauge_{m}_archive.db" for m in modes} <= set(out["files"])


def test_a_file_that_cannot_be_read_keeps_its_kind_as_it_was(tmp_path):
    out, stderr = run(tmp_path, "corrupt")
    assert out["codes"] == [0]
    assert out["merged"] == 1  # the histogram file
    counters = [n for n in out["before"] if n.startswith("counter_")]
    assert [n for n in out["after"] if n.startswith("counter_")] == counters
    assert "histogram_archive.db" in out["after"]
    assert "counter files not merged, kept" in stderr


@pytest.mark.parametrize("seed", range(20))
def test_an_exact_sum_adds_up_to_what_it_replaces(seed):
    rng = random.Random(seed)
    values = [rng.random() * 10 ** rng.randint(-12, 12) for _ in range(200)]
    others = [rng.random() * 10 ** rng.randint(-6, 6) for _ in range(20)]
    parts = exact_sum(values)
    assert parts[0] == math.fsum(values)
    assert math.fsum([*parts, *others]) == math.fsum([*values, *others])
