"""Knock-up texts (issue 17, item 3): a committee room texts the promises not yet voted in one of
its districts who are members with their own SMS consent, through sms_bulk_queue, after saying how
many; hidden with no SMS provider. Against the local server playing Twilio (tests/sms_provider.py)."""

import pytest
from django.urls import reverse

from labourhub.celery import app as celery_app
from labourhub.models import Role, SmsMessage
from tests.gotv.test_knockup_rounds import _tell
from tests.gotv.test_knockup_rounds import day as day  # noqa: F401  (the fixture)
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks_run_here():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def members(anytown, day):
    """Promises 1 (consent), 2 (no consent), 4 (consent, has voted); 3 is not a promise (consent)."""
    made = {}
    for number, consent in ((1, True), (2, False), (3, True), (4, True)):
        made[number] = MemberFactory(
            constituency=anytown.constituency,
            elector=day.people[number],
            consent_sms=consent,
            mobile=f"07700 90000{number}",
        )
    _tell(day, anytown, day.people[4])
    return made


def _url(day):
    return reverse("gotv:knockup_rounds", args=[day.election.pk, day.room.pk])


def test_no_sms_provider_no_texting(client, anytown, day, members):
    client.force_login(anytown.user(Role.ORGANISER))
    assert "Text the promises" not in client.get(_url(day)).text
    client.post(_url(day), {"part": "text", "district": anytown.polling_district.pk, "expected": "1"})
    assert not SmsMessage.unscoped.exists()


def test_the_room_texts_consenting_members_not_yet_voted_after_saying_how_many(
    client, anytown, day, members, sms_provider, tasks_run_here, django_capture_on_commit_callbacks
):
    client.force_login(anytown.user(Role.ORGANISER))
    assert "Text the promises not yet voted" in client.get(_url(day)).text
    ask = client.post(_url(day), {"part": "text", "district": anytown.polling_district.pk, "body": "Vote!"})
    assert 'data-figure="text_count">Send this text to <strong>1</strong> promise not' in ask.text
    assert not SmsMessage.unscoped.exists()  # asked first
    changed = client.post(
        _url(day), {"part": "text", "district": anytown.polling_district.pk, "body": "Vote!", "expected": "2"}
    )
    assert "You confirmed 2 messages but there are now 1" in changed.text and not SmsMessage.unscoped.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            _url(day),
            {"part": "text", "district": anytown.polling_district.pk, "body": "Vote!", "expected": "1"},
        )
    assert sent.status_code == 302
    assert [(r["form"]["To"], r["form"]["Body"]) for r in sms_provider.requests] == [
        ("+447700900001", "Vote!")
    ]
    # Pressed again within the hour: nobody is texted twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _url(day),
            {"part": "text", "district": anytown.polling_district.pk, "body": "Vote!", "expected": "1"},
        )
    assert len(sms_provider.requests) == 1


def test_a_district_of_another_room_is_refused(client, anytown, day, members, sms_provider):
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.post(_url(day), {"part": "text", "district": day.second.pk, "expected": "0", "body": "x"})
    assert "choose one of this room" in page.text and not SmsMessage.unscoped.exists()
