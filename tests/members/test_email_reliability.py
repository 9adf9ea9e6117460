"""Member email against a real Celery worker process and a real SMTP server (aiosmtpd).

What is guaranteed: no recipient is skipped, and no row is sent twice except the one message in
flight at the instant a worker dies (or the server drops the connection) after the SMTP server said
"250 OK" but before the row's transaction committed. That window cannot be closed without the SMTP
server taking part; the tests allow at most that one repeat per interruption and report it.
"""

from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone

from labourhub.models import Role
from members import services
from members.models import EmailBatch, EmailRecipient, EmailSend, Member

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def fast_email(monkeypatch):
    """No rate limit and small batches in the worker (read from its environment at start)."""
    monkeypatch.setenv("MEMBER_EMAIL_RATE_PER_SECOND", "0")
    monkeypatch.setenv("MEMBER_EMAIL_BATCH_SIZE", "100")


def _members(anytown, count):
    Member.objects.bulk_create(
        Member(
            constituency=anytown.constituency,
            membership_number=f"A{500000 + n}",
            first_name=f"Member{n}",
            last_name="Anytownson",
            email=f"m{n}@anytown.example",
            consent_email=True,
        )
        for n in range(count)
    )


def _start_send(anytown):
    secretary = anytown.user(Role.CLP_SECRETARY)
    send = services.email_send_save(
        constituency=anytown.constituency,
        user=secretary,
        subject="Hello {{first_name}}",
        body="Dear {{first_name}}, see you **on Saturday**.",
        audience={},
        frequency_cap=3,
    )
    return services.email_send_start(send=send, user=secretary)  # the worker plans and sends


def _delivered(smtp_server):
    """Message-ID (one per recipient row) -> how many copies the SMTP server received."""
    return Counter(message_from_bytes(m["data"])["Message-ID"] for m in smtp_server.messages)


def _queued():
    """Rows not yet sent: waiting, or claimed by a worker."""
    unsent = [EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING]
    return EmailRecipient.objects.filter(state__in=unsent).count()


def test_killing_the_worker_mid_send_loses_nobody_and_repeats_at_most_the_message_in_flight(
    anytown, fast_email, smtp_server, celery_worker
):
    _members(anytown, 5000)
    send = _start_send(anytown)
    celery_worker.wait_for(lambda: len(smtp_server.messages) >= 1500, timeout=240)
    celery_worker.kill()  # SIGKILL to the worker and its child, mid-batch
    sent_before_restart = EmailRecipient.objects.filter(state=EmailRecipient.State.SENT).count()
    assert 0 < _queued() < 5000, "the kill should land mid-send"
    assert not EmailRecipient.objects.filter(state=EmailRecipient.State.FAILED).exists()

    celery_worker.start()
    # The task the dead worker held is gone from the broker (the filesystem transport does not redeliver);
    # the sweeper (Celery beat in production) queues every batch that has no live worker again.
    services.email_sweep(stale_after=timedelta(0))
    celery_worker.wait_for(lambda: _queued() == 0, timeout=300)

    delivered = _delivered(smtp_server)
    rows = dict(EmailRecipient.objects.values_list("id", "state"))
    expected = {f"<member-email-{pk}@labourhub.localhost>" for pk in rows}
    assert set(rows.values()) == {EmailRecipient.State.SENT}
    assert set(delivered) == expected, "every recipient got the email"
    repeats = {mid: n for mid, n in delivered.items() if n > 1}
    assert len(repeats) <= 1 and all(n == 2 for n in repeats.values()), repeats
    print(f"sent before kill: {sent_before_restart}; messages repeated: {len(repeats)}")
    celery_worker.wait_for(lambda: EmailSend.objects.get(pk=send.pk).state == EmailSend.State.DONE)
    assert EmailSend.objects.get(pk=send.pk).report()["sent"] == 5000


def test_smtp_server_going_down_defers_rows_with_the_reason_and_a_retry_sends_them(
    anytown, fast_email, smtp_server, celery_worker
):
    _members(anytown, 2000)
    send = _start_send(anytown)
    celery_worker.wait_for(lambda: len(smtp_server.messages) >= 300, timeout=240)
    smtp_server.stop()

    def all_batches_waiting_or_done():
        return not EmailBatch.objects.filter(send=send, finished_at=None, retry_at=None).exists()

    celery_worker.wait_for(all_batches_waiting_or_done, timeout=240)
    waiting = EmailRecipient.objects.filter(state=EmailRecipient.State.QUEUED)
    assert waiting.exists()
    assert not EmailRecipient.objects.filter(state=EmailRecipient.State.FAILED).exists()
    assert not waiting.filter(last_error="").exists(), "every waiting row says why"
    assert (
        waiting.filter(last_error__icontains="refused").exists()
        or waiting.filter(last_error__icontains="disconnect").exists()
    )
    assert send.report()["retrying"] == waiting.count()

    smtp_server.start()
    services.email_sweep(now=timezone.now() + timedelta(hours=2))  # the back-off has passed
    celery_worker.wait_for(lambda: _queued() == 0, timeout=300)

    delivered = _delivered(smtp_server)
    assert len(delivered) == 2000, "nothing lost"
    assert set(EmailRecipient.objects.values_list("state", flat=True)) == {EmailRecipient.State.SENT}
    repeats = [mid for mid, n in delivered.items() if n > 1]
    assert len(repeats) <= 1, repeats
