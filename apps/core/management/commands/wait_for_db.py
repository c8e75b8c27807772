"""Waits until the database accepts connections, for a bounded time."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = (
        "Wait until the database accepts connections; fail with the last error "
        "after --timeout seconds. The container entrypoint runs it first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=60,
            help="Seconds to keep trying before giving up (default: 60).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1,
            help="Seconds between attempts (default: 1).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, timeout, interval, database, **options):
        connection = connections[database]
        target = self._describe(connection.settings_dict)
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                if time.monotonic() + interval > deadline:
                    raise CommandError(
                        f"Database {target} did not accept connections within "
                        f"{timeout:g}s ({attempts} attempts); last error: "
                        f"{str(exc).strip()}"
                    ) from exc
                if attempts == 1:
                    self.stderr.write(f"Waiting for database {target}...")
                time.sleep(interval)
            else:
                connection.close()
                if attempts > 1:
                    self.stderr.write(f"Database {target} is up.")
                return

    @staticmethod
    def _describe(settings_dict):
        # Host, port and name only: never echo credentials into logs.
        host = settings_dict.get("HOST") or "localhost"
        port = settings_dict.get("PORT") or "default port"
        return f"{settings_dict.get('NAME')!r} at {host}:{port}"
