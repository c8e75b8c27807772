"""The metrics endpoint: one HTTP server per container, on METRICS_PORT.

It runs in the process that outlives the others (gunicorn's master, Celery's main
process), in a thread of its own, and never behind Nginx: the port is reachable on
the compose networks only. Values come from every process's files in the
multiprocess directory, summed on each scrape (`multiprocess.py`), plus what the
serving process collects itself then (the gunicorn worker count, the broker's
queues). The same process merges the files of its children that exited
(`compaction.py`), so the directory stays as large as the processes running.

Fork safety: the serving process forks its workers while the server's threads run
(gunicorn's master spawns a worker at each recycle, Celery's main process a child
for each one lost). A forked child has only the thread that forked it, and inherits
every lock as it was; the server's threads hold only locks no child takes: the
directory lock (`multiprocess.LOCK`, reset in children all the same), the serving
registry's own, and logging's, which CPython reinitialises in a child. They never
touch prometheus-client's value lock (held while a process records a value), and
never the Celery app: the collectors read its configuration when created, in the
thread that forks. The child also inherits the listening socket and any scrape's
open connection as descriptors it never reads; the server shuts each connection
down when it answers, so Prometheus sees the end of every response.
"""

import errno
import logging
import os
import threading
import time

from prometheus_client import CollectorRegistry, start_http_server

from apps.core.metrics.compaction import compact
from apps.core.metrics.multiprocess import DirectoryCollector

logger = logging.getLogger(__name__)
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
PORT_WAIT_SECONDS = 150


def multiprocess() -> bool:
    return MULTIPROC_DIR in os.environ


def serving_registry(*collectors) -> CollectorRegistry:
    """Every process's values, from the multiprocess directory, and `collectors`."""
    registry = CollectorRegistry()
    registry.register(DirectoryCollector(os.environ[MULTIPROC_DIR]))
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


def compact_directory() -> None:
    """Merge the files of processes that exited into the archives (compaction.py).

    Call it only from the thread that forks the processes writing there, in the
    process that serves them.
    """
    if multiprocess():
        merged = compact(os.environ[MULTIPROC_DIR])
        if merged:
            logger.debug("metrics: merged %s files of exited processes", merged)
