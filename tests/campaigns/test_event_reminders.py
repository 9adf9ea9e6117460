"""The reminder sequence (issue 17, item 3), against a real SMTP server (aiosmtpd) with time moved
forward, and once through a real Celery worker."""

import datetime
import email
import re
from email import policy

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import events_services, tasks
from campaigns.models import EventMessage, Signup
from labourhub.celery import app as celery_app
from labourhub.models import Role, SmsMessage
from tests.campaigns.event_factories import booked, event_with_shift, local

DAY = timezone.localdate() + datetime.timedelta(days=10)  # the session's day
BEFORE = DAY - datetime.timedelta(days=1)


@pytest.fixture
def tasks_run_here():
    """Tasks queued on commit run in this process (their code unchanged): for tests about what is
    sent, not about the worker (which has its own test below)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def sent(smtp_server):
    """(recipient, subject, body) of every message the SMTP server received."""
    out = []
    for message in smtp_server.messages:
        parsed = email.message_from_bytes(message["data"], policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",)).get_content()
        out.extend((rcpt, str(parsed["Subject"]), body) for rcpt in message["rcpt_tos"])
    return out


def subjects_to(smtp_server, address):
    return [subject for rcpt, subject, _ in sent(smtp_server) if rcpt == address]


@pytest.fixture
def session(anytown):
    """A session on DAY 10:30-12:30 with Anytown's organiser as contact; A booked early, B booked
    early then cancelled, W on the waiting list."""
    organiser = anytown.user(Role.ORGANISER)
    event, shift = event_with_shift(anytown.constituency, starts_at=local(DAY, 10, 30), contact=organiser)
    early = local(DAY - datetime.timedelta(days=3), 9)
    a = booked(shift, email="a@anytown.example", at=early)
    b = booked(shift, email="b@anytown.example", at=early)
    b.status = Signup.Status.CANCELLED
    b.save(update_fields=["status"])
    w = booked(shift, email="w@anytown.example", status=Signup.Status.WAITING, at=early)
    return event, shift, a, b, w


def test_each_message_is_sent_once_at_its_time_and_never_to_cancelled_people(session, smtp_server, anytown):
    event, shift, a, b, w = session
    send = events_services.event_reminders_send

    send(now=local(BEFORE, 10, 59))
    assert sent(smtp_server) == []
    send(now=local(BEFORE, 11, 0))
    assert [(rcpt, subject) for rcpt, subject, _ in sent(smtp_server)] == [
        ("a@anytown.example", f"Tomorrow: {event.title}")
    ]
    send(now=local(BEFORE, 11, 5))
    send(now=local(BEFORE, 17, 0))
    assert len(sent(smtp_server)) == 1  # once

    # A late booking, after 11:00 the day before: no day-before message, but the morning one.
    booked(shift, email="late@anytown.example", at=local(BEFORE, 15))
    send(now=local(BEFORE, 18, 0))
    assert subjects_to(smtp_server, "late@anytown.example") == []

    send(now=local(DAY, 7, 59))
    assert len(sent(smtp_server)) == 1
    send(now=local(DAY, 8, 0))
    send(now=local(DAY, 9, 0))
    assert subjects_to(smtp_server, "a@anytown.example") == [
        f"Tomorrow: {event.title}",
        f"Today: {event.title}",
    ]
    assert subjects_to(smtp_server, "late@anytown.example") == [f"Today: {event.title}"]
    for nobody in ("b@anytown.example", "w@anytown.example"):
        assert subjects_to(smtp_server, nobody) == []

    # After the shift: a thank-you to those checked in, "did they make it?" to the organiser.
    events_services.signup_check_in(user=anytown.user(Role.ORGANISER), signup=a, attendance="attended")
    send(now=local(DAY, 12, 29))
    assert subjects_to(smtp_server, "a@anytown.example")[-1] == f"Today: {event.title}"
    send(now=local(DAY, 12, 31))
    send(now=local(DAY, 13, 31))
    assert subjects_to(smtp_server, "a@anytown.example")[-1] == f"Thank you for coming: {event.title}"
    assert subjects_to(smtp_server, "late@anytown.example") == [f"Today: {event.title}"]  # not checked in
    organiser = anytown.user(Role.ORGANISER).email
    assert subjects_to(smtp_server, organiser) == [f"Did they make it? {event.title}"]
    ask = next(body for rcpt, _, body in sent(smtp_server) if rcpt == organiser)
    assert reverse("campaigns:event_check_in", args=[event.pk]) in ask
    assert EventMessage.unscoped.filter(sent_at__isnull=True).count() == 0


def test_a_shift_before_nine_gets_its_morning_message_an_hour_before(anytown, smtp_server):
    event, shift = event_with_shift(anytown.constituency, starts_at=local(DAY, 7, 0))
    booked(shift, email="teller@anytown.example", at=local(DAY - datetime.timedelta(days=3), 9))
    events_services.event_reminders_send(now=local(DAY, 5, 59))
    assert subjects_to(smtp_server, "teller@anytown.example") == []
    events_services.event_reminders_send(now=local(DAY, 6, 0))
    assert subjects_to(smtp_server, "teller@anytown.example") == [f"Today: {event.title}"]


def test_a_change_of_place_notifies_everyone_booked_once_per_change(
    session, smtp_server, anytown, tasks_run_here, django_capture_on_commit_callbacks
):
    event, shift, a, b, w = session
    organiser = anytown.user(Role.ORGANISER)
    with django_capture_on_commit_callbacks(execute=True):
        events_services.event_update(user=organiser, event=event, meeting_point="The Anytown Arms, back room")
    with django_capture_on_commit_callbacks(execute=True):
        events_services.event_update(user=organiser, event=event, meeting_point="The Anytown Arms, back room")
    changed = f"Changed: {event.title}"
    assert subjects_to(smtp_server, "a@anytown.example") == [changed]
    assert subjects_to(smtp_server, "w@anytown.example") == [changed]  # waiting: told too
    assert subjects_to(smtp_server, "b@anytown.example") == []  # cancelled: never
    body_a = next(body for rcpt, _, body in sent(smtp_server) if rcpt == "a@anytown.example")
    body_w = next(body for rcpt, _, body in sent(smtp_server) if rcpt == "w@anytown.example")
    assert (
        "The Anytown Arms, back room" in body_a and "The Anytown Arms" not in body_w
    )  # not booked: no address
    assert f"/privacy/{anytown.constituency.gss_code}/" in body_a  # every email links the privacy notice

    # A change of time is a second change: told again.
    with django_capture_on_commit_callbacks(execute=True):
        events_services.shift_save(
            user=organiser,
            event=event,
            shift=shift,
            starts_at=local(DAY, 11, 0),
            ends_at=local(DAY, 13, 0),
            role=shift.role,
            minimum=shift.minimum,
            maximum=shift.maximum,
        )
    assert subjects_to(smtp_server, "a@anytown.example") == [changed, changed]
    assert "11:00" in [body for rcpt, _, body in sent(smtp_server) if rcpt == "a@anytown.example"][-1]


def test_cancelling_an_event_tells_everyone_and_stops_the_reminders(
    session, smtp_server, anytown, tasks_run_here, django_capture_on_commit_callbacks
):
    event, shift, a, b, w = session
    with django_capture_on_commit_callbacks(execute=True):
        events_services.event_cancel(user=anytown.user(Role.ORGANISER), event=event)
    assert subjects_to(smtp_server, "a@anytown.example") == [f"Cancelled: {event.title}"]
    assert subjects_to(smtp_server, "b@anytown.example") == []
    events_services.event_reminders_send(now=local(BEFORE, 11, 0))
    events_services.event_reminders_send(now=local(DAY, 8, 0))
    assert subjects_to(smtp_server, "a@anytown.example") == [f"Cancelled: {event.title}"]


def _link(body, word):
    return re.search(rf"{word}: (http\S+)", body).group(1).removeprefix("http://127.0.0.1:8000")


def test_confirm_and_cancel_from_the_day_before_email(
    session, smtp_server, client, django_capture_on_commit_callbacks
):
    event, shift, a, b, w = session
    shift.maximum = 1
    shift.save(update_fields=["maximum"])
    events_services.event_reminders_send(now=local(BEFORE, 11, 0))
    body = sent(smtp_server)[0][2]
    confirm = _link(body, "Yes, I'm coming")
    page = client.get(confirm)
    assert page.status_code == 200 and "Yes, I'm coming" in page.text
    a.refresh_from_db()
    assert a.confirmed_at is None  # opening the link (a mail scanner does) changes nothing
    assert "you are confirmed" in client.post(confirm).text
    a.refresh_from_db()
    assert a.confirmed_at is not None

    with django_capture_on_commit_callbacks() as queued:
        client.post(_link(body, "I can't come"))
    a.refresh_from_db(), w.refresh_from_db()
    assert a.status == Signup.Status.CANCELLED
    assert w.status == Signup.Status.BOOKED  # the place went to the waiting list
    assert len(queued) == 1


def test_a_forged_or_tampered_link_does_nothing(session, client):
    event, shift, a, b, w = session
    from campaigns import events

    good = events.link_token(a, "confirm")
    for token in (good[:-2] + "xx", "nonsense", events.link_token(a, "confirm").replace(":", ".")):
        response = client.post(reverse("campaigns:event_link", args=[token]))
        assert response.status_code == 404
    a.refresh_from_db()
    assert a.confirmed_at is None and a.status == Signup.Status.BOOKED


def test_a_message_that_fails_to_send_is_tried_again_not_lost(session, smtp_server):
    event, shift, a, b, w = session
    smtp_server.stop()
    with pytest.raises(OSError):
        events_services.event_message_send(signup_id=a.pk, kind=EventMessage.Kind.DAY_BEFORE)
    assert not EventMessage.unscoped.exists()  # the claim was given back
    smtp_server.start()
    assert events_services.event_message_send(signup_id=a.pk, kind=EventMessage.Kind.DAY_BEFORE)
    assert not events_services.event_message_send(signup_id=a.pk, kind=EventMessage.Kind.DAY_BEFORE)
    assert len(sent(smtp_server)) == 1


def test_the_beat_schedules_the_reminder_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["campaigns-event-reminders"]
    assert entry["task"] == tasks.event_reminders_task.name
    assert entry["schedule"] <= 5 * 60  # the 11:00 and 08:00 messages go within five minutes


# --- Through a real worker --------------------------------------------------------------------------


def test_a_real_worker_sends_the_confirmation_and_the_morning_message(
    anytown, smtp_server, sms_provider, celery_worker, client
):
    # By text too (labourhub/sms.py): the provider down for the first text, which is tried again.
    sms_provider.script.append(("error", 503, {"code": 20503, "message": "Service unavailable"}))
    now = timezone.localtime()
    minutes = max(2, min(40, (24 * 60 - (now.hour * 60 + now.minute)) - 2))  # still today
    event, shift = event_with_shift(anytown.constituency, starts_at=now + datetime.timedelta(minutes=minutes))
    response = client.post(
        reverse("campaigns:event_public", args=[event.token]),
        {
            "shift": shift.pk,
            "name": "Worker Test",
            "email": "worker@anytown.example",
            "phone": "07700 900555",
            "consent_email": "on",
            "consent_sms": "on",
        },
    )
    assert response.status_code == 302
    celery_worker.wait_for(lambda: subjects_to(smtp_server, "worker@anytown.example"))
    assert subjects_to(smtp_server, "worker@anytown.example") == [f"You signed up: {event.title}"]

    tasks.event_reminders_task.delay()
    tasks.event_reminders_task.delay()  # the beat firing twice sends nothing twice
    celery_worker.wait_for(lambda: len(subjects_to(smtp_server, "worker@anytown.example")) == 2)
    # Both sweeps have run once the queue is empty: the second found the message claimed.
    celery_worker.wait_for(
        lambda: (
            celery_worker.log_path.read_text().count("event_reminders_task") >= 4  # received, succeeded x2
            and celery_worker.log_path.read_text().count("succeeded") >= 3
        )
    )
    assert subjects_to(smtp_server, "worker@anytown.example") == [
        f"You signed up: {event.title}",
        f"Today: {event.title}",
    ]
    # The texts: the confirmation posted twice (503, then taken), the morning one once, nothing more.
    celery_worker.wait_for(lambda: SmsMessage.unscoped.filter(status=SmsMessage.Status.ACCEPTED).count() == 2)
    bodies = [r["form"]["Body"] for r in sms_provider.requests if r["form"]["To"] == "+447700900555"]
    assert len(bodies) == 3
    assert sum(b.startswith(f"You signed up: {event.title}") for b in bodies) == 2
    assert sum(b.startswith("Today ") for b in bodies) == 1
    assert SmsMessage.unscoped.get(key__endswith=":confirmation:0").attempts == 2
