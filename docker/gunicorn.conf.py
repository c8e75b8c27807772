"""Gunicorn settings for the web container; every value comes from the environment.

GUNICORN_GRACEFUL_TIMEOUT must stay below compose's stop_grace_period for web, so
in-flight requests finish before Docker sends SIGKILL.
"""

import json
import logging
import os
import time

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker


def _int(name, default):
    return int(os.environ.get(name, default))


class ClosingThreadWorker(ThreadWorker):
    """The gthread worker, letting go of the listening socket as soon as it stops.

    A stopping gthread worker stops accepting but holds the listening socket until
    its requests in flight are done. Meanwhile the kernel still completes new
    connections into the socket's queue, and the final close resets them: Nginx
    has sent those requests, so it may not retry a POST on another replica and
    answers 502. Taking what is queued and closing at once makes later
    connections be refused instead, which Nginx retries elsewhere for any method.
    """

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                self._accept_queued(listener)
                listener.close()

    def _accept_queued(self, listener):
        accepted = -1
        while accepted != self.nr_conns:  # accept() counts a connection it takes
            accepted = self.nr_conns
            self.accept(listener)


bind = f"0.0.0.0:{_int('PORT', 8000)}"
workers = _int("GUNICORN_WORKERS", 2)
# Threads: a slow upstream call ties up a thread, not a whole process.
worker_class = ClosingThreadWorker
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycling workers bounds the damage of a slow memory leak; the jitter keeps them
# from all restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
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

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The text format when LOG_FORMAT=console. It carries the request id Nginx sets and
# deliberately leaves out %(u)s, which gunicorn takes from the Authorization header.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}i)s'
)


class JsonLogger(Logger):
    """Writes gunicorn's access and error logs as one JSON object per line.

    The keys are the application's (apps/core/logging.py): timestamp, level,
    logger, message and request_id, so one query reads every process's records.

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

    def access(self, resp, req, environ, request_time):
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


def _status_code(resp):
    status = str(getattr(resp, "status", "") or "")
    code = status.split(None, 1)[0]
    return int(code) if code.isdigit() else status


if os.environ.get("LOG_FORMAT", "json") == "json":
    logger_class = JsonLogger
