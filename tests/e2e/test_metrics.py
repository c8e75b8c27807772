"""Metrics from every replica and worker, exact under multiprocess mode, never public.

N requests through Nginx, spread over two web replicas of three gunicorn workers
each that recycle every 15 requests, are read back as exactly N, summed over the
replicas' endpoints and again through Prometheus, which found every replica by
Docker DNS. The recycled workers' files are merged into archives, so each
container's metrics directory holds its live workers' files and the archives only.
Tasks the worker's prefork children run are counted the same way, and stay
counted when a child is killed and replaced.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.observability import (
    GUNICORN_MAX_REQUESTS,
    GUNICORN_WORKERS,
    WEB_REPLICAS,
    observability_stack,
)
from tests.e2e.readme import readme_commands, run_as_user
from tests.support.metrics import firing, prometheus_api, query, scrape, total
from tests.support.waits import wait_until

N = 240
VIEW = {"view": "post-list", "method": "GET", "status": "200"}
TASK = "apps.posts.tasks.requeue_stuck_thumbnails"
# entrypoint.sh's; one file per process and kind of metric.
METRICS_DIRECTORY = "/tmp/prometheus-metrics"  # noqa: S108 - in the container
# Run in a container: the metrics files, and each running process's parent
# (a process that exited and is not reaped yet, a zombie, does not run).
LIST_PROCESSES = f"""
import json, os
parents = {{}}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{{pid}}/stat") as stat:
            state, parent = stat.read().rsplit(")", 1)[1].split()[:2]
    except FileNotFoundError:
        continue
    if state != "Z":
        parents[pid] = int(parent)
print(json.dumps({{"files": sorted(os.listdir("{METRICS_DIRECTORY}")),
                  "parents": parents}}))
"""
ARCHIVES = {"counter_archive.db", "histogram_archive.db"}


@pytest.fixture(scope="module")
def stack():
    with observability_stack() as stack:
        yield stack


def web_replicas(stack) -> list[int]:
    """The web replicas' numbers: all WEB_REPLICAS of them running."""
    replicas = stack.replica_numbers("web")
    assert len(replicas) == WEB_REPLICAS, replicas
    return replicas


def web_total(stack, name, **labels):
    return [total(scrape(stack, "web", i), name, **labels) for i in web_replicas(stack)]


@pytest.fixture(scope="module")
def front_page(stack):
    """N anonymous GETs of the front page through Nginx; the counts around them."""
    before = web_counts(stack)
    with httpx.Client(base_url=stack.base_url, timeout=15) as client:

        def get(_):
            return client.get("/api/v1/posts/").status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(get, range(N)))
    assert statuses == [200] * N
    return before, web_counts(stack)


def test_n_requests_through_nginx_are_counted_exactly_n(front_page):
    before, after = front_page
    counted = {name: [a - b for a, b in zip(after[name], before[name], strict=True)]
               for name in after}  # fmt: skip
    served = counted["requests"]
    assert sum(served) == N, served
    assert all(served), f"a replica served none: {served}"
    assert sum(counted["durations"]) == N
    # The anonymous front page is the cached feed: every request looked it up,
    # and only misses read PostgreSQL (a replica may see none, so no per-replica
    # floor on queries).
    lookups = [h + m for h, m in zip(counted["hits"], counted["misses"], strict=True)]
    assert lookups == served, (lookups, served)
    assert sum(counted["misses"]) >= 1
    for queries, misses in zip(counted["queries"], counted["misses"], strict=True):
        assert queries >= misses


def web_counts(stack) -> dict[str, list[float]]:
    """Per replica: the front page's requests, their timings, feed lookups, queries."""
    samples = [scrape(stack, "web", index) for index in web_replicas(stack)]
    count = {
        "requests": ("django_http_requests_total", VIEW),
        "durations": ("django_http_request_duration_seconds_count",
                      {"view": VIEW["view"], "method": "GET"}),
        "hits": ("django_cache_lookups_total", {"cache": "feed", "result": "hit"}),
        "misses": ("django_cache_lookups_total", {"cache": "feed", "result": "miss"}),
        "queries": ("django_db_queries_total", {"outcome": "ok"}),
    }  # fmt: skip
    return {
        key: [total(one, name, **labels) for one in samples]
        for key, (name, labels) in count.items()
    }


def processes(stack, service, index=None) -> dict:
    """The metrics directory's files and {pid: parent pid} of one container."""
    out = stack.exec(service, "python", "-c", LIST_PROCESSES, index=index).stdout
    found = json.loads(out)
    return {
        "files": found["files"],
        "parents": {int(k): v for k, v in found["parents"].items()},
    }


def pid_files(files) -> dict[int, list[str]]:
    """counter_12.db -> {12: [...]}: the files of processes, archives left out."""
    owned = {}
    for name in files:
        owner = name.removesuffix(".db").rpartition("_")[2]
        if owner.isdigit():
            owned.setdefault(int(owner), []).append(name)
    return owned


def test_recycled_workers_files_merge_and_the_total_stays_exact(stack, front_page):
    # Each replica's N/2 requests outnumber its workers' max_requests several
    # times: every worker was recycled, some several times.
    assert N / WEB_REPLICAS > GUNICORN_WORKERS * GUNICORN_MAX_REQUESTS
    # Counted since the containers started, archived or live: N more than before
    # the requests, none lost or counted twice by the merges.
    before = sum(front_page[0]["requests"])
    assert sum(web_total(stack, "django_http_requests_total", **VIEW)) == before + N
    for index in web_replicas(stack):
        # Bounded: the files of running workers, and one archive per kind (and
        # the remainders of a float sum: histogram_archive-1.db). A worker that
        # served the last request may still be exiting: its files go once the
        # master has reaped it.
        def bounded(index=index):
            found = processes(stack, "web", index)
            owned = pid_files(found["files"])
            running = set(owned) <= set(found["parents"])
            return found if running and len(owned) <= GUNICORN_WORKERS else None

        found = wait_until(bounded, timeout=30, what=f"web-{index}: running files")
        owned = pid_files(found["files"])
        archives = set(found["files"]) - {f for names in owned.values() for f in names}
        assert archives >= ARCHIVES, found["files"]
        assert len(archives) <= 4, archives
        samples = scrape(stack, "web", index)
        assert total(samples, "gunicorn_workers") == GUNICORN_WORKERS


def test_tasks_run_by_prefork_children_are_counted_even_once_killed(stack):
    before = scrape(stack, "worker")
    script = (
        "from apps.posts.tasks import requeue_stuck_thumbnails as t\n"
        "for _ in range(5): t.delay()"
    )
    stack.exec("web", "python", "manage.py", "shell", "-c", script)

    def counted():
        now = scrape(stack, "worker")
        done = total(now, "celery_tasks_succeeded_total", task=TASK)
        return done - total(before, "celery_tasks_succeeded_total", task=TASK) == 5

    wait_until(counted, timeout=60, what="5 tasks succeeded")
    after = scrape(stack, "worker")
    started = total(after, "celery_tasks_started_total", task=TASK)
    assert started - total(before, "celery_tasks_started_total", task=TASK) == 5
    assert total(after, "celery_queue_length", queue="celery") == 0
    assert total(after, "celery_broker_up") == 1
    killed_child_keeps_its_counts(stack)


def killed_child_keeps_its_counts(stack):
    """A child that ran tasks is killed: replaced, its files merged, none lost."""
    found = processes(stack, "worker")
    # Celery's main process is docker-init's child; the pool's are its own.
    main = next(pid for pid, parent in found["parents"].items() if parent == 1)
    children = [pid for pid, parent in found["parents"].items() if parent == main]
    counted = [pid for pid in pid_files(found["files"]) if pid in children]
    assert counted, found  # the 5 tasks ran in one child or both
    before = scrape(stack, "worker")
    victim = counted[0]
    kill = f"import os, signal; os.kill({victim}, signal.SIGKILL)"
    stack.exec("worker", "python", "-c", kill)

    def merged():
        now = processes(stack, "worker")
        replaced = sum(p == main for p in now["parents"].values()) == len(children)
        return replaced and victim not in pid_files(now["files"])

    # Celery's main process replaces the child, and merges its files within
    # COMPACT_EVERY (10 s) of noticing it gone.
    wait_until(merged, timeout=60, what=f"child {victim} replaced and merged")
    after = scrape(stack, "worker")
    for outcome in ("started", "succeeded"):
        name = f"celery_tasks_{outcome}_total"
        assert total(after, name, task=TASK) == total(before, name, task=TASK)
    assert "counter_archive.db" in processes(stack, "worker")["files"]


@pytest.mark.parametrize(
    "path",
    ["/metrics", "/metrics/", "/prometheus", "/prometheus/metrics", "/-/metrics",
     "/api/metrics", "/internal/metrics", "/:9100/metrics"],
)  # fmt: skip
def test_metrics_are_not_reachable_through_nginx(stack, path):
    response = httpx.get(stack.base_url + path, timeout=10)
    assert response.status_code == 404
    assert "django_http_requests_total" not in response.text


def test_prometheus_discovers_every_replica_and_reads_the_same_total(stack):
    def targets_up():
        active = prometheus_api(stack.prometheus_port, "targets")["activeTargets"]
        up = [t["labels"]["job"] for t in active if t["health"] == "up"]
        return up.count("web") == WEB_REPLICAS and up.count("worker") == 1

    wait_until(targets_up, timeout=60, what="2 web and 1 worker targets up")
    expected = sum(web_total(stack, "django_http_requests_total", **VIEW))
    selector = ",".join(f'{k}="{v}"' for k, v in VIEW.items())

    def scraped_total():
        result = query(
            stack.prometheus_port, f"sum(django_http_requests_total{{{selector}}})"
        )
        return result and result[0][1] == expected

    wait_until(scraped_total, timeout=60, what=f"Prometheus reads {expected}")
    assert not firing(stack.prometheus_port, "HighErrorRatio")


def test_the_readme_commands_show_every_job_up(stack):
    up, query_up = readme_commands("tests/e2e/test_metrics.py")
    run_as_user(stack, up)
    out = run_as_user(stack, query_up).stdout
    assert f'{{job="web"}} => {WEB_REPLICAS}' in out, out
    assert '{job="worker"} => 1' in out, out
