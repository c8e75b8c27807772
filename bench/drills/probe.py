"""Background load and probes for the drills; each stops by itself in time."""

import threading
import time

import httpx

from bench import wrk


class Load(threading.Thread):
    """wrk driving one request for `duration` seconds in the background."""

    def __init__(self, base_url: str, request: wrk.Request, *, connections, duration):
        super().__init__(daemon=True)
        self.args = (base_url, request)
        self.kwargs = {"connections": connections, "duration": duration}
        self.figures = None
        self.error = None

    def run(self):
        try:
            self.figures = wrk.run(*self.args, **self.kwargs)
        except wrk.WrkError as exc:
            self.error = str(exc)

    def result(self) -> dict:
        self.join()
        if self.figures is None:
            raise wrk.WrkError(self.error or "no figures")
        return self.figures


class Prober(threading.Thread):
    """GETs a URL every `interval` s for at most `limit` s, recording each outcome.

    Samples are (seconds since start, status), status 0 for a socket error or a
    timeout. `stop()` ends it early.
    """

    def __init__(self, url: str, *, interval: float = 0.1, limit: float = 120):
        super().__init__(daemon=True)
        self.url, self.interval, self.limit = url, interval, limit
        self.samples: list[tuple[float, int]] = []
        self.started = time.monotonic()
        self._stop_event = threading.Event()

    def run(self):
        with httpx.Client(timeout=2) as client:
            while not self._stop_event.is_set() and self.elapsed() < self.limit:
                at = self.elapsed()
                try:
                    status = client.get(self.url).status_code
                except httpx.HTTPError:
                    status = 0
                self.samples.append((round(at, 3), status))
                self._stop_event.wait(self.interval)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def stop(self) -> list[tuple[float, int]]:
        self._stop_event.set()
        self.join()
        return self.samples


def outage(samples: list[tuple[float, int]], *, since: float) -> dict:
    """Failures after `since` and the seconds until the probe recovered for good.

    `recovered_after` counts from `since` to the first success that no failure
    follows; None when the probe never answered 200 again.
    """
    after = [(at, status) for at, status in samples if at >= since]
    failures = [at for at, status in after if status != 200]
    if not failures:
        return {"failed": 0, "recovered_after": 0.0, "down_for": 0.0}
    last_failure = failures[-1]
    recovery = next((at for at, status in after if at > last_failure), None)
    return {
        "failed": len(failures),
        "recovered_after": None if recovery is None else round(recovery - since, 2),
        "down_for": None if recovery is None else round(recovery - failures[0], 2),
    }
