"""Multiprocess mode: the serving process sums every process's values, dead or alive.

The children that exited are merged into the archives first, as gunicorn's
child_exit does (test_metrics_compaction.py tests the merge itself).

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
    from apps.core.metrics.exposition import compact_directory, metrics_serve

    requests = Counter("t_requests", "Requests.", ["view"])
    busy = Gauge("t_busy", "Busy.", multiprocess_mode="liveall")
    read_end, write_end = os.pipe()
    children = []
    for n in range(3):
        pid = os.fork()
        if pid == 0:  # a worker: counts, then exits (the last one stays up)
            for _ in range(n + 1):
                requests.labels("home").inc()
            busy.set(1)
            if n == 2:  # until the parent says so, or is gone
                os.close(write_end)
                os.read(read_end, 1)
            os._exit(0)
        children.append(pid)
    for pid in children[:2]:
        os.waitpid(pid, 0)
    compact_directory()  # what gunicorn's child_exit does

    class Arbiter:
        WORKERS = {1: None, 2: None}

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert metrics_serve(port=port, collectors=[GunicornWorkers(Arbiter)])
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    print(body.decode())
    print("files:", *sorted(os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])))
    print("live:", children[2], os.getpid())
    os.write(write_end, b"x")  # the last worker may exit now
    os.waitpid(children[2], 0)
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
    assert len(busy) == 1  # the live worker's; the exited ones' gauges went
    assert "gunicorn_workers 2.0" in found
    live, parent = next(line for line in found if line.startswith("live:")).split()[1:]
    files = next(line for line in found if line.startswith("files:")).split()[1:]
    # The exited workers' files merged; the live worker's and the parent's stay
    # (the parent made the unlabelled gauge, so it has a value too).
    kept = {"counter_archive.db", f"counter_{live}.db", f"gauge_liveall_{live}.db",
            f"gauge_liveall_{parent}.db"}  # fmt: skip
    assert set(files) == kept


def test_no_endpoint_outside_multiprocess_mode(tmp_path):
    result = run(tmp_path, env_dir=False)
    assert result.returncode != 0
    assert "AssertionError" in result.stderr


def test_a_port_still_held_is_served_once_let_go(tmp_path):
    result = run(tmp_path, script=HELD_PORT_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "t_served_total 1.0" in lines(result.stdout)
