"""The Celery worker's liveness file, which its container healthcheck reads.

`celery inspect ping` asks the same question end to end, but each probe is a
new Python process importing Django and Celery: about half a second of CPU
every 15 s, in one burst that took a core from the web workers (the
benchmark's latency tails showed it). Instead the worker's consumer touches a
file from its event loop while it is connected to the broker, and the probe,
`docker/healthcheck.py fresh`, only reads the file's age: the file goes
stale when the loop hangs and disappears when the connection is lost (the
consumer's steps stop until it reconnects).
"""

from pathlib import Path

from celery import bootsteps

# In the container's private /tmp (a tmpfs); docker-compose.yml's worker
# healthcheck names the same file (tests/infra/test_healthcheck.py).
LIVENESS_FILE = Path("/tmp/celery-worker.alive")  # noqa: S108
TOUCH_SECONDS = 5.0


class LivenessFile(bootsteps.StartStopStep):
    """Touches LIVENESS_FILE every TOUCH_SECONDS while the consumer runs."""

    # Started once the worker consumes tasks, stopped before it lets go of them.
    requires = {"celery.worker.consumer.tasks:Tasks"}
    path = LIVENESS_FILE

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer_entry = None

    def start(self, parent):
        self.touch()
        self.timer_entry = parent.timer.call_repeatedly(TOUCH_SECONDS, self.touch)

    def stop(self, parent):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        self.path.unlink(missing_ok=True)

    shutdown = stop

    def touch(self):
        self.path.touch()
