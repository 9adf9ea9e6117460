"""Member email against a real Celery worker process (and Celery beat), a real SMTP server (aiosmtpd)
and a real PostgreSQL server that is crashed mid-send.

The guarantee (members/sending.py): nobody is skipped, and a message goes twice only if it was in flight
at the interruption: after a worker is killed, at most the one message the SMTP server was taking; after
a Postgres crash, at most two per batch being sent (that one, and the one before it whose sent mark had
not been acknowledged yet). A mail-server outage pauses the send, however long it lasts, and it resumes
when the server is back.
"""

import asyncio
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from labourhub.models import Role
from members import services
from members.models import EmailBatch, EmailRecipient, EmailSend, Member
from tests.conftest import BASE_DIR

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def fast_email(monkeypatch):
    """No rate limit and small batches in the worker (read from its environment at start). The
    sweeper's timings stay the production ones (MEMBER_EMAIL_STALE_AFTER_SECONDS, beat every minute)."""
    monkeypatch.setenv("MEMBER_EMAIL_RATE_PER_SECOND", "0")
    monkeypatch.setenv("MEMBER_EMAIL_BATCH_SIZE", "100")
    monkeypatch.delenv("MEMBER_EMAIL_STALE_AFTER_SECONDS", raising=False)


class _HoldingHandler:
    """Keeps every message; the `hold_at`-th is kept and then its "250 OK" is held back until `release`
    is set: that message is in flight (the server has it, the sender has had no answer)."""

    def __init__(self, server, hold_at):
        self.server, self.hold_at = server, hold_at
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, smtp_server, session, envelope):
        self.server.messages.append({"rcpt_tos": list(envelope.rcpt_tos), "data": envelope.content})
        if len(self.server.messages) == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"


def _hold_message(smtp_server, number):
    from aiosmtpd.controller import Controller

    smtp_server.stop()
    handler = _HoldingHandler(smtp_server, number)
    smtp_server.controller = Controller(handler, hostname=smtp_server.host, port=smtp_server.port)
    smtp_server.controller.start()
    return handler


@pytest.fixture
def celery_beat(celery_worker, tmp_path):
    """A real `celery beat` with the project's schedule (the sweeper every minute), publishing to the
    worker's broker. Call it to start."""
    processes = []

    def start():
        log = open(tmp_path / "beat.log", "a")  # noqa: SIM115 (closed below)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "labourhub",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(tmp_path / "beat-schedule"),
            ],
            env=celery_worker.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=BASE_DIR,
            start_new_session=True,
        )
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _members(anytown, count):
    Member.unscoped.bulk_create(
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


def _message_id(recipient_id):
    return f"<member-email-{recipient_id}@labourhub.localhost>"


def _queued():
    """Rows not yet sent: waiting, or claimed by a worker."""
    unsent = [EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING]
    return EmailRecipient.unscoped.filter(state__in=unsent).count()


def _claimed():
    return EmailRecipient.unscoped.filter(state=EmailRecipient.State.SENDING).count()


def _assert_everyone_got_it(smtp_server, send, count):
    delivered = {mid: n for mid, n in _delivered(smtp_server).items() if mid.startswith("<member-email-")}
    rows = dict(EmailRecipient.unscoped.filter(send=send).values_list("id", "state"))
    assert len(rows) == count
    assert set(rows.values()) == {EmailRecipient.State.SENT}
    assert set(delivered) == {_message_id(pk) for pk in rows}, "every recipient got the email"
    return {mid: n for mid, n in delivered.items() if n > 1}


def test_killing_the_worker_with_a_message_in_flight_repeats_only_that_message_and_beat_recovers(
    anytown, fast_email, smtp_server, celery_worker, celery_beat
):
    _members(anytown, 1500)
    held = _hold_message(smtp_server, 450)  # mid-way through the fifth batch of 100
    send = _start_send(anytown)
    assert held.holding.wait(timeout=240), "the send never reached the held message"
    in_flight = message_from_bytes(smtp_server.messages[-1]["data"])["Message-ID"]
    claimed_at_kill = _claimed()
    assert claimed_at_kill > 0, "the kill must land while a batch's rows are claimed"
    assert EmailRecipient.unscoped.get(pk=int(in_flight.split("-")[2].split("@")[0])).state == "sending"
    celery_worker.kill()  # SIGKILL to the worker and its child while the server holds back its "250 OK"
    held.release.set()
    assert not EmailRecipient.unscoped.filter(state=EmailRecipient.State.FAILED).exists()

    # No one re-queues the lost task by hand: beat runs the sweeper every minute with the production
    # settings, and the sweeper sees that no live worker holds the batch (its lock died with the worker).
    started = time.monotonic()
    celery_worker.start()
    celery_beat()
    celery_worker.wait_for(lambda: _queued() == 0, timeout=300)
    recovered_in = time.monotonic() - started

    repeats = _assert_everyone_got_it(smtp_server, send, 1500)
    assert repeats == {in_flight: 2}, "only the message in flight at the kill goes twice"
    print(
        f"claimed at the kill: {claimed_at_kill}; repeated: {len(repeats)}; recovered in {recovered_in:.0f}s"
    )
    celery_worker.wait_for(lambda: EmailSend.unscoped.get(pk=send.pk).state == EmailSend.State.DONE)
    assert EmailSend.unscoped.get(pk=send.pk).report()["sent"] == 1500


def test_a_postgres_crash_mid_send_repeats_at_most_the_two_messages_in_flight(
    anytown, crashable_postgres, fast_email, smtp_server, celery_worker
):
    _members(anytown, 3000)
    send = _start_send(anytown)
    celery_worker.wait_for(lambda: len(smtp_server.messages) >= 900 and _claimed() > 0, timeout=240)
    crashable_postgres.crash()  # mid-batch, at full speed: marks are being written as fast as they come
    at_crash = len(smtp_server.messages)
    time.sleep(2)
    crashable_postgres.restart()
    connection.close()  # this test's own connection died with the server

    # The worker's tasks retry until Postgres answers; the batch that was sending is claimed again.
    celery_worker.wait_for(lambda: _queued() == 0, timeout=300)
    repeats = _assert_everyone_got_it(smtp_server, send, 3000)
    print(f"messages at the crash: {at_crash}; repeated: {len(repeats)} {sorted(repeats)}")
    assert len(repeats) <= 2 and set(repeats.values()) == ({2} if repeats else set()), repeats
    celery_worker.wait_for(lambda: EmailSend.unscoped.get(pk=send.pk).state == EmailSend.State.DONE)


def _no_worker_on_the_send(send):
    """Every unfinished batch of the send is free (no worker holds it) and has nothing claimed."""
    return _claimed() == 0 and not any(
        batch_id
        for batch_id in EmailBatch.objects.filter(send=send, finished_at=None).values_list("id", flat=True)
        if _locked(batch_id)
    )


def _locked(batch_id):
    from members.sending import BATCH_LOCK_NAMESPACE

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
            [BATCH_LOCK_NAMESPACE, batch_id],
        )
        return cursor.fetchone()[0] > 0


def test_a_long_mail_server_outage_pauses_the_send_says_why_and_it_resumes_when_the_server_is_back(
    client, anytown, fast_email, smtp_server, celery_worker
):
    _members(anytown, 2000)
    send = _start_send(anytown)
    celery_worker.wait_for(lambda: len(smtp_server.messages) >= 300, timeout=240)
    smtp_server.stop()
    celery_worker.wait_for(lambda: EmailSend.unscoped.get(pk=send.pk).paused_at is not None, timeout=240)
    celery_worker.wait_for(lambda: _no_worker_on_the_send(send), timeout=240)

    # Hours of sweeps while the server stays down (beat runs one a minute): nothing fails, nothing is
    # given up, and the send stays paused with the server's answer.
    now = timezone.now()
    for hours in range(1, 9):
        services.email_sweep(now=now + timedelta(hours=hours))
        time.sleep(0.5)
        celery_worker.wait_for(lambda: _no_worker_on_the_send(send), timeout=120)
    send.refresh_from_db()
    assert send.state == EmailSend.State.SENDING and send.paused_at is not None
    assert "refused" in send.pause_reason.lower() or "connect" in send.pause_reason.lower(), send.pause_reason
    assert not EmailRecipient.unscoped.filter(state=EmailRecipient.State.FAILED).exists()
    waiting = EmailRecipient.unscoped.filter(send=send, state=EmailRecipient.State.QUEUED)
    assert waiting.count() == send.report()["queued"] > 0
    assert waiting.exclude(last_error="").exists(), "the rows the server refused say why"

    # The operator is told, on the send's page (which refreshes itself while the send is on).
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("members:email_progress", args=[send.pk])).content.decode()
    assert "Paused since" in page and "resumes by itself" in page and send.pause_reason[:20] in page

    smtp_server.start()
    assert services.email_sweep() > 0  # the next minute's sweep finds the server answering again
    celery_worker.wait_for(lambda: _queued() == 0, timeout=300)
    repeats = _assert_everyone_got_it(smtp_server, send, 2000)
    assert len(repeats) <= 1, repeats  # the server may drop the connection after taking one message
    send.refresh_from_db()
    assert send.paused_at is None and send.pause_reason == ""
    celery_worker.wait_for(lambda: EmailSend.unscoped.get(pk=send.pk).state == EmailSend.State.DONE)
    # ... and its author is told by email, now that the server takes mail again.
    secretary = anytown.user(Role.CLP_SECRETARY).email
    celery_worker.wait_for(lambda: [secretary] in [m["rcpt_tos"] for m in smtp_server.messages])
    told = next(message_from_bytes(m["data"]) for m in smtp_server.messages if m["rcpt_tos"] == [secretary])
    assert told["Subject"] == "Resumed: Hello {{first_name}}"
    assert (
        "was paused" in told.get_payload(decode=True).decode()
        and "nobody was skipped" in told.get_payload(decode=True).decode()
    )
