"""Development only (`make dev`): runs a command, and starts it again whenever a
Python file under the given directories changes, without waiting for the
previous one to finish stopping.

    python docker/dev-restart.py /app/apps /app/config -- celery --app=config worker

On a change the running process gets SIGTERM (a Celery worker's warm shutdown:
it stops taking tasks at once and finishes those it runs, on the old code) and
the new one starts in the same instant, so a change reaches a worker as fast as
one starts. watchfiles' `run_process` (its CLI), watchmedo auto-restart and
hupper all wait for the old process to exit before starting the new one, and a
prefork worker's warm shutdown takes 1.5-2 s even when idle (billiard's pool
threads check every 0.5-0.8 s whether to stop): most of the 3 s a save may take
to reach the worker. The watching is watchfiles' (`watch`).

Only for a process that may briefly run twice: a Celery worker, never beat
(two beats would send a periodic task twice).
"""

import signal
import subprocess
import sys
import threading

from watchfiles import PythonFilter, watch

# A stopping process gets this long to finish its tasks, then SIGKILL; below the
# worker's stop_grace_period, so a container stop never kills it first.
STOP_TIMEOUT = 100


def main(argv):
    separator = argv.index("--")
    paths, command = argv[:separator], argv[separator + 1 :]
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    process = _start(command)
    stopping = []
    for changes in watch(*paths, watch_filter=PythonFilter(), stop_event=stop):
        _say(f"{len(changes)} change(s) under {', '.join(paths)}: starting again")
        stopping.append(_stop_in_background(process))
        process = _start(command)
    stopping.append(_stop_in_background(process))
    for thread in stopping:
        thread.join()
    return process.returncode


def _start(command):
    # The container's own command line, from compose: nothing untrusted.
    return subprocess.Popen(command)  # noqa: S603


def _stop_in_background(process):
    def stop():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _say(f"pid {process.pid} still running after {STOP_TIMEOUT} s: SIGKILL")
                process.kill()
                process.wait()
        _say(f"pid {process.pid} stopped")

    thread = threading.Thread(target=stop)
    thread.start()
    return thread


def _say(message):
    sys.stderr.write(f"dev-restart: {message}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
