"""What is committed, seen from a connection of its own: for tests that run with real transactions
(`django_db(transaction=True)`), where an importer's atomic block is a real transaction and not a
savepoint inside the test's.

`committed_tables()` is every table's row count and a checksum of its rows, read on a fresh
connection (so it sees only what was committed). `refused_by_the_database(...)` installs a real
trigger that makes PostgreSQL refuse one row, so a write fails half-way through an import's apply
step, after other tables were already written in the same transaction.
"""

from contextlib import contextmanager

from django.db import connection

from labourhub import db_roles


def _fresh(owner=False):
    params = connection.get_connection_params()
    if owner and db_roles.owner_credentials():
        creds = db_roles.owner_credentials()
        params |= {"user": creds["USER"], "password": creds["PASSWORD"] or ""}
    fresh = connection.get_new_connection(params)
    fresh.autocommit = True
    return fresh


def committed_tables(*, exclude=()):
    """{table: (row count, md5 of its rows)} for every table of the public schema but `exclude`."""
    fresh = _fresh()
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            tables = [name for (name,) in cursor.fetchall() if name not in exclude]
            seen = {}
            for name in tables:
                cursor.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{name}\" t"  # noqa: E501 (names from pg_tables)
                )
                seen[name] = cursor.fetchone()
            return seen
    finally:
        fresh.close()


def changed_tables(before, after):
    """The tables whose rows differ, with (count before, count after)."""
    return {name: (before[name][0], after[name][0]) for name in before if before[name] != after[name]}


@contextmanager
def refused_by_the_database(*, table, column, value, message="refused by a test trigger"):
    """While the block runs, PostgreSQL refuses (raises on) any row inserted into `table` whose
    `column` is `value`. Installed by the owner of the tables on a connection of its own."""
    owner = _fresh(owner=True)
    function, trigger = "test_refuse_row", f"test_refuse_{table}"
    try:
        with owner.cursor() as cursor:
            cursor.execute(
                f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF to_jsonb(NEW) ->> TG_ARGV[0] = TG_ARGV[1] THEN
                        RAISE EXCEPTION '{message}';
                      END IF;
                      RETURN NEW;
                    END $$"""
            )
            cursor.execute(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {function}('{column}', '{value}')"
            )
        yield
    finally:
        with owner.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        owner.close()
