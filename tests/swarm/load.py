"""Steady mixed load for the Swarm tests, standard library only (the host's Python).

Threads loop over an anonymous post list, /users/me/ and a post create (the writes;
not with --reads-only) through one Nginx until the stop file appears or
--max-seconds pass, then print one JSON line: counts by status, failures (anything
not 2xx, timeouts and refused connections included) and the first few failures'
details.

    python3 tests/swarm/load.py --url http://10.213.7.11:8080 --token "$ACCESS" \
        --stop /tmp/stop --max-seconds 600 > result.json
"""

import argparse
import collections
import http.client
import json
import pathlib
import sys
import threading
import time
import urllib.parse

STEPS = [
    ("GET", "/api/v1/posts/", None),
    ("GET", "/api/v1/users/me/", None),
    ("POST", "/api/v1/posts/", json.dumps({"title": "under load", "published": True})),
]


def call(host, port, token, step):
    """One request of the mix (list, me, create): its status and, if failed, why."""
    method, path, body = STEPS[step]
    headers = {"Host": "localhost", "Content-Type": "application/json"}
    if step:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(200).decode(errors="replace")
    except (OSError, http.client.HTTPException) as error:
        return "error", f"{method} {path}: {error}"
    finally:
        connection.close()
    return response.status, None if 200 <= response.status < 300 else text


def worker(args, stop, counts, failures, lock):
    url = urllib.parse.urlsplit(args.url)
    mix = 2 if args.reads_only else len(STEPS)
    step = 0
    while not stop.is_set():
        status, detail = call(url.hostname, url.port, args.token, step % mix)
        step += 1
        with lock:
            counts[str(status)] += 1
            if detail is not None:
                failures.append(f"{status} {detail}")
        time.sleep(args.pause)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--stop", type=pathlib.Path, required=True)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument(
        "--reads-only", action="store_true", help="the list and /users/me/ only"
    )
    args = parser.parse_args()
    stop, lock = threading.Event(), threading.Lock()
    counts, failures = collections.Counter(), []
    threads = [
        threading.Thread(target=worker, args=(args, stop, counts, failures, lock))
        for _ in range(args.threads)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while not args.stop.exists() and time.monotonic() - started < args.max_seconds:
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    sys.stdout.write(
        json.dumps(
            {
                "requests": sum(counts.values()),
                "failed": len(failures),
                "seconds": round(seconds, 1),
                "by_status": dict(counts),
                "first_failures": failures[:5],
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
