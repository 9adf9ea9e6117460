"""Event reminders by text message (issue 17, item 3) for bookers who ticked the SMS box, through
labourhub/sms.py against a local server playing Twilio (tests/sms_provider.py). Through a real
worker: tests/campaigns/test_event_reminders.py's worker test texts too."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns import events_services
from campaigns.models import EventContact, Signup
from labourhub import sms
from labourhub.celery import app as celery_app
from labourhub.models import SmsMessage
from tests.campaigns.event_factories import booked, event_with_shift, local

DAY = timezone.localdate() + datetime.timedelta(days=10)
BEFORE = DAY - datetime.timedelta(days=1)


@pytest.fixture
def tasks_run_here():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def texting(signup, phone):
    EventContact.unscoped.filter(pk=signup.contact_id).update(phone=phone, consent_sms=True)
    return signup


def texts_to(provider, number):
    return [r["form"]["Body"] for r in provider.requests if r["form"]["To"] == number]


def test_the_sequence_goes_by_text_once_each_and_stops_after_stop(
    anytown, sms_provider, tasks_run_here, django_capture_on_commit_callbacks
):
    event, shift = event_with_shift(anytown.constituency, starts_at=local(DAY, 10, 30))
    early = local(DAY - datetime.timedelta(days=3), 9)
    texting(booked(shift, email="a@anytown.example", at=early), "07700 900111")
    booked(shift, email="no-sms@anytown.example", at=early)  # no SMS consent
    cancelled = texting(booked(shift, email="c@anytown.example", at=early), "07700 900333")
    Signup.unscoped.filter(pk=cancelled.pk).update(status=Signup.Status.CANCELLED)

    for now in (local(BEFORE, 11, 0), local(BEFORE, 11, 5), local(BEFORE, 17, 0)):
        with django_capture_on_commit_callbacks(execute=True):
            events_services.event_reminders_send(now=now)
    [day_before] = texts_to(sms_provider, "+447700900111")
    assert day_before.startswith(f"Tomorrow 10:30: {event.title}. Coming? http")
    assert "/campaigns/r/" in day_before and "Reply STOP" in day_before
    assert texts_to(sms_provider, "+447700900333") == []  # cancelled: never
    assert len(sms_provider.requests) == 1

    # They text STOP: the morning email still goes, the morning text does not.
    assert sms.sms_inbound_record(sender="+447700900111", body="Stop") == "stop"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        events_services.event_reminders_send(now=local(DAY, 8, 0))
    assert sorted(m.to[0] for m in mail.outbox) == ["a@anytown.example", "no-sms@anytown.example"]
    assert len(sms_provider.requests) == 1
    assert SmsMessage.unscoped.get().status == SmsMessage.Status.ACCEPTED


def test_no_texts_are_planned_with_no_provider(anytown, settings, django_capture_on_commit_callbacks):
    settings.SMS_PROVIDER_URL = ""
    event, shift = event_with_shift(anytown.constituency, starts_at=local(DAY, 10, 30))
    signup = texting(booked(shift, email="a@anytown.example"), "07700 900111")
    with django_capture_on_commit_callbacks(execute=True):
        assert events_services.event_message_send(signup_id=signup.pk, kind="confirmation") is True
    assert not SmsMessage.unscoped.exists()


def test_the_sms_box_on_the_sign_up_form_is_recorded(anytown, sms_provider, client):
    event, shift = event_with_shift(anytown.constituency, starts_at=local(DAY, 10, 30))
    page = client.get(reverse("campaigns:event_public", args=[event.token])).text
    assert 'name="consent_sms"' in page
    client.post(
        reverse("campaigns:event_public", args=[event.token]),
        {
            "shift": shift.pk,
            "name": "Texter",
            "email": "t@anytown.example",
            "phone": "07700 900444",
            "consent_email": "on",
            "consent_sms": "on",
        },
    )
    contact = EventContact.unscoped.get(email="t@anytown.example")
    assert contact.consent_sms is True and "Text me" in contact.consent_wording


@pytest.mark.parametrize(("phone", "says"), [("", "No phone number"), ("01632 960123", "not a mobile")])
def test_ticking_the_sms_box_needs_a_uk_mobile(anytown, sms_provider, client, phone, says):
    event, shift = event_with_shift(anytown.constituency, starts_at=local(DAY, 10, 30))
    response = client.post(
        reverse("campaigns:event_public", args=[event.token]),
        {
            "shift": shift.pk,
            "name": "Texter",
            "email": "t@anytown.example",
            "phone": phone,
            "consent_email": "on",
            "consent_sms": "on",
        },
    )
    assert response.status_code == 400
    assert "To get texts, give a UK mobile number" in response.text and says in response.text
    assert not EventContact.unscoped.exists()
