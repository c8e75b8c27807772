"""Values read when Prometheus scrapes: gunicorn's workers and the broker's queues.

Both are collected by the serving process itself, at scrape time, not written to the
multiprocess files. Every web replica and worker reports the same queues, so the
rules take their `max`: the queues stay visible while no worker runs.
"""

import json
import logging
import time

import redis
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)


class GunicornWorkers:
    """The number of workers gunicorn's master runs now."""

    def __init__(self, arbiter):
        self.arbiter = arbiter

    def collect(self):
        yield GaugeMetricFamily(
            "gunicorn_workers",
            "Workers gunicorn runs.",
            value=len(self.arbiter.WORKERS),
        )


class BrokerQueues:
    """Length and oldest message's age of each Celery queue, read from Redis.

    Kombu's Redis transport pushes on the left and pops on the right, so the
    oldest message is the last; its age comes from the header the publisher
    stamps (apps.core.metrics.tasks). A broker that does not answer is
    `celery_broker_up 0`, not a failed scrape.

    The app's configuration is read here, where the collector is made (the thread
    that forks the workers), so a scrape's thread never loads or locks any of
    Celery's state that a child forked meanwhile would inherit half done.
    """

    def __init__(self, app, timeout: float = 1.0):
        conf = app.conf
        queues = {q.name for q in conf.task_queues or ()}
        self.queue_names = sorted(queues | {conf.task_default_queue})
        self.broker_url = conf.broker_url
        self.timeout = timeout

    def collect(self):
        up = GaugeMetricFamily("celery_broker_up", "Whether the broker answered.")
        length = GaugeMetricFamily(
            "celery_queue_length", "Messages waiting in the queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "celery_queue_oldest_message_age_seconds",
            "Age of the oldest waiting message (0 when empty).",
            labels=["queue"],
        )
        try:
            self._read(length, age)
        except redis.RedisError as error:
            logger.warning("metrics: broker unreachable: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, length, age)

    def _read(self, length, age):
        client = redis.Redis.from_url(
            self.broker_url,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
        )
        names = self.queue_names
        # One round trip for every queue, so a scrape costs the broker one read.
        with client, client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
                pipe.lindex(name, -1)
            replies = pipe.execute()
        for name, size, oldest in zip(names, replies[::2], replies[1::2], strict=True):
            length.add_metric([name], size)
            age.add_metric([name], _age(oldest))


def _age(message) -> float:
    if message is None:
        return 0.0
    try:
        published = float(json.loads(message)["headers"]["published_at"])
    except (ValueError, KeyError, TypeError):
        return 0.0
    return max(0.0, time.time() - published)
