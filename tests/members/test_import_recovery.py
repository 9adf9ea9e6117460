"""Member imports recover from database failures: never blamed on the file (issue #11, item 2)."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connections
from django.utils import timezone

from members import importers, services, tasks
from members.models import ImportMapping, Member, MemberImport
from tests.db_faults import StatementKiller, run_beat_entry, wait_for_statement
from voters.importers.base import import_lock

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "Membership Number,Forename,Surname,Email\r\n"


def _stored_import(anytown, rows):
    data = HEADER + "".join(f"A{n:06d},First{n},Anytownley{n},m{n}@anytown.example\r\n" for n in range(rows))
    mapping = ImportMapping.unscoped.create(
        constituency=anytown.constituency,
        name="Export",
        columns={
            "membership_number": "Membership Number",
            "first_name": "Forename",
            "last_name": "Surname",
            "email": "Email",
        },
    )
    return MemberImport.unscoped.create(
        constituency=anytown.constituency,
        mapping=mapping,
        file=ContentFile(data.encode(), name="members.csv"),
        file_name="members.csv",
    )


@pytest.mark.parametrize("how", ["cancel", "terminate"])
def test_a_database_failure_mid_copy_fails_the_import_without_blaming_a_line(how, anytown):
    """A cancelled COPY (as a statement_timeout causes) marked a valid file rejected with
    "line 5013: canceling statement due to user request"; a lost connection was hidden behind the
    failing DROP TABLE in `finally`. Both now end failed: nothing changed, try again."""
    member_import = _stored_import(anytown, 150_000)
    with StatementKiller("COPY member_import_raw", how=how) as killer, pytest.raises(Exception) as raised:  # noqa: B017
        importers.member_import_run(import_id=member_import.pk)
    assert killer.signalled, "the COPY was never seen running"
    assert "COPY" in str(raised.value) or "connection" in str(raised.value)  # the failure, not the DROP's
    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.FAILED
    assert "lines" not in member_import.report
    assert member_import.report["error"].startswith("The import failed: the database did not finish it")
    assert member_import.report["error"].endswith("Nothing was changed; try again.")
    assert "line " not in member_import.report["error"]
    assert not Member.unscoped.exists()


@pytest.fixture
def stale_after(monkeypatch, settings):
    """IMPORT_STALE_AFTER_SECONDS of 2 for this process and for a worker started after it."""
    monkeypatch.setenv("IMPORT_STALE_AFTER_SECONDS", "2")
    settings.IMPORT_STALE_AFTER_SECONDS = 2
    return 2


def test_an_import_whose_worker_is_killed_is_failed_by_the_sweeper(stale_after, celery_worker, anytown):
    """SIGKILL the worker mid-COPY: the import stays running (no message comes back with the file
    broker), until the sweeper, queued as beat queues it, ends it as failed with the reason."""
    member_import = _stored_import(anytown, 150_000)
    tasks.member_import_run.delay(member_import.pk)
    wait_for_statement("COPY member_import_raw")
    celery_worker.kill()
    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.RUNNING and member_import.heartbeat_at is not None
    time.sleep(stale_after + 0.5)  # the heartbeat goes stale
    celery_worker.start()
    run_beat_entry("members-import-sweep")
    celery_worker.wait_for(lambda: MemberImport.unscoped.get(pk=member_import.pk).finished_at is not None)
    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.FAILED
    assert member_import.report["error"] == (
        "The import stopped without finishing: its worker stopped (nothing heard from it for 2 seconds; "
        "it may have been restarted or run out of memory). Nothing was changed. Try again; if it stops "
        "again, tell the platform operator."
    )
    assert not Member.unscoped.exists()


def test_the_sweeper_leaves_an_import_whose_worker_holds_it(stale_after, anytown):
    """No heartbeat for an hour, but a live session holds the import (a long apply step): left."""
    member_import = _stored_import(anytown, 1)
    MemberImport.unscoped.filter(pk=member_import.pk).update(
        state=MemberImport.State.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with import_lock(importers.MEMBER_IMPORT_LOCK, member_import.pk, wait=True):
                held.set()
                release.wait(30)
        finally:
            connections["default"].close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        assert services.member_import_sweep() == []
        assert tasks.member_import_run(member_import.pk) is None  # a second delivery leaves it too
        assert MemberImport.unscoped.get(pk=member_import.pk).state == MemberImport.State.RUNNING
    finally:
        release.set()
        holder.join(10)
    assert services.member_import_sweep() == [member_import.pk]
    assert MemberImport.unscoped.get(pk=member_import.pk).state == MemberImport.State.FAILED
    assert services.member_import_sweep() == []


def _same_file(member_import):
    with member_import.file.open("rb") as f:
        data = f.read()
    return MemberImport.unscoped.create(
        constituency=member_import.constituency,
        mapping=member_import.mapping,
        file=ContentFile(data, name="members.csv"),
        file_name="members.csv",
    )


@pytest.fixture
def queued_stale_after(monkeypatch, settings):
    """IMPORT_QUEUED_STALE_AFTER_SECONDS of 10 minutes for this process and for a worker started after it."""
    monkeypatch.setenv("IMPORT_QUEUED_STALE_AFTER_SECONDS", "600")
    settings.IMPORT_QUEUED_STALE_AFTER_SECONDS = 600


def test_an_import_whose_message_was_lost_is_queued_again_by_the_sweeper(
    queued_stale_after, celery_worker, anytown
):
    """Queued (its mapping chosen) and never delivered: it waited forever. Older than
    IMPORT_QUEUED_STALE_AFTER_SECONDS, beat's sweeper queues it again and the worker imports it. An upload
    still waiting for its mapping, or one queued more recently, is left."""
    lost = _stored_import(anytown, 20)  # stored with its mapping; no task sent: the message is lost
    MemberImport.unscoped.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    unmapped = _same_file(lost)
    MemberImport.unscoped.filter(pk=unmapped.pk).update(
        mapping=None, created_at=timezone.now() - timedelta(hours=1)
    )
    run_beat_entry("members-import-sweep")
    celery_worker.wait_for(lambda: MemberImport.unscoped.get(pk=lost.pk).finished_at, timeout=60)
    lost.refresh_from_db()
    assert lost.state == MemberImport.State.DONE and lost.report["added"] == 20
    assert MemberImport.unscoped.get(pk=unmapped.pk).state == MemberImport.State.WAITING
    assert services.member_import_requeue_lost() == []

    celery_worker.stop()  # messages now stay in the broker: the import stays waiting
    queued = _same_file(lost)
    MemberImport.unscoped.filter(pk=queued.pk).update(
        mapping=None, created_at=timezone.now() - timedelta(hours=1)
    )
    queued.refresh_from_db()
    services.member_import_queue(member_import=queued, mapping=lost.mapping)  # uploaded long ago, queued now
    assert services.member_import_requeue_lost() == []
    later = timezone.now() + timedelta(minutes=11)
    assert services.member_import_requeue_lost(now=later) == [queued.pk]
    assert services.member_import_requeue_lost(now=later) == []  # queued again: it waits a full period again
