"""Alert drill: the worker stops with tasks queued, and the backlog alert fires.

Not in `make test` (about 3 minutes with its own stack): `make drill-alerts`. The
shipped rules run with `for:` cut to 10 s and the backlog threshold to 20 s, in
an override of this drill only; Prometheus' own API is what says it fires.
"""

import sys
import time

import pytest
import yaml

from tests.e2e.observability import observability_stack
from tests.support.compose import ROOT
from tests.support.metrics import firing, query
from tests.support.waits import seconds_until, wait_until

pytestmark = pytest.mark.drill
RULES = ROOT / "docker" / "prometheus" / "rules" / "drf.yml"
BACKLOG_SECONDS = 20


def drill_rules(directory):
    """The shipped rules, quick to fire: short `for:`, a 20 s backlog threshold."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "10s"
            if rule.get("alert") == "CeleryQueueBacklog":
                assert "> 300" in rule["expr"]
                rule["expr"] = rule["expr"].replace("> 300", f"> {BACKLOG_SECONDS}")
    # Prometheus loads every file of the rules directory: the override stays out.
    (directory / "rules").mkdir(mode=0o755)
    (directory / "rules" / "drf.yml").write_text(yaml.safe_dump(rules))
    override = directory / "drill.compose.yml"
    mount = f"{directory / 'rules'}:/etc/prometheus/rules:ro"
    override.write_text(
        yaml.safe_dump({"services": {"prometheus": {"volumes": [mount]}}})
    )
    return override


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    directory = tmp_path_factory.mktemp("drill-rules")
    directory.chmod(0o755)
    override = drill_rules(directory)
    files = ("docker-compose.yml", str(override))
    with observability_stack(files=files, name="obs-drill") as stack:
        yield stack


def test_a_stopped_worker_with_tasks_queued_fires_the_backlog_alert(stack):
    port = stack.prometheus_port
    stack.compose("stop", "worker")
    script = (
        "from apps.posts.tasks import requeue_stuck_thumbnails as t\n"
        "for _ in range(5): t.delay()"
    )
    stack.exec("web", "python", "manage.py", "shell", "-c", script)
    queued = time.monotonic()
    took = seconds_until(lambda: firing(port, "CeleryQueueBacklog"), timeout=180)
    assert took is not None, "CeleryQueueBacklog never fired"
    (alert,) = firing(port, "CeleryQueueBacklog")
    assert alert["labels"]["queue"] == "celery"
    since = time.monotonic() - queued
    sys.stderr.write(f"\nCeleryQueueBacklog fired {since:.0f} s after queueing\n")
    wait_until(
        lambda: firing(port, "CeleryNoWorkerConsuming"), timeout=60, what="no worker"
    )
    # The worker back: the queue drains, and the backlog is over.
    stack.compose("start", "worker")
    drained = "max(celery_queue_length{queue='celery'}) == 0"
    wait_until(lambda: query(port, drained), timeout=120, what="queue drained")
