"""Container healthchecks for the application image, using only the standard library
and the redis client, so a probe costs a fraction of a Django start-up.

    python docker/healthcheck.py http [PATH]   # web: GET http://127.0.0.1:$PORT/PATH
    python docker/healthcheck.py broker        # beat: the Celery broker answers PING
    python docker/healthcheck.py fresh FILE SECONDS  # worker: FILE touched lately

Exits 0 when healthy, 1 (with the reason on stderr) otherwise.
"""

import os
import sys
import time
import urllib.request

TIMEOUT_SECONDS = 3


def check_http(path="/healthz"):
    port = os.environ.get("PORT", "8000")
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT_SECONDS
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")


def check_broker():
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"]
    client = redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def check_fresh(path, seconds):
    """FILE was touched within SECONDS: the Celery worker's, while it consumes
    (apps/core/celery_liveness.py)."""
    try:
        age = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing: not consuming") from None
    if age > float(seconds):
        raise RuntimeError(f"{path} is {age:.0f} s old (limit {seconds} s)")


CHECKS = {"http": check_http, "broker": check_broker, "fresh": check_fresh}


def main(argv):
    if not argv or argv[0] not in CHECKS:
        sys.exit(f"usage: healthcheck.py {{{'|'.join(CHECKS)}}} [ARGS]")
    try:
        CHECKS[argv[0]](*argv[1:])
    except Exception as exc:  # any failure is "unhealthy"; say why in docker inspect
        sys.exit(f"unhealthy: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main(sys.argv[1:])
