"""The container entrypoint's commands: wait_for_db and migrate_locked."""

import io
import threading

import psycopg
import pytest
from django.core.management import CommandError, call_command, get_commands
from django.db import connection
from django.db.utils import OperationalError

from apps.core.management.commands.migrate_locked import MIGRATE_LOCK_KEY


def other_session():
    """A PostgreSQL session of its own, as another container's would be."""
    params = connection.get_connection_params()
    return psycopg.connect(**params)


def lock_is_free():
    with other_session() as session, session.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        acquired = cursor.fetchone()[0]
        if acquired:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
    session.close()
    return acquired


class MigrateInThread(threading.Thread):
    """Runs `manage.py migrate_locked` as a second process would, keeping its output."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stderr = io.StringIO()
        self.error = None

    def run(self):
        try:
            call_command("migrate_locked", stdout=io.StringIO(), stderr=self.stderr)
        except Exception as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            connection.close()  # this thread's own connection


@pytest.mark.django_db(transaction=True)
def test_migrate_waits_while_another_process_holds_the_lock():
    holder = other_session()
    holder.autocommit = True
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
    migrating = MigrateInThread()
    try:
        migrating.start()
        migrating.join(timeout=2)
        assert migrating.is_alive(), "migrate ran while another process held the lock"
        assert "Another process is migrating" in migrating.stderr.getvalue()
    finally:
        holder.close()  # ends the session, and with it the lock
    migrating.join(timeout=30)
    assert not migrating.is_alive()
    assert migrating.error is None


@pytest.mark.django_db(transaction=True)
def test_migrate_releases_the_lock_when_done():
    call_command("migrate_locked", "--check", verbosity=0)
    assert lock_is_free()


def test_djangos_own_migrate_is_not_shadowed():
    assert get_commands()["migrate"] == "django.core"


@pytest.mark.django_db
def test_wait_for_db_returns_once_the_database_answers():
    stderr = io.StringIO()
    call_command("wait_for_db", "--timeout", "5", stderr=stderr)
    assert stderr.getvalue() == ""


def test_wait_for_db_gives_up_naming_the_database_but_no_credentials(monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "pw-never-printed")
    with pytest.raises(CommandError) as error:
        call_command(
            "wait_for_db", "--timeout", "0.3", "--interval", "0.1", stderr=io.StringIO()
        )
    message = str(error.value)
    assert "did not accept connections within 0.3s" in message
    assert "connection refused" in message
    assert connection.settings_dict["NAME"] in message
    assert "pw-never-printed" not in message
