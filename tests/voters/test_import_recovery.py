"""Imports recover from database failures and dead workers: never blamed on the file, never left
running, no staging tables left behind (issue #11, item 2)."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.files import File
from django.db import connection
from django.utils import timezone

from tests.db_faults import StatementKiller, run_beat_entry, wait_for_statement
from voters.models import Elector, RegisterImport
from voters.register_files import synthetic_people, write_register
from voters.services import (
    register_import_create,
    register_import_requeue_lost,
    register_import_run,
    register_import_sweep,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _staging_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'voters\\_staging\\_%%'")
        return [name for (name,) in cursor.fetchall()]


@pytest.fixture
def big_register(tmp_path, anytown):
    """A valid register long enough (one COPY chunk of rows) for a fault to land mid-COPY."""
    people = synthetic_people(5_000, pds=[anytown.polling_district.code, "AT2"], town="Anytown")
    return write_register(tmp_path / "anytown.csv", people, "idox")


def _stored(path, anytown, anytown_secretary):
    with open(path, "rb") as f:
        return register_import_create(
            constituency=anytown.constituency,
            kind="full",
            file=File(f, name=path.name),
            user=anytown_secretary,
        )


@pytest.mark.parametrize("how", ["cancel", "terminate"])
def test_a_database_failure_mid_copy_fails_the_import_without_blaming_the_file(
    how, big_register, anytown, anytown_secretary
):
    """A cancelled COPY (what a statement_timeout does) or a lost connection: failed, saying nothing
    was changed and to try again; no line of the file is blamed; the staging tables are dropped."""
    record = _stored(big_register, anytown, anytown_secretary)
    with StatementKiller("COPY voters_staging_", how=how) as killer, pytest.raises(Exception):  # noqa: B017
        register_import_run(register_import=record)
    assert killer.signalled, "the COPY was never seen running"
    record = RegisterImport.unscoped.get(pk=record.pk)
    assert record.status == RegisterImport.Status.FAILED
    assert record.errors == [] and record.rejected == 0
    assert record.notes[0].startswith("The import failed: the database did not finish it")
    assert "Nothing was changed; try again." in record.notes[0]
    assert not Elector.unscoped.exists()
    assert _staging_tables() == []


# --- A worker that dies: the heartbeat and the sweeper beat runs -----------------------------------


@pytest.fixture
def stale_after(monkeypatch, settings):
    """IMPORT_STALE_AFTER_SECONDS of 2 for this process and for a worker started after it."""
    monkeypatch.setenv("IMPORT_STALE_AFTER_SECONDS", "2")
    settings.IMPORT_STALE_AFTER_SECONDS = 2
    return 2


def test_an_import_whose_worker_is_killed_is_failed_by_the_sweeper_and_its_tables_dropped(
    stale_after, celery_worker, big_register, anytown, anytown_secretary
):
    from voters.tasks import register_import_task

    record = _stored(big_register, anytown, anytown_secretary)
    register_import_task.delay(record.pk)
    wait_for_statement("COPY voters_staging_")
    celery_worker.kill()  # SIGKILL, mid-COPY
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.RUNNING and record.heartbeat_at is not None
    assert _staging_tables()  # left behind by the killed backend
    time.sleep(stale_after + 0.5)  # the heartbeat goes stale
    celery_worker.start()
    run_beat_entry("voters-import-sweep")
    celery_worker.wait_for(lambda: RegisterImport.unscoped.get(pk=record.pk).is_finished)
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.FAILED
    assert record.notes == [
        "The import stopped without finishing: its worker stopped (nothing heard from it for 2 seconds; "
        "it may have been restarted or run out of memory). Nothing was changed. Try again; if it stops "
        "again, tell the platform operator."
    ]
    assert _staging_tables() == []
    assert not Elector.unscoped.exists()


def _hold_lock(pk, held, release):
    from django.db import connections

    from voters.importers.base import REGISTER_IMPORT_LOCK, import_lock

    try:
        with import_lock(REGISTER_IMPORT_LOCK, pk, wait=True):
            held.set()
            release.wait(30)
    finally:
        connections["default"].close()


def test_the_sweeper_leaves_an_import_whose_worker_holds_it_even_without_a_heartbeat(
    stale_after, anytown, tmp_path, anytown_secretary
):
    """A long apply step saves no heartbeat, but its session holds the import's lock: not failed,
    its tables kept. Once the lock is free (the session gone) the sweeper fails it and drops them."""
    path = write_register(tmp_path / "r.csv", synthetic_people(3, pds=["AT2"]), "idox")
    record = _stored(path, anytown, anytown_secretary)
    RegisterImport.unscoped.filter(pk=record.pk).update(
        status=RegisterImport.Status.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE voters_staging_{record.pk} (line integer)")
        cursor.execute(f"CREATE UNLOGGED TABLE voters_staging_{record.pk + 1000}_homes (line integer)")
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(record.pk, held, release))
    holder.start()
    try:
        assert held.wait(10)
        failed, dropped = register_import_sweep()
        assert failed == [] and dropped == [f"voters_staging_{record.pk + 1000}_homes"]
        assert RegisterImport.unscoped.get(pk=record.pk).status == RegisterImport.Status.RUNNING
        assert _staging_tables() == [f"voters_staging_{record.pk}"]
    finally:
        release.set()
        holder.join(10)
    assert register_import_sweep() == ([record.pk], [])  # the import's own tables went with it
    assert RegisterImport.unscoped.get(pk=record.pk).status == RegisterImport.Status.FAILED
    assert _staging_tables() == []
    assert register_import_sweep() == ([], [])  # twice is harmless


# --- A lost message: the import stays queued ------------------------------------------------------


@pytest.fixture
def queued_stale_after(monkeypatch, settings):
    """IMPORT_QUEUED_STALE_AFTER_SECONDS of 10 minutes for this process and for a worker started after it."""
    monkeypatch.setenv("IMPORT_QUEUED_STALE_AFTER_SECONDS", "600")
    settings.IMPORT_QUEUED_STALE_AFTER_SECONDS = 600


def test_an_import_whose_message_was_lost_is_queued_again_by_the_sweeper_once_a_period(
    queued_stale_after, celery_worker, anytown, tmp_path, anytown_secretary
):
    """An import stored and never delivered (its message lost: a cleared broker folder, a Redis that
    restarted empty) waited as "queued" forever. Older than IMPORT_QUEUED_STALE_AFTER_SECONDS, beat's
    sweeper queues it again, once a period, and the worker imports it; a younger one is left."""
    path = write_register(tmp_path / "r.csv", synthetic_people(30, pds=["AT2"]), "idox")
    lost = _stored(path, anytown, anytown_secretary)  # no task sent: the message is lost
    RegisterImport.unscoped.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    young = _stored(path, anytown, anytown_secretary)
    RegisterImport.unscoped.filter(pk=young.pk).update(created_at=timezone.now() - timedelta(minutes=9))
    run_beat_entry("voters-import-sweep")
    celery_worker.wait_for(lambda: RegisterImport.unscoped.get(pk=lost.pk).is_finished, timeout=60)
    lost.refresh_from_db()
    assert lost.status == RegisterImport.Status.DONE and lost.added == 30
    assert RegisterImport.unscoped.get(pk=young.pk).status == RegisterImport.Status.QUEUED
    assert register_import_requeue_lost() == []  # the young one, not yet
    celery_worker.stop()  # the messages below stay in the broker: the import stays queued
    later = timezone.now() + timedelta(minutes=2)
    RegisterImport.unscoped.filter(pk=young.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert register_import_requeue_lost(now=later) == [young.pk]
    assert register_import_requeue_lost(now=later) == []  # queued again: it waits a full period again
    assert register_import_requeue_lost(now=later + timedelta(minutes=11)) == [young.pk]
