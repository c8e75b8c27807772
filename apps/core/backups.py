"""Reads the state of the database backups: the newest backup and the WAL archive.

Both come from PostgreSQL, so the application needs neither pgBackRest nor the
backup repository's credentials or passphrase: the `backup` sidecar records
`pgbackrest info --output=json` (labels, times, sizes) in the pgbackrest.status
table after every backup (docker/postgres/backup-status), and PostgreSQL's own
pg_stat_archiver counts archived and failed WAL segments. The record is as old as
the last backup the sidecar took, and after a restore it is the restored one until
the next backup; pg_stat_archiver starts from zero after a restore or a crash.
/readyz does not read any of this: backups failing must not take the site down.
"""

import datetime
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.utils import ProgrammingError


@dataclass(frozen=True)
class Backup:
    label: str
    type: str
    started_at: datetime.datetime
    finished_at: datetime.datetime
    repository_bytes: int


@dataclass(frozen=True)
class Archive:
    archived_count: int
    last_archived_wal: str | None
    last_archived_at: datetime.datetime | None
    failed_count: int
    last_failed_wal: str | None
    last_failed_at: datetime.datetime | None

    @property
    def healthy(self) -> bool:
        """No failure since the last success (PostgreSQL retries a failed segment
        until it is archived, so one later success means nothing is stuck)."""
        if not self.failed_count or self.last_failed_at is None:
            return True
        return (
            self.last_archived_at is not None
            and self.last_archived_at > self.last_failed_at
        )


def backups_recorded() -> list[Backup]:
    """The backups of the last record, oldest first; empty if none was recorded."""
    try:
        # A savepoint: the failed query must not break a surrounding transaction.
        with transaction.atomic(), connection.cursor() as cursor:
            # As text: Django's psycopg loads jsonb as a string for JSONField.
            cursor.execute("SELECT info::text FROM pgbackrest.status WHERE id = 1")
            row = cursor.fetchone()
    except ProgrammingError:  # no backup has ever been recorded here
        return []
    stanzas = json.loads(row[0]) if row else []
    return [_backup(item) for stanza in stanzas for item in stanza.get("backup", [])]


def archive_status() -> Archive:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT archived_count, last_archived_wal, last_archived_time, "
            "failed_count, last_failed_wal, last_failed_time FROM pg_stat_archiver"
        )
        return Archive(*cursor.fetchone())


def _backup(item: dict) -> Backup:
    stamp = item["timestamp"]
    return Backup(
        label=item["label"],
        type=item["type"],
        started_at=_utc(stamp["start"]),
        finished_at=_utc(stamp["stop"]),
        repository_bytes=item["info"]["repository"]["delta"],
    )


def _utc(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
