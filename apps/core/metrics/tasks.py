"""Celery task metrics, from Celery's signals, and the worker's metrics endpoint.

The counters are written by the prefork children that run the tasks; the main
worker process serves them (`worker_ready`), and every COMPACT_EVERY seconds merges
the files of children that exited (a child killed by the hard time limit, or
replaced after --max-tasks-per-child) into the archives. Each task name starts at
zero when the worker starts, so `increase()` sees a periodic task's first run after
a restart too: the "beat not running" alert counts the beat-scheduled tasks the
workers start.
"""

import time

from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_ready,
)
from prometheus_client import Counter, Histogram

from apps.core.metrics.exposition import compact_directory, metrics_serve

PUBLISHED_AT = "published_at"
# Children exit rarely (no --max-tasks-per-child here); a merge that finds none
# costs a directory listing.
COMPACT_EVERY = 10.0
STARTED = Counter("celery_tasks_started", "Tasks a worker started.", ["task"])
SUCCEEDED = Counter("celery_tasks_succeeded", "Tasks that succeeded.", ["task"])
FAILED = Counter("celery_tasks_failed", "Tasks that raised.", ["task"])
RETRIED = Counter("celery_tasks_retried", "Tasks that asked to be retried.", ["task"])
DURATION = Histogram(
    "celery_task_duration_seconds",
    "Time a task ran, whatever its outcome.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
_started = {}


@before_task_publish.connect
def stamp_publish_time(headers=None, **kwargs):
    # The broker collector reads it on the oldest queued message: the backlog's age.
    if headers is not None:
        headers.setdefault(PUBLISHED_AT, time.time())


@task_prerun.connect
def count_started(task_id=None, task=None, **kwargs):
    STARTED.labels(task.name).inc()
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def observe_duration(task_id=None, task=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        DURATION.labels(task.name).observe(time.perf_counter() - started)


@task_success.connect
def count_succeeded(sender=None, **kwargs):
    SUCCEEDED.labels(sender.name).inc()


@task_failure.connect
def count_failed(sender=None, **kwargs):
    FAILED.labels(sender.name).inc()


@task_retry.connect
def count_retried(sender=None, **kwargs):
    RETRIED.labels(sender.name).inc()


@worker_ready.connect
def serve_worker_metrics(sender=None, **kwargs):
    """In the worker's main process, its consumer the sender: serve, and compact.

    The consumer's timer runs on the event loop that also forks the pool's
    children (Celery's "Extensions and Bootsteps" guide shows `timer` for
    periodic work), which is where compaction must run.
    """
    from django.conf import settings

    from apps.core.metrics.collectors import BrokerQueues

    app = sender.app
    for name in app.tasks:
        if not name.startswith("celery."):
            for counter in (STARTED, SUCCEEDED, FAILED, RETRIED):
                counter.labels(name)
    metrics_serve(port=settings.METRICS_PORT, collectors=[BrokerQueues(app)])
    sender.timer.call_repeatedly(COMPACT_EVERY, compact_directory)
