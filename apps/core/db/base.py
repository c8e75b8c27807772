"""Django's PostgreSQL backend, checking a reused connection without a query.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before the
first query of every request, and its PostgreSQL backend does it with
`SELECT 1`: a round trip as long as the cheapest requests' real query. Without
the check, a connection broken by a database restart fails the one request
that finds it, with a 500, in every worker of every replica.

A restarting server tells each connection before it goes (a FATAL message,
then end of file), and an idle connection otherwise has nothing to read. So a
connection is usable when the driver has not marked it broken and its socket
has nothing waiting: one non-blocking poll, no query. A server that vanishes
without a word (a cut network) is not seen here; the request's own query fails
then, as it would have with no check at all.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            waiting, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):  # the socket is gone
            return False
        # Also true for a notice the server sent unasked: reconnecting then is
        # harmless, and such messages are rare on an idle connection.
        return not waiting
