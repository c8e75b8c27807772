"""apps/core/db: a reused connection is checked by a socket poll, not a query."""

import time

import pytest
from django.db import connection

from apps.core.tests.test_commands import other_session

pytestmark = pytest.mark.django_db(transaction=True)


def server_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def terminate():
    """Ends a server process as a database restart would; reconnects afterwards."""

    def terminate(pid):
        with other_session() as session, session.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while connection.is_usable():  # the goodbye may take a moment to arrive
            assert time.monotonic() < deadline, "a terminated connection looked usable"
            time.sleep(0.05)

    yield terminate
    connection.close()  # the test database's teardown needs a live one


def last_query(pid):
    """What the server process last ran, as another session sees it."""
    with other_session() as session, session.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_an_idle_connection_is_usable_without_a_query():
    pid = server_pid()
    assert connection.is_usable()
    # Django's own backend would have sent SELECT 1.
    assert last_query(pid) == "SELECT pg_backend_pid()"


def test_the_next_request_reconnects_after_the_server_ended_the_connection(
    terminate,
):
    old = server_pid()
    terminate(old)  # returns once the connection is seen to be unusable
    connection.health_check_done = False  # as at the start of a request
    connection.close_if_health_check_failed()
    assert server_pid() != old
