"""Django's migrate, serialized across processes by a PostgreSQL advisory lock.

Several web replicas start at once and each runs `migrate_locked` from its
entrypoint. Unserialized, two of them can apply the same migration concurrently
and one fails (duplicate table, duplicate content type). Holding a session-level
advisory lock for the whole command makes the others wait, then find nothing left
to apply. It has a name of its own, so Django's `migrate` stays the stock command
(the test runner's, a developer's) and the callers that start together (the
entrypoint, the release step, the deploy) ask for the lock by name.
"""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

# Any fixed 64-bit key shared by every process that migrates this database:
# the ASCII bytes of "migrate". Advisory locks are scoped to one database.
MIGRATE_LOCK_KEY = int.from_bytes(b"migrate", "big")


class Command(MigrateCommand):
    help = MigrateCommand.help + " Holds a PostgreSQL advisory lock while it runs."

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        self._lock(connection, options["verbosity"])
        try:
            return super().handle(*args, **options)
        finally:
            self._unlock(connection)

    def _lock(self, connection, verbosity):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
            if cursor.fetchone()[0]:
                return
            if verbosity:
                self.stderr.write(
                    "Another process is migrating this database; waiting for it."
                )
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])

    @staticmethod
    def _unlock(connection):
        if connection.connection is None:
            return  # the session ended, and PostgreSQL released the lock with it
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
