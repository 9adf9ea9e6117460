"""The embedded PostgreSQL server used when DATABASE_URL is not set.

It runs from the `pgserver` package with its data in .data/postgres, with the two roles
production uses (README, "Security"): `labourhub_owner` owns the database and runs migrations;
`labourhub_app`, which the site and the worker connect as, owns nothing and may only insert into
and read the audit log. The server trusts local socket connections (it is for development). Every
process that needs it takes a handle; the server stops when the last handle is
released (pgserver counts handles across processes), so `make run`, `make test`
and one-off manage.py commands share one server and leave nothing behind.
"""

import logging
import re
import warnings
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PGDATA = DATA_DIR / "postgres"
DATABASE_NAME = "labourhub"
OWNER_ROLE = "labourhub_owner"
APP_ROLE = "labourhub_app"

_server = None


def start():
    """Start (or join) the embedded server; return the application's connection URI for `labourhub`
    (`owner_url()` is the owner's, for migrations)."""
    global _server
    if _server is None:
        DATA_DIR.mkdir(exist_ok=True)
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pgserver

            try:
                _server = pgserver.get_server(PGDATA, cleanup_mode="stop")
            except Exception as error:
                raise ImproperlyConfigured(
                    f"The embedded PostgreSQL in {PGDATA} would not start ({error}). "
                    f"Its log is {PGDATA / 'log'}. If no other LabourHub is running, "
                    f"remove {PGDATA / 'postmaster.pid'} (a stale lock) and try again, "
                    "or set DATABASE_URL to use another PostgreSQL server."
                ) from error
        _create_roles_and_database(_server)
    return _url(APP_ROLE)


def owner_url():
    """The owner's connection URI (start() first)."""
    return _url(OWNER_ROLE)


def _url(role):
    socket_dir = quote(str(_server.get_postmaster_info().socket_dir), safe="")
    return f"postgres://{role}@{socket_dir}/{DATABASE_NAME}"


def _create_roles_and_database(server):
    # Neither role is a superuser; the owner may create databases (the test suite's).
    server.psql(
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN;
            END IF;
        END $$;"""
    )
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME} OWNER {OWNER_ROLE};")
        return
    # A .data/ made before the two roles: hand its databases (the test suite's too) and their
    # tables, sequences, views and functions to the owner. Once; afterwards the owner makes them.
    owned = server.psql(
        f"SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
        f"WHERE d.datname = '{DATABASE_NAME}' AND r.rolname = '{OWNER_ROLE}';"
    )
    if "(1 row)" in owned:
        return
    names = server.psql(
        "SELECT '<' || datname || '>' FROM pg_database "
        "WHERE NOT datistemplate AND datname <> 'postgres' AND pg_get_userbyid(datdba) = 'postgres';"
    )
    for name in re.findall(r"<([A-Za-z0-9_]+)>", names):
        server.psql(
            f"ALTER DATABASE {name} OWNER TO {OWNER_ROLE};\n\\c {name}\n{_ADOPT.format(owner=OWNER_ROLE)}"
        )


# Sequences that belong to a column move with their table.
_ADOPT = """DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
               AND pg_get_userbyid(c.relowner) <> '{owner}'
               AND NOT (c.relkind = 'S' AND EXISTS (
                   SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
    LOOP EXECUTE format('ALTER TABLE %s OWNER TO {owner}', r.name); END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{owner}'
    LOOP EXECUTE format('ALTER FUNCTION %s OWNER TO {owner}', r.name); END LOOP;
END $$;"""
