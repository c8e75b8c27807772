"""The metrics endpoint: one HTTP server per container, on METRICS_PORT.

It runs in the process that outlives the others (gunicorn's master, Celery's main
process), in a thread of its own, and never behind Nginx: the port is reachable on
the compose networks only. Values come from every process's files in the
multiprocess directory, summed on each scrape, plus what the serving process
collects itself then (the gunicorn worker count, the broker's queues).
"""

import errno
import logging
import os
import threading
import time

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

logger = logging.getLogger(__name__)
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
PORT_WAIT_SECONDS = 150


def multiprocess() -> bool:
    return MULTIPROC_DIR in os.environ


def serving_registry(*collectors) -> CollectorRegistry:
    """Every process's values, from the multiprocess directory, and `collectors`."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    for collector in collectors:
        registry.register(collector)
    return registry


def metrics_serve(*, port: int, collectors=()) -> bool:
    """Serve the metrics on `port` in a daemon thread; 0 leaves them unserved.

    Only in multiprocess mode: otherwise the values stay in the processes that
    count them (gunicorn's workers, Celery's children), and the serving process
    would show none of them. Outside the containers (honcho) that is the case.
    """
    if not port:
        logger.info("METRICS_PORT=0: no metrics endpoint")
        return False
    if not multiprocess():
        logger.warning("%s is not set: no metrics endpoint", MULTIPROC_DIR)
        return False
    registry = serving_registry(*collectors)
    if not _serve(port, registry):
        # Held by the worker this one replaces, still stopping: in development
        # the two overlap (docker/dev-restart.py). Serve once it lets go.
        logger.info("metrics port %s in use: serving once it is free", port)
        threading.Thread(
            target=_serve_when_free, args=(port, registry), daemon=True
        ).start()
    return True


def _serve(port, registry) -> bool:
    try:
        start_http_server(port, registry=registry)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        return False
    logger.info("metrics on port %s", port)
    return True


def _serve_when_free(port, registry):
    # A stopping worker holds the port at most its stop_grace_period (2 min).
    deadline = time.monotonic() + PORT_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if _serve(port, registry):
            return
    logger.error(
        "metrics port %s still in use after %s s: no endpoint", port, PORT_WAIT_SECONDS
    )


def process_exited(pid: int) -> None:
    """Drop a dead process's live gauges; its counters stay in the totals."""
    if multiprocess():
        mark_process_dead(pid)
