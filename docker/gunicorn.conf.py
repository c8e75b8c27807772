"""Gunicorn settings for the web container; every value comes from the environment.

GUNICORN_GRACEFUL_TIMEOUT must stay below compose's stop_grace_period for web, so
in-flight requests finish before Docker sends SIGKILL.
"""

import contextlib
import gc
import json
import logging
import os
import socket
import time

from gunicorn.glogging import Logger
from gunicorn.workers.sync import SyncWorker

# Probes answered by the application; their successes are not worth a log line.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def _int(name, default):
    return int(os.environ.get(name, default))


class ClosingSyncWorker(SyncWorker):
    """The sync worker, letting go of the listening socket as soon as it stops.

    A stopping worker finishes its request in flight while the kernel still
    completes new connections into the listening socket's queue; when the last
    process holding the socket exits, those are reset. Nginx has sent their
    requests already, so it may not retry a POST on another replica and answers
    502. Taking what is queued, then closing the socket before serving it, makes
    every later connection be refused instead, which Nginx retries elsewhere for
    any method. gunicorn has no setting for this (its sync worker closes the
    socket only when the process exits), hence the subclass.
    """

    def handle(self, listener, client, addr):
        # Hold the response's segments until _send_fin: the last one then carries
        # the FIN, and Nginx reads the end of the response and the close at once.
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        super().handle(listener, client, addr)

    def run(self):
        super().run()  # returns once the worker stops or recycles
        queued = [self._take_queued(listener) for listener in self.sockets]
        for sockname, clients in queued:
            for client, addr in clients:
                self.handle(_ClosedListener(sockname), client, addr)

    @staticmethod
    def _take_queued(listener):
        # Nothing between the queue found empty and the close: a connection the
        # kernel completes in between would be reset.
        sockname, clients = listener.getsockname(), []
        while True:
            try:
                client, addr = listener.accept()
            except BlockingIOError:  # the queue is empty
                break
            except ConnectionAbortedError:  # gone before it was accepted
                continue
            clients.append((client, addr))
        listener.close()
        for client, _ in clients:
            client.setblocking(True)
        return sockname, clients


class _ClosedListener:
    """What handle() needs of a listener already closed: its address, for WSGI."""

    def __init__(self, sockname):
        self._sockname = sockname

    def getsockname(self):
        return self._sockname


bind = f"0.0.0.0:{_int('PORT', 8000)}"
# Sync workers, one request at a time each, chosen by measurement (see
# docs/benchmarks/README.md): the cheapest worker per request, and behind Nginx,
# which buffers slow clients, blocking on a client never happens. A sync worker
# closes each connection after its response (gunicorn's "design" docs), so the
# TIME_WAIT of every connection stays in this container, not in Nginx's, whose
# local ports would otherwise run out under sustained load.
worker_class = ClosingSyncWorker
workers = _int("GUNICORN_WORKERS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Recycling workers bounds the damage of a slow memory leak; the jitter keeps them
# from all restarting at the same moment. Rare enough that the reconnects and
# forks cost nothing measurable.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# Import Django once, in the master: a recycled worker is a fork, ready at once,
# instead of a second of imports competing with the live workers for the CPU
# (the benchmark's profile showed it as p99 spikes). Safe because nothing opens
# a connection at import time; each worker connects on its first request.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() == "true"
# The heartbeat file lives in memory, not on the container's overlay filesystem;
# gunicorn's default where there is no /dev/shm (honcho on macOS, say).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicornc talks to this socket; /tmp stays writable where the image is read-only.
control_socket = "/tmp/gunicorn.ctl"  # noqa: S108 - a private tmpfs in the container
# Only Nginx can reach the web containers (they publish no port), so the
# X-Forwarded-* headers it sets are trusted; narrow this where that is not so.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# Off by default: Nginx, in front of every web container, writes each request's
# access line with the same keys, request id and trace id. A second line from
# here cost about a fifth of the stack's throughput on two cores (its JSON in the
# worker, then Docker copying every line off stdout; docs/benchmarks, "Gunicorn
# settings tried"). Turn it on where clients reach gunicorn without Nginx.
accesslog = (
    "-" if os.environ.get("GUNICORN_ACCESS_LOG", "false").lower() == "true" else None
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The text format when LOG_FORMAT=console. It carries the request id Nginx sets and
# deliberately leaves out %(u)s, which gunicorn takes from the Authorization header.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}i)s'
)


class QuietProbesLogger(Logger):
    """gunicorn's logger, without a line for each successful health probe.

    Docker probes every web container every 2 s: about 43,000 lines a day per
    replica that say nothing. A probe that fails is still logged.
    """

    def access(self, resp, req, environ, request_time):
        _send_fin(resp)
        status = _status_code(resp)
        probe = environ.get("PATH_INFO", "").rstrip("/") in PROBE_PATHS
        if probe and isinstance(status, int) and status < 400:
            return
        self.write_access(resp, req, environ, request_time)

    def write_access(self, resp, req, environ, request_time):
        super().access(resp, req, environ, request_time)


class JsonLogger(QuietProbesLogger):
    """Writes gunicorn's access and error logs as one JSON object per line.

    The keys are the application's (apps/core/logging.py): timestamp, level,
    logger, message and request_id, so one query reads every process's records;
    access entries add the request's trace_id and span_id.

    Access entries name their fields explicitly, so headers such as Authorization
    and Cookie can never reach the log.
    """

    def setup(self, cfg):
        super().setup(cfg)
        formatter = _JsonErrorFormatter()
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def write_access(self, resp, req, environ, request_time):
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = {name.lower(): value for name, value in req.headers}
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        status = _status_code(resp)
        # The keys of the application's own JSON records come first.
        entry = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{method} {path} {status}",
            "request_id": headers.get("x-request-id", "-"),
            **_trace_ids(environ),
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "forwarded_for": headers.get("x-forwarded-for", ""),
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": headers.get("user-agent", ""),
        }
        try:
            self.access_log.info(json.dumps(entry))
        except Exception:  # a log line must never break a request
            self.error(f"Failed to log access entry: {entry!r}")


class _JsonErrorFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": "-",
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _send_fin(resp):
    """Half-close the connection as soon as the response is written out.

    gunicorn calls the access log right after a response's last byte. The sync
    worker closes the connection only after logging and Django's request_finished
    work; by then Nginx has read the whole response and closed first, and the
    side that closes first keeps the connection in TIME_WAIT for 60 s: Nginx's,
    whose local ports then run out under sustained load (each TIME_WAIT holds
    one). Sending the FIN with the response makes gunicorn the side that closes
    first. Only a response whose headers went out is complete enough for that:
    otherwise gunicorn still writes its error response on this socket.
    """
    sock = getattr(resp, "sock", None)
    if sock is not None and resp.headers_sent:
        with contextlib.suppress(OSError):  # the peer is gone already
            sock.shutdown(socket.SHUT_WR)


def _trace_ids(environ):
    """The Django server span's ids; `-` with tracing off (apps/core/tracing/)."""
    from apps.core.tracing.context import ENVIRON_KEY, NO_IDS

    trace_id, span_id = environ.get(ENVIRON_KEY, NO_IDS)
    return {"trace_id": trace_id, "span_id": span_id}


def _status_code(resp):
    status = str(getattr(resp, "status", "") or "")
    code = status.split(None, 1)[0]
    return int(code) if code.isdigit() else status


def when_ready(server):
    """Serve every worker's metrics from the master, which outlives them all.

    Imported here, not at the top: this file is read before the application, and
    without preload the master loads no Django; the settings alone are enough.

    The server's threads start before the first worker is forked, and keep running
    while the master forks the next ones (preload or not). A worker gets none of
    them, and no lock they hold: apps/core/metrics/exposition.py says why, lock by
    lock. The collectors are made here, in the master's main thread, which is the
    one that forks.
    """
    from django.conf import settings

    from apps.core.metrics.collectors import BrokerQueues, GunicornWorkers
    from apps.core.metrics.exposition import metrics_serve
    from config.celery import app

    collectors = [GunicornWorkers(server), BrokerQueues(app)]
    metrics_serve(port=settings.METRICS_PORT, collectors=collectors)


def post_fork(server, worker):
    """Tracing's exporter, in each worker after the fork (apps/core/tracing/).

    A batch span processor started in the master would leave every worker a copy
    of its thread's lock and none of its thread. Nothing happens with tracing off.
    """
    from apps.core.tracing.sdk import start

    start()


def post_worker_init(worker):
    """Leave the loaded application out of the cyclic garbage collector's work.

    Django, DRF and their dependencies leave some 100,000 long-lived objects,
    and every full (oldest-generation) collection walked them all: 50 ms on an
    idle core, 250-600 ms under load, since the workers, serving requests in
    step, reached the threshold together and paused at the same moment (the
    open-model benchmark's p99). Frozen objects are never collected, so a full
    collection walks only what requests leave behind; in a preloaded worker it
    also stops touching, and so copying, the pages shared with the master
    (Python's documentation of gc.freeze()).
    """
    gc.freeze()


def worker_exit(server, worker):
    # A recycled or stopping worker sends the spans it still holds.
    from apps.core.tracing.sdk import shutdown

    shutdown()


def child_exit(server, worker):
    """A recycled or crashed worker's files merge into the archives.

    Its counts stay in the totals, its live gauges go, and the directory stays as
    large as the workers running. gunicorn calls this from the master's main loop
    (signals are queued, not handled in place), the thread that forks workers: no
    new worker can take the exited one's pid during the merge.
    """
    from apps.core.metrics.exposition import compact_directory

    compact_directory()


logger_class = (
    JsonLogger if os.environ.get("LOG_FORMAT", "json") == "json" else QuietProbesLogger
)
