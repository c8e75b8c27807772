"""Multiprocess mode: the serving process sums every process's values, dead or alive.

Run in a fresh interpreter: prometheus-client picks multiprocess mode when it is
imported, from PROMETHEUS_MULTIPROC_DIR.
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, socket, urllib.request

    from prometheus_client import Counter, Gauge

    from apps.core.metrics.collectors import GunicornWorkers
    from apps.core.metrics.exposition import metrics_serve, process_exited

    requests = Counter("t_requests", "Requests.", ["view"])
    busy = Gauge("t_busy", "Busy.", multiprocess_mode="liveall")
    children = []
    for n in range(3):
        pid = os.fork()
        if pid == 0:  # a worker: counts, then exits
            for _ in range(n + 1):
                requests.labels("home").inc()
            busy.set(1)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    process_exited(children[0])  # what gunicorn's child_exit does for one of them

    class Arbiter:
        WORKERS = {1: None, 2: None}

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert metrics_serve(port=port, collectors=[GunicornWorkers(Arbiter)])
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    print(body.decode())
    """
)


# The port still held by the process being replaced (a development restart): the
# endpoint comes up once that one lets go.
HELD_PORT_SCRIPT = textwrap.dedent(
    """
    import socket, time, urllib.request

    from prometheus_client import Counter

    from apps.core.metrics.exposition import metrics_serve

    Counter("t_served", "Served.").inc()
    held = socket.socket()
    held.bind(("0.0.0.0", 0))
    held.listen()
    port = held.getsockname()[1]
    assert metrics_serve(port=port)
    time.sleep(0.5)
    held.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            break
        except OSError:
            assert time.monotonic() < deadline, "never served"
            time.sleep(0.1)
    print(body.read().decode())
    """
)


def run(tmp_path, env_dir=True, script=SCRIPT):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if env_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-c", script], env={**env, "PYTHONPATH": "."},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def lines(output):
    return {line for line in output.splitlines() if not line.startswith("#")}


def test_the_endpoint_sums_every_process_and_drops_dead_gauges(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    found = lines(result.stdout)
    assert 't_requests_total{view="home"} 6.0' in found  # 1 + 2 + 3, over 3 pids
    busy = {
        line for line in found if line.startswith("t_busy") and line.endswith(" 1.0")
    }
    assert len(busy) == 2  # the worker marked dead has no gauge any more
    assert "gunicorn_workers 2.0" in found


def test_no_endpoint_outside_multiprocess_mode(tmp_path):
    result = run(tmp_path, env_dir=False)
    assert result.returncode != 0
    assert "AssertionError" in result.stderr


def test_a_port_still_held_is_served_once_let_go(tmp_path):
    result = run(tmp_path, script=HELD_PORT_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "t_served_total 1.0" in lines(result.stdout)
