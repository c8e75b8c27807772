"""Steady HTTP load beside a fault: every request's outcome, bounded in time."""

import threading
import time

import httpx


class SteadyLoad:
    """Requests from `threads` clients, each in a loop, until stopped or `limit` s pass.

    GETs by default; with `json`, POSTs of that body. Use as a context manager;
    `outcomes` holds (status, upstream) per request, status 0 for a transport error.
    """

    def __init__(
        self, base_url, path, *, headers=None, json=None, threads=4, limit=240
    ):
        self.base_url, self.path, self.headers = base_url, path, headers or {}
        self.method, self.json = ("GET", None) if json is None else ("POST", json)
        self.limit = limit
        self.outcomes = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=70)

    def _run(self):
        deadline = time.monotonic() + self.limit
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    response = client.request(
                        self.method, self.path, headers=self.headers, json=self.json
                    )
                    outcome = (response.status_code, response.headers.get("X-Upstream"))
                except httpx.HTTPError as exc:
                    outcome = (0, type(exc).__name__)
                self.outcomes.append(outcome)
                self._stop.wait(0.02)

    @property
    def failures(self):
        return [outcome for outcome in self.outcomes if outcome[0] not in (200, 201)]
