"""Every kind of register-side import (the register, model scores, postcode locations) survives the
whole PostgreSQL server stopping mid-import (issue #11): nothing partial is applied, no staging table
is left, the import ends failed saying the database stopped it (never a line of the file), and the same
file imported again lands whole. The import runs in a real Celery worker; the server is a throwaway one
of the test's own (tests/postgres_crash.py), stopped as `pg_ctl stop -m immediate` does."""

import time
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection

from tests.db_faults import run_beat_entry
from tests.factories import UserFactory
from voters.importers.base import worker_gone_message
from voters.models import RegisterImport
from voters.register_files import synthetic_people, write_register, write_rows, write_scores
from voters.services import register_import_create, register_import_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

ROWS = 45_000  # more than two COPY chunks (base.CHUNK_ROWS): progress is saved while rows remain
ONSPD_HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "lat", "long", "pcon"]


def staging_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'voters\\_staging\\_%%'")
        return sorted(name for (name,) in cursor.fetchall())


def voters_data():
    """A checksum of every row of every voters table but the imports' own records (and of the
    polling districts an import may add): what an import may change."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND "
            "(tablename LIKE 'voters\\_%%' AND tablename NOT LIKE 'voters\\_staging\\_%%' "
            "AND tablename <> 'voters_registerimport' OR tablename = 'labourhub_pollingdistrict') "
            "ORDER BY tablename"
        )
        tables = [name for (name,) in cursor.fetchall()]
        sums = {}
        for table in tables:
            # Table names come from pg_tables, not from input.
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            )  # noqa: S608
            sums[table] = cursor.fetchone()
    return sums


def _postcode(n):
    return f"PC{n // 1000 % 100} {n % 10}{'ABCDEFGHJK'[n // 10 % 10]}{'ABCDEFGHJK'[n // 100 % 10]}"


def _onspd(path, count, *, shift=0.0):
    rows = (
        [
            _postcode(n).replace(" ", ""),
            _postcode(n),
            _postcode(n),
            "198001",
            "",
            "E99999999",
            f"{51 + n / 1e6 + shift:.6f}",
            f"{-1 - n / 1e6:.6f}",
            "E14099001",
        ]
        for n in range(count)
    )
    return write_rows(path, ONSPD_HEADER, rows)


@pytest.fixture
def operator():
    return UserFactory(email="operator@labourhub.example", is_superuser=True, is_staff=True)


def _stored(path, kind, constituency, user, **options):
    with open(path, "rb") as f:
        return register_import_create(
            constituency=constituency, kind=kind, file=File(f, name=path.name), user=user, options=options
        )


@pytest.fixture
def kinds(tmp_path, anytown, anytown_secretary, operator):
    """Per kind: what is in the database before (imported in this process), and the big file to crash."""
    people = list(synthetic_people(ROWS, pds=[anytown.polling_district.code], town="Anytown"))
    clp = anytown.constituency

    def register():
        register_import_run(
            register_import=_stored(
                write_register(tmp_path / "r0.csv", people[:300], "idox"), "full", clp, anytown_secretary
            )
        )
        return _stored(write_register(tmp_path / "r.csv", people, "idox"), "full", clp, anytown_secretary)

    def scores():
        register_import_run(
            register_import=_stored(
                write_register(tmp_path / "r0.csv", people[:300], "idox"), "full", clp, anytown_secretary
            )
        )
        register_import_run(
            register_import=_stored(
                write_scores(tmp_path / "s0.csv", people[:300]),
                "scores",
                clp,
                anytown_secretary,
                model="Support",
                run_on="2026-11-01",
            )
        )
        # The same model version, new values: an upsert of existing scores, and rows for electors not
        # on the register (skipped), to make the file long.
        path = write_scores(tmp_path / "s.csv", people, seed=2)
        return _stored(path, "scores", clp, anytown_secretary, model="Support", run_on="2026-11-01")

    def postcodes():
        register_import_run(
            register_import=_stored(_onspd(tmp_path / "p0.csv", 300), "postcodes", None, operator)
        )
        return _stored(_onspd(tmp_path / "p.csv", ROWS, shift=0.001), "postcodes", None, operator)

    return {"full": register, "scores": scores, "postcodes": postcodes}


def _mid_way(record):
    """Committed progress: at least one chunk of rows staged and saved with the heartbeat, rows left."""
    record = RegisterImport.unscoped.get(pk=record.pk)
    return record.status == RegisterImport.Status.RUNNING and 0 < record.rows_done < ROWS


def _given_up(worker):
    """The worker's task ended with the database gone (it could not even record the failure)."""
    return "raised unexpected" in worker.log_path.read_text()


@pytest.mark.parametrize("kind", ["full", "scores", "postcodes"])
def test_the_database_server_stopping_mid_import_changes_nothing_and_the_import_can_be_run_again(
    kind, kinds, crashable_postgres, celery_worker
):
    from voters.tasks import register_import_task

    record = kinds[kind]()
    before = voters_data()
    register_import_task.delay(record.pk)
    celery_worker.wait_for(lambda: _mid_way(record), timeout=120, interval=0.01)
    crashable_postgres.crash()
    celery_worker.wait_for(lambda: _given_up(celery_worker), timeout=60)
    crashable_postgres.restart()
    connection.close()  # this test's own connection died with the server

    record.refresh_from_db()
    assert record.status == RegisterImport.Status.RUNNING, "the worker could not record the failure"
    # Beat's sweeper (run by the worker) finds the import left running by a server that restarted.
    run_beat_entry("voters-import-sweep")
    celery_worker.wait_for(lambda: RegisterImport.unscoped.get(pk=record.pk).status != "running", timeout=60)
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.FAILED
    assert record.errors == [] and record.rejected == 0
    assert len(record.notes) == 1 and "line" not in record.notes[0]
    assert record.notes[0].startswith(
        "The import failed: the database did not finish it (the database server"
    )
    assert record.notes[0].endswith("Nothing was changed; try again.")
    assert voters_data() == before, "nothing of the file was applied"
    celery_worker.wait_for(lambda: staging_tables() == [], timeout=30)

    _import_again_lands_whole(record, before, celery_worker)


def _import_again_lands_whole(record, before, celery_worker):
    """The same file, uploaded again, is imported whole by the worker."""
    from voters.tasks import register_import_task

    again = _stored(
        Path(record.file.path), record.kind, record.constituency, record.uploaded_by, **record.options
    )
    register_import_task.delay(again.pk)
    celery_worker.wait_for(lambda: RegisterImport.unscoped.get(pk=again.pk).is_finished, timeout=120)
    again.refresh_from_db()
    assert again.status == RegisterImport.Status.DONE, (again.notes, again.errors[:3])
    assert again.rows_done == ROWS
    assert again.added + again.changed > 0 and voters_data() != before
    assert staging_tables() == []


@pytest.fixture
def stale_after(monkeypatch, settings):
    """IMPORT_STALE_AFTER_SECONDS of 2 for this process and for a worker started after it."""
    monkeypatch.setenv("IMPORT_STALE_AFTER_SECONDS", "2")
    settings.IMPORT_STALE_AFTER_SECONDS = 2
    return 2


@pytest.mark.parametrize("kind", ["scores", "postcodes"])  # the register's: test_import_recovery.py
def test_a_worker_killed_mid_import_changes_nothing_and_the_import_can_be_run_again(
    kind, kinds, stale_after, celery_worker
):
    from voters.tasks import register_import_task

    record = kinds[kind]()
    before = voters_data()
    register_import_task.delay(record.pk)
    celery_worker.wait_for(lambda: _mid_way(record), timeout=120, interval=0.01)
    celery_worker.kill()  # SIGKILL to the worker and its child, mid-COPY
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.RUNNING
    assert staging_tables(), "left behind by the killed worker"
    time.sleep(stale_after + 0.5)  # its heartbeat goes stale
    celery_worker.start()
    run_beat_entry("voters-import-sweep")
    celery_worker.wait_for(lambda: RegisterImport.unscoped.get(pk=record.pk).is_finished, timeout=60)
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.FAILED
    assert record.errors == [] and record.rejected == 0
    assert record.notes == [worker_gone_message(stale_after)]
    assert staging_tables() == []
    assert voters_data() == before, "nothing of the file was applied"
    _import_again_lands_whole(record, before, celery_worker)
