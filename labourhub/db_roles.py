"""Two database roles: the owner, who runs migrations, and the application, which owns nothing.

The site and the worker connect with DATABASE_URL as a role that may read and write ordinary
tables but only INSERT into and SELECT from the audit log: it cannot TRUNCATE it, disable its
triggers, or set session_replication_role (superuser only). Migrations (and `flush`, which the test
suite runs between transactional tests) connect with DATABASE_OWNER_URL, the owner of the tables;
after migrating, `migrate` grants the application role exactly what it needs (grant_app_role).
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

AUDIT_TABLE = "labourhub_auditevent"
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_credentials():
    """USER, PASSWORD, HOST and PORT of the owner, or None when one role does everything."""
    return settings.DATABASE_OWNER


@contextmanager
def as_owner(alias="default"):
    """Run the block on `alias` connected as the owner (a no-op with no DATABASE_OWNER_URL). Only
    this thread's connection changes; it is closed on the way in and out."""
    owner = owner_credentials()
    if not owner:
        yield
        return
    connection = connections[alias]
    original = connection.settings_dict
    connection.close()
    connection.settings_dict = {**original, **owner}
    try:
        yield
    finally:
        # NAME may have changed inside (the test database is created this way): keep it.
        original["NAME"] = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict = original


def app_credentials(alias="default"):
    """(role, password) that the application connects with (from the settings: the connection may
    be the owner's just now)."""
    settings_dict = settings.DATABASES[alias]
    return settings_dict["USER"], settings_dict["PASSWORD"]


def grant_app_role(connection, role, password=None):
    """Called as the owner: make `role` (the application) able to use every table, and only
    INSERT and SELECT on the audit log. Creates the role (or sets its password) when the owner may
    create roles, as the compose stack's does. Refuses a role that could undo all this."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        may_create_roles = cursor.fetchone()[0]
        quoted = connection.ops.quote_name(role)
        if may_create_roles and password:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            cursor.execute(
                f"{verb} ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %s", [password]
            )
        cursor.execute(
            "SELECT rolsuper, pg_has_role(%s, current_user, 'MEMBER') FROM pg_roles WHERE rolname = %s",
            [role, role],
        )
        found = cursor.fetchone()
        if found is None:
            raise ImproperlyConfigured(
                f"The database role {role!r} of DATABASE_URL does not exist: create it "
                f"(CREATE ROLE {role} LOGIN PASSWORD '...') and run migrate again."
            )
        superuser, member_of_owner = found
        if superuser or member_of_owner:
            raise ImproperlyConfigured(
                f"DATABASE_URL connects as {role!r}, which is a superuser or the owner (or a member of "
                "it): the application must connect as a role of its own (README, Security)."
            )
        database = connection.ops.quote_name(connection.settings_dict["NAME"])
        for statement in (
            f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {quoted}",
            # CREATE: the register import's staging tables (the application owns only those).
            f"GRANT USAGE, CREATE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            f"REVOKE ALL ON {AUDIT_TABLE} FROM {quoted}",
            f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {quoted}",
        ):
            cursor.execute(statement)


@contextmanager
def audit_log_flushable(connection):
    """`flush` empties every table, the audit log too: the BEFORE TRUNCATE trigger lets it through
    only in a session that says so (and only the owner may TRUNCATE at all)."""
    with connection.cursor() as cursor:
        cursor.execute("SET labourhub.flush_audit_log = 'on'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET labourhub.flush_audit_log")
