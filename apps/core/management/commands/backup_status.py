"""Prints the age of the newest database backup and the WAL archive's health."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from apps.core.backups import archive_status, backups_recorded


class Command(BaseCommand):
    help = (
        "Show the newest backup (pgBackRest, as the backup sidecar recorded it) and "
        "the WAL archive's health (pg_stat_archiver). Exits 1 when the newest "
        "backup is older than --max-age-hours or the archive is failing, so a "
        "scheduler or monitoring check can alert on it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-age-hours",
            type=float,
            default=26,
            help="Oldest acceptable newest backup, in hours (default: 26, a daily "
            "differential backup and some slack).",
        )

    def handle(self, *args, max_age_hours, **options):
        now = datetime.datetime.now(tz=datetime.UTC)
        problems = []
        backups = backups_recorded()
        if backups:
            newest = max(backups, key=lambda backup: backup.finished_at)
            age = (now - newest.finished_at).total_seconds() / 3600
            self.stdout.write(
                f"newest backup: {newest.label} ({newest.type}), finished "
                f"{newest.finished_at.isoformat()}, {age:.1f} h ago; "
                f"{len(backups)} backups, the oldest from "
                f"{min(b.started_at for b in backups).isoformat()}"
            )
            if age > max_age_hours:
                problems.append(f"the newest backup is {age:.1f} h old")
        else:
            self.stdout.write("newest backup: none recorded")
            problems.append("no backup recorded")
        problems += self._archive(now)
        if problems:
            raise CommandError("; ".join(problems))

    def _archive(self, now):
        archive = archive_status()
        last = archive.last_archived_at
        since = f"{(now - last).total_seconds():.0f} s ago" if last else "never"
        state = "ok" if archive.healthy else "FAILING"
        self.stdout.write(
            f"archive: {state}; {archive.archived_count} WAL segments archived, "
            f"the last ({archive.last_archived_wal or '-'}) {since}; "
            f"{archive.failed_count} failures, the last "
            f"{archive.last_failed_at.isoformat() if archive.last_failed_at else '-'}"
        )
        return [] if archive.healthy else ["WAL archiving is failing"]
