"""The backup state the application reads: the sidecar's record, the archive's."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.core import backups
from apps.core.backups import Archive

pytestmark = pytest.mark.django_db

NOW = datetime.datetime.now(tz=datetime.UTC)


def info(*finished_hours_ago):
    """`pgbackrest info --output=json` of one stanza, trimmed to what is read."""
    items = []
    for index, hours in enumerate(finished_hours_ago):
        stop = int((NOW - datetime.timedelta(hours=hours)).timestamp())
        items.append(
            {
                "label": f"backup-{index}",
                "type": "full" if index == 0 else "diff",
                "timestamp": {"start": stop - 30, "stop": stop},
                "info": {"repository": {"delta": 1000 + index, "size": 5000}},
            }
        )
    return [{"name": "local", "backup": items, "status": {"code": 0}}]


def record(value):
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS pgbackrest")
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS pgbackrest.status (id integer PRIMARY KEY, "
            "recorded_at timestamptz NOT NULL, info jsonb NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO pgbackrest.status VALUES (1, now(), %s)", [json.dumps(value)]
        )


def archive(*, failed_after_success=False):
    last = NOW - datetime.timedelta(seconds=20)
    failed = last + datetime.timedelta(seconds=5 if failed_after_success else -600)
    return Archive(12, "000000010000000000000007", last, 1, "0000000100000000", failed)


def status(monkeypatch, **archive_state):
    monkeypatch.setattr(
        "apps.core.management.commands.backup_status.archive_status",
        lambda: archive(**archive_state),
    )
    out = io.StringIO()
    call_command("backup_status", stdout=out)
    return out.getvalue()


def test_nothing_recorded_reads_as_no_backups():
    assert backups.backups_recorded() == []


def test_the_record_lists_every_backup_in_utc():
    record(info(30, 2))
    listed = backups.backups_recorded()
    assert [b.label for b in listed] == ["backup-0", "backup-1"]
    assert listed[1].type == "diff"
    assert listed[1].finished_at.tzinfo == datetime.UTC
    assert abs((NOW - listed[1].finished_at).total_seconds() - 7200) < 2


def test_the_real_archiver_view_is_read():
    state = backups.archive_status()
    assert state.archived_count >= 0
    assert state.failed_count >= 0


def test_an_archive_failing_since_its_last_success_is_unhealthy():
    assert archive().healthy
    assert not archive(failed_after_success=True).healthy
    assert Archive(0, None, None, 0, None, None).healthy


def test_the_command_prints_the_newest_backup_and_the_archive(monkeypatch):
    record(info(30, 2))
    shown = status(monkeypatch)
    assert "newest backup: backup-1 (diff)" in shown
    assert "2.0 h ago" in shown
    assert "archive: ok; 12 WAL segments archived" in shown


def test_the_command_fails_on_a_stale_backup(monkeypatch):
    record(info(30))
    with pytest.raises(CommandError, match=r"newest backup is 30\.0 h old"):
        status(monkeypatch)


def test_the_command_fails_without_a_backup_or_on_a_failing_archive(monkeypatch):
    with pytest.raises(CommandError, match="no backup recorded"):
        status(monkeypatch)
    record(info(1))
    with pytest.raises(CommandError, match="WAL archiving is failing"):
        status(monkeypatch, failed_after_success=True)
