"""The sweeper and the pause, in the test process (the worker-process versions are in
test_email_reliability.py): which batches are queued again, and when; what a mail-server outage and
a deferring server do to rows."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from members import services
from members.models import EmailBatch, EmailRecipient, EmailSend
from members.sending import BATCH_LOCK_NAMESPACE
from tests.members.conftest import make_send


def _planned(anytown):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk, batch_size=1)
    return send, list(EmailBatch.objects.filter(send=send).order_by("number"))


@pytest.fixture
def other_worker():
    """A second database session, as a live worker on another machine would have."""
    db = connection.settings_dict
    session = psycopg.connect(
        dbname=db["NAME"], host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"]
    )
    yield session
    session.close()


def _queued_ids(sweep, now=None):
    """The batches a sweep at `now` queues again (it stamps them enqueued at `now`)."""
    now = now or timezone.now()
    count = sweep(now=now)
    queued = sorted(EmailBatch.objects.filter(enqueued_at=now).values_list("id", flat=True))
    assert count == len(queued)
    return queued


def test_sweeper_requeues_at_once_a_taken_batch_no_worker_holds_but_not_one_a_live_worker_holds(
    anytown, anytown_members, other_worker
):
    send, (alive, dead, untaken) = _planned(anytown)
    EmailBatch.objects.filter(pk__in=[alive.pk, dead.pk]).update(heartbeat_at=timezone.now())
    other_worker.execute("SELECT pg_advisory_lock(%s, %s::int)", [BATCH_LOCK_NAMESPACE, alive.pk])

    # Production timings: no time has to pass for the batch whose worker is gone.
    assert _queued_ids(services.email_sweep) == [dead.pk]
    dead.refresh_from_db()
    assert dead.heartbeat_at is None, "queued again: the next worker to take it starts afresh"
    # A batch no worker has taken yet is in the broker's queue: only after the stale time is it resent.
    later = timezone.now() + timedelta(minutes=11)
    assert _queued_ids(services.email_sweep, later) == [
        dead.pk,
        untaken.pk,
    ]


def test_a_refused_connection_pauses_the_send_and_fails_nobody_however_often_it_happens(
    anytown, anytown_members, smtp_server
):
    send, batches = _planned(anytown)
    smtp_server.stop()
    for _ in range(10):  # before issue #11 the rows failed ("Gave up") at the sixth try
        EmailSend.unscoped.filter(pk=send.pk).update(paused_at=None)
        for batch in batches:
            assert services.email_batch_send(batch_id=batch.pk) == 0
    send.refresh_from_db()
    assert send.paused_at is not None and "refused" in send.pause_reason.lower()
    assert set(send.recipients.values_list("state", flat=True)) == {EmailRecipient.State.QUEUED}
    assert not EmailBatch.objects.filter(send=send).exclude(finished_at=None).exists()


def test_a_paused_sends_batches_wait_without_touching_the_server_and_resume_when_it_answers(
    anytown, anytown_members, smtp_server
):
    send, batches = _planned(anytown)
    EmailSend.unscoped.filter(pk=send.pk).update(paused_at=timezone.now(), pause_reason="old answer")
    assert services.email_batch_send(batch_id=batches[0].pk) == 0
    assert (
        smtp_server.messages == [] and not send.recipients.exclude(state=EmailRecipient.State.QUEUED).exists()
    )

    smtp_server.stop()
    later = timezone.now() + timedelta(hours=5)
    assert _queued_ids(services.email_sweep, later) == []
    send.refresh_from_db()
    assert send.paused_at is not None and "refused" in send.pause_reason.lower(), "the latest answer"

    smtp_server.start()
    queued = _queued_ids(services.email_sweep)
    assert queued == sorted(batch.pk for batch in batches), "every batch of the send goes again"
    send.refresh_from_db()
    assert send.paused_at is None and send.pause_reason == ""
    for batch_id in queued:
        services.email_batch_send(batch_id=batch_id)
    assert len(smtp_server.messages) == 3
    send.refresh_from_db()
    assert send.state == EmailSend.State.DONE


class _DeferringHandler:
    """Defers (451) any recipient whose address starts with "ann"."""

    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("ann"):
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.server.messages.append({"rcpt_tos": list(envelope.rcpt_tos), "data": envelope.content})
        return "250 OK"


def test_a_deferred_recipient_is_retried_and_fails_with_the_answer_only_days_after_planning(
    anytown, anytown_members, smtp_server
):
    from aiosmtpd.controller import Controller

    smtp_server.stop()
    smtp_server.controller = Controller(
        _DeferringHandler(smtp_server), hostname=smtp_server.host, port=smtp_server.port
    )
    smtp_server.controller.start()
    anytown_members["ann"].email = "ann@anytown.example"
    anytown_members["ann"].save(update_fields=["email"])
    send, batches = _planned(anytown)
    ann = send.recipients.get(member=anytown_members["ann"])
    batch = EmailBatch.objects.get(send=send, number=ann.batch_number)
    for _ in range(8):  # an hour of the server's temporary refusals is nothing to give up on
        EmailBatch.objects.filter(pk=batch.pk).update(retry_at=None)
        services.email_batch_send(batch_id=batch.pk)
    ann.refresh_from_db()
    assert (ann.state, ann.attempts) == (EmailRecipient.State.QUEUED, 8) and ann.last_error.startswith("451")
    assert EmailBatch.objects.get(pk=batch.pk).retry_at is not None

    EmailRecipient.unscoped.filter(send=send).update(planned_at=timezone.now() - timedelta(days=4))
    EmailBatch.objects.filter(pk=batch.pk).update(retry_at=None)
    services.email_batch_send(batch_id=batch.pk)
    ann.refresh_from_db()
    assert ann.state == EmailRecipient.State.FAILED and "451" in ann.last_error
    assert EmailBatch.objects.get(pk=batch.pk).finished_at is not None
