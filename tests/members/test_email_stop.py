"""Issue #14 item 3: a member email can be cancelled until its batches start, and stopped mid-way with
what was sent reported. Against a real Celery worker and a real SMTP server (aiosmtpd); the
exactly-once guarantees stay those of tests/members/test_email_reliability.py."""

import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone

from labourhub.models import AuditEvent, Role
from members import services
from members.models import EmailBatch, EmailRecipient, EmailSend, Member

pytestmark = pytest.mark.timeout(600)


def _members(anytown, count):
    Member.unscoped.bulk_create(
        Member(
            constituency=anytown.constituency,
            membership_number=f"A{600000 + n}",
            first_name=f"Member{n}",
            last_name="Anytownson",
            email=f"s{n}@anytown.example",
            consent_email=True,
        )
        for n in range(count)
    )


def _draft(anytown):
    return services.email_send_save(
        constituency=anytown.constituency,
        user=anytown.user(Role.CLP_SECRETARY),
        subject="Hello {{first_name}}",
        body="Dear {{first_name}}, see you **on Saturday**.",
        audience={},
        frequency_cap=3,
    )


def _delivered(smtp_server):
    ids = (message_from_bytes(m["data"])["Message-ID"] for m in smtp_server.messages)
    return Counter(int(mid.split("-")[2].split("@")[0]) for mid in ids if mid.startswith("<member-email-"))


def _states(send):
    return dict(EmailRecipient.unscoped.filter(send=send).values_list("id", "state"))


@pytest.fixture
def slow_email(monkeypatch):
    """A rate the test can stop in the middle of: 3 batches of 100 at 40 messages a second each."""
    monkeypatch.setenv("MEMBER_EMAIL_RATE_PER_SECOND", "40")
    monkeypatch.setenv("MEMBER_EMAIL_BATCH_SIZE", "100")


def test_a_scheduled_send_cancelled_never_goes(anytown, smtp_server, settings):
    _members(anytown, 5)
    secretary = anytown.user(Role.CLP_SECRETARY)
    send = services.email_send_start(
        send=_draft(anytown), user=secretary, when=timezone.now() + timedelta(hours=2)
    )
    services.email_send_cancel(send=send, user=secretary)

    services.email_sweep(now=timezone.now() + timedelta(hours=3))  # its time comes: nothing starts
    services.email_send_plan(send_id=send.pk)
    send.refresh_from_db()
    assert send.state == EmailSend.State.CANCELLED and send.planned_at is None
    assert not EmailRecipient.unscoped.exists() and smtp_server.messages == []
    assert AuditEvent.objects.filter(action="members.email_cancel", user=secretary).exists()


def test_a_send_cancelled_after_planning_but_before_its_batches_start_sends_nothing(anytown, smtp_server):
    _members(anytown, 250)
    secretary = anytown.user(Role.CLP_SECRETARY)
    send = services.email_send_start(send=_draft(anytown), user=secretary)
    services.email_send_plan(send_id=send.pk, batch_size=100)  # the batch tasks are queued, not yet run
    services.email_send_cancel(send=send, user=secretary)

    for batch in EmailBatch.objects.filter(send=send):  # the queued tasks run after all
        assert services.email_batch_send(batch_id=batch.pk) == 0
    assert services.email_sweep(now=timezone.now() + timedelta(hours=1)) == 0  # nothing to re-queue
    assert smtp_server.messages == []
    send.refresh_from_db()
    report = send.report()
    assert (send.state, report["sent"], report["not_sent"], report["percent"]) == ("cancelled", 0, 250, 100)


def test_cancel_is_refused_once_sending_has_started(anytown, smtp_server):
    _members(anytown, 4)
    secretary = anytown.user(Role.CLP_SECRETARY)
    send = services.email_send_start(send=_draft(anytown), user=secretary)
    services.email_send_plan(send_id=send.pk, batch_size=2)
    services.email_batch_send(batch_id=EmailBatch.objects.get(send=send, number=0).pk, rate_per_second=0)
    with pytest.raises(ValueError, match="stop it instead"):
        services.email_send_cancel(send=send, user=secretary)
    services.email_send_stop(send=send, user=secretary)  # half of it went: stopping says so
    report = send.report()
    assert (report["sent"], report["not_sent"]) == (2, 2)
    with pytest.raises(ValueError, match="cannot be stopped: it is stopped"):
        services.email_send_stop(send=send, user=secretary)


def test_stopping_mid_way_with_a_real_worker_sends_nothing_more_and_reports_what_went(
    anytown, slow_email, smtp_server, celery_worker
):
    _members(anytown, 300)
    secretary = anytown.user(Role.CLP_SECRETARY)
    send = services.email_send_start(send=_draft(anytown), user=secretary)
    celery_worker.wait_for(lambda: len(smtp_server.messages) >= 30, timeout=240)
    services.email_send_stop(send=send, user=secretary)
    at_stop = len(smtp_server.messages)

    # The worker notices within about a second (sending.STOP_CHECK_SECONDS): at 40 a second, a few
    # dozen more at most, then nothing at all.
    time.sleep(4)
    after = len(smtp_server.messages)
    time.sleep(3)
    assert len(smtp_server.messages) == after, "nothing goes once the worker has noticed"
    assert after - at_stop <= 45, (at_stop, after)
    assert after < 300

    # What the page reports is what the mail server got: every row sent was delivered once, and no row
    # reported as not sent reached anyone.
    states = _states(send)
    delivered = _delivered(smtp_server)
    assert set(delivered.values()) == {1}
    assert {pk for pk, state in states.items() if state == EmailRecipient.State.SENT} == set(delivered)
    assert set(states.values()) == {EmailRecipient.State.SENT, EmailRecipient.State.CANCELLED}
    send.refresh_from_db()
    report = send.report()
    assert send.state == EmailSend.State.STOPPED and send.stopped_by == secretary
    assert (report["sent"], report["not_sent"], report["queued"]) == (len(delivered), 300 - len(delivered), 0)
    print(f"sent before stop: {at_stop}; sent in all: {after}")

    # The sweeper re-queues nothing of a stopped send, however late it runs.
    assert services.email_sweep(now=timezone.now() + timedelta(hours=1)) == 0
    assert not EmailBatch.objects.filter(send=send, finished_at=None).exists()
