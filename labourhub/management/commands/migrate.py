"""`migrate`, connected as the owner (DATABASE_OWNER_URL), then granting the application's role
(DATABASE_URL) what it needs and no more (see labourhub.db_roles)."""

from django.core.management.commands import migrate
from django.db import connections

from labourhub.db_roles import app_credentials, as_owner, grant_app_role, owner_credentials


class Command(migrate.Command):
    def handle(self, *args, **options):
        alias = options["database"]
        role, password = app_credentials(alias)
        with as_owner(alias):
            super().handle(*args, **options)
            if owner_credentials():
                grant_app_role(connections[alias], role, password)
