"""A member import survives the whole PostgreSQL server stopping mid-import (issue #11): nothing partial
is applied, no staging table is left, the import ends failed saying the database stopped it (never a
line of the file), and the same file imported again lands whole. The import runs in a real Celery
worker; the server is a throwaway one of the test's own (tests/postgres_crash.py), stopped as
`pg_ctl stop -m immediate` does."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from members import importers, tasks
from members.models import ImportMapping, MemberImport
from tests.db_faults import run_beat_entry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

ROWS = 200_000  # about three COPY chunks (importers.COPY_CHUNK_BYTES): progress is saved while rows remain
HEADER = "Membership Number,Forename,Surname,Email\r\n"


def _file(rows, surname):
    lines = (f"A{n:06d},First{n},{surname}{n},m{n}@anytown.example\r\n" for n in range(rows))
    return (HEADER + "".join(lines)).encode()


def _stored(anytown, data):
    mapping, _ = ImportMapping.unscoped.get_or_create(
        constituency=anytown.constituency,
        name="Export",
        defaults={
            "columns": {
                "membership_number": "Membership Number",
                "first_name": "Forename",
                "last_name": "Surname",
                "email": "Email",
            }
        },
    )
    return MemberImport.unscoped.create(
        constituency=anytown.constituency,
        mapping=mapping,
        file=ContentFile(data, name="members.csv"),
        file_name="members.csv",
    )


def members_data():
    """A checksum of every row of every members table but the imports' own records and mappings: what
    an import may change."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'members\\_%%' "
            "AND tablename NOT IN ('members_memberimport', 'members_importmapping') ORDER BY tablename"
        )
        sums = {}
        for (table,) in cursor.fetchall():
            # Table names come from pg_tables, not from input.
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"  # noqa: S608
            )
            sums[table] = cursor.fetchone()
    return sums


def staging_tables():
    """The import's tables, temporary ones included (in any session's temporary schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'member\\_import\\_%%'")
        return sorted(name for (name,) in cursor.fetchall())


def _mid_way(member_import):
    """Committed progress: at least one chunk of rows staged and saved with the heartbeat, rows left."""
    member_import = MemberImport.unscoped.get(pk=member_import.pk)
    return member_import.state == MemberImport.State.RUNNING and 0 < member_import.rows_read < ROWS


def test_the_database_server_stopping_mid_import_changes_nothing_and_the_import_can_be_run_again(
    anytown, crashable_postgres, celery_worker
):
    baseline = _stored(anytown, _file(300, "Before"))
    importers.member_import_run(import_id=baseline.pk)
    assert MemberImport.unscoped.get(pk=baseline.pk).state == MemberImport.State.DONE
    before = members_data()
    member_import = _stored(anytown, _file(ROWS, "After"))  # 300 changed, the rest new
    tasks.member_import_run.delay(member_import.pk)
    celery_worker.wait_for(lambda: _mid_way(member_import), timeout=120, interval=0.01)
    crashable_postgres.crash()
    # The worker's task ends with the database gone: it cannot even record the failure.
    celery_worker.wait_for(lambda: "raised unexpected" in celery_worker.log_path.read_text(), timeout=60)
    crashable_postgres.restart()
    connection.close()  # this test's own connection died with the server

    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.RUNNING, "the worker could not record the failure"
    # Beat's sweeper (run by the worker) finds the import left running by a server that restarted.
    run_beat_entry("members-import-sweep")
    celery_worker.wait_for(lambda: MemberImport.unscoped.get(pk=member_import.pk).finished_at, timeout=60)
    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.FAILED
    error = member_import.report["error"]
    assert "lines" not in member_import.report and "line" not in error
    assert error.startswith("The import failed: the database did not finish it (the database server")
    assert error.endswith("Nothing was changed; try again.")
    assert members_data() == before, "nothing of the file was applied"
    assert staging_tables() == []

    again = _stored(anytown, member_import.file.open("rb").read())
    tasks.member_import_run.delay(again.pk)
    celery_worker.wait_for(lambda: MemberImport.unscoped.get(pk=again.pk).finished_at, timeout=120)
    again.refresh_from_db()
    assert again.state == MemberImport.State.DONE, again.report
    assert again.rows_read == ROWS
    assert members_data() != before
    assert staging_tables() == []
