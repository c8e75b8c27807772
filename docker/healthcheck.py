"""Container healthchecks for the application image, using only the standard library
and the redis client, so a probe costs a fraction of a Django start-up.

    python docker/healthcheck.py http [PATH]   # web: GET http://127.0.0.1:$PORT/PATH
    python docker/healthcheck.py broker        # beat: the Celery broker answers PING
    python docker/healthcheck.py fresh FILE SECONDS  # worker: FILE touched lately

Exits 0 when healthy, 1 (with the reason on stderr) otherwise.
"""

import os
import socket
import sys
import time

TIMEOUT_SECONDS = 3
MAX_RESPONSE_BYTES = 65536


def check_http(path="/healthz"):
    """GET PATH from this container's gunicorn: healthy on a 200.

    A bare HTTP/1.0 exchange on a socket, because importing urllib took about
    half of the probe's CPU (50 of some 130 ms, most of the rest is Docker's
    exec), paid every 2 s by every replica while it serves.
    """
    port = int(os.environ.get("PORT", "8000"))
    request = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), TIMEOUT_SECONDS) as sock:
        sock.sendall(request)
        response = _read_to_end(sock)
    status_line = response.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise RuntimeError(f"{path}: not an HTTP answer: {status_line[:80]!r}")
    if parts[1] != "200":
        raise RuntimeError(f"{path} answered {parts[1]}")


def _read_to_end(sock):
    """The whole response (HTTP/1.0: the server closes after it), so the server
    never writes into a socket the probe already closed."""
    chunks, size = [], 0
    while size < MAX_RESPONSE_BYTES and (chunk := sock.recv(4096)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


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
