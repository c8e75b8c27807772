"""Bounded polling: every wait in the suites and the drills ends by itself."""

import time


def poll(condition, *, timeout: float, interval: float = 0.5):
    """(condition()'s first truthy value, seconds it took), or (None, None)."""
    started = time.monotonic()
    while True:
        value = condition()
        elapsed = time.monotonic() - started
        if value:
            return value, round(elapsed, 2)
        if elapsed >= timeout:
            return None, None
        time.sleep(interval)


def wait_until(condition, *, timeout: float, interval: float = 0.5, what="it"):
    """condition()'s first truthy value; a failed check once `timeout` s pass."""
    value, _ = poll(condition, timeout=timeout, interval=interval)
    assert value, f"{what}: not within {timeout} s"
    return value


def seconds_until(condition, *, timeout: float, interval: float = 0.5):
    """Seconds until condition() holds, or None: for drills that measure it."""
    return poll(condition, timeout=timeout, interval=interval)[1]
