"""What a connection holds prepared: for tests that a hot statement opts out of PostgreSQL's generic
plans (labourhub.sql_rows.unprepared_cursor)."""

from django.db import connection


def prepared_after(run, times=3):
    """(run()'s last result, the text of each statement this connection holds prepared), psycopg
    preparing every statement at its first run meanwhile."""
    connection.ensure_connection()
    psycopg_connection = connection.connection
    threshold = psycopg_connection.prepare_threshold
    psycopg_connection.prepare_threshold = 0
    try:
        for _ in range(times):
            result = run()
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [statement for (statement,) in cursor.fetchall()]
    finally:
        psycopg_connection.prepare_threshold = threshold
    assert any("pg_prepared_statements" in statement for statement in prepared)  # preparing is on
    return result, prepared
