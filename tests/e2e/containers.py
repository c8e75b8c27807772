"""Containers seen from outside: their state, pausing one, its TCP queue.

Every wait here is bounded: the tests that stop or pause containers must never
hang a CI run.
"""

from contextlib import contextmanager

from tests.support.compose import docker, health, inspect
from tests.support.waits import wait_until


def container_state(container):
    """(StartedAt, RestartCount, ExitCode) of a container."""
    state = inspect(
        container, "{{.State.StartedAt}} {{.RestartCount}} {{.State.ExitCode}}"
    )
    started, restarts, exit_code = state.split()
    return started, int(restarts), int(exit_code)


@contextmanager
def paused(stack, service):
    """Freeze a service's processes (its sockets still accept) for the block.

    Docker marks a paused container unhealthy until its next health check
    passes, and compose refuses to start a service whose dependency is
    unhealthy, so the block ends only once the service is healthy again.
    """
    stack.compose("pause", service)
    try:
        yield
    finally:
        stack.compose("unpause", service)
        (container,) = stack.container_ids(service)
        wait_until(
            lambda: health(container) == "healthy",
            timeout=60,
            what=f"{service} healthy again after the pause",
        )


def requests_waiting_on(stack, service, port):
    """Connections into `service`'s `port` whose request it has not read yet.

    Read from the kernel's TCP table in the service's network namespace, so it
    works while the service is paused: that is how a test knows a request is
    in flight, blocked on this service.
    """
    (container,) = stack.container_ids(service)
    table = docker(
        "run", "--rm", f"--network=container:{container}", "--entrypoint=cat",
        stack.image("app"), "/proc/net/tcp", "/proc/net/tcp6", timeout=60,
    )  # fmt: skip
    waiting = 0
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5 or fields[0] == "sl":
            continue
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        receive_queue = int(fields[4].split(":")[1], 16)
        if fields[3] == "01" and local_port == port and receive_queue > 0:
            waiting += 1
    return waiting
