"""Tasks are counted by outcome from Celery's signals, and the broker's queues read."""

import json
import time
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from prometheus_client import REGISTRY

from apps.core.metrics import tasks
from apps.core.metrics.collectors import BrokerQueues
from config.celery import app

QUEUE = "metrics-test-queue"


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


@app.task(name="metrics_test.succeeds")
def succeeds():
    return 1


@app.task(name="metrics_test.fails")
def fails():
    raise ValueError("boom")


@app.task(bind=True, name="metrics_test.retries", max_retries=1)
def retries(self):
    raise self.retry(countdown=0)


def counts(task):
    return {
        outcome: sample(f"celery_tasks_{outcome}_total", task=task)
        for outcome in ("started", "succeeded", "failed", "retried")
    }


@pytest.mark.parametrize(
    ("task", "outcome"),
    [(succeeds, "succeeded"), (fails, "failed"), (retries, "retried")],
)
def test_a_run_counts_started_its_outcome_and_its_duration(task, outcome):
    before = counts(task.name)
    durations = sample("celery_task_duration_seconds_count", task=task.name)
    task.apply()  # runs here, sending the worker's signals
    after = counts(task.name)
    assert after["started"] >= before["started"] + 1
    assert after[outcome] == before[outcome] + 1
    others = {"succeeded", "failed", "retried"} - {outcome}
    # An eager retry runs the task again, which fails for good on its last try.
    if outcome != "retried":
        assert all(after[name] == before[name] for name in others)
    assert sample("celery_task_duration_seconds_count", task=task.name) > durations


def test_the_publisher_stamps_the_time_once():
    headers = {}
    tasks.stamp_publish_time(headers=headers)
    stamped = headers[tasks.PUBLISHED_AT]
    tasks.stamp_publish_time(headers=headers)
    assert headers[tasks.PUBLISHED_AT] == stamped
    assert abs(stamped - time.time()) < 5


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)
    client.close()


def collected(collector):
    return {
        (s.name, s.labels.get("queue")): s.value
        for family in collector.collect()
        for s in family.samples
    }


def queues_of(name):
    return SimpleNamespace(
        conf=SimpleNamespace(
            task_queues=None,
            task_default_queue=name,
            broker_url=settings.CELERY_BROKER_URL,
        )
    )


def test_queue_length_and_the_oldest_message_age(broker):
    message = {"headers": {tasks.PUBLISHED_AT: time.time() - 60}, "body": ""}
    # As kombu does: new messages on the left, the oldest on the right.
    broker.lpush(QUEUE, json.dumps(message))
    broker.lpush(QUEUE, json.dumps({"headers": {tasks.PUBLISHED_AT: time.time()}}))
    values = collected(BrokerQueues(queues_of(QUEUE)))
    assert values[("celery_broker_up", None)] == 1
    assert values[("celery_queue_length", QUEUE)] == 2
    assert 59 < values[("celery_queue_oldest_message_age_seconds", QUEUE)] < 90


def test_an_empty_queue_has_no_age(broker):
    values = collected(BrokerQueues(queues_of(QUEUE)))
    assert values[("celery_queue_length", QUEUE)] == 0
    assert values[("celery_queue_oldest_message_age_seconds", QUEUE)] == 0


def test_an_unreachable_broker_is_reported_not_raised():
    app = queues_of(QUEUE)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    values = collected(BrokerQueues(app, timeout=0.2))
    assert values == {("celery_broker_up", None): 0}


def test_a_real_published_message_carries_its_age(broker):
    with app.connection_for_write() as connection:
        succeeds.apply_async(queue=QUEUE, connection=connection)
    values = collected(BrokerQueues(queues_of(QUEUE)))
    assert values[("celery_queue_length", QUEUE)] == 1
    assert 0 < values[("celery_queue_oldest_message_age_seconds", QUEUE)] < 30
