"""`flush` (the test suite empties the database with it between transactional tests), connected as
the owner: the application's role may not TRUNCATE, and the audit log's trigger refuses TRUNCATE
unless the session opts in (see labourhub.db_roles)."""

from django.core.management.commands import flush
from django.db import connections

from labourhub.db_roles import as_owner, audit_log_flushable


class Command(flush.Command):
    def handle(self, **options):
        alias = options["database"]
        with as_owner(alias), audit_log_flushable(connections[alias]):
            super().handle(**options)
