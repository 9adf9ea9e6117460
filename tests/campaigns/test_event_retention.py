"""Event sign-ups and attendance are kept RETENTION_EVENT_ATTENDANCE_MONTHS after their shift
(labourhub.retention with campaigns/retention.py): the nightly run removes exactly what the preview
listed, with the contacts left with nothing booked, and keeps the rest."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import EventContact, EventMessage, Signup
from labourhub import retention
from labourhub.services import retention_apply
from tests.campaigns.event_factories import booked, event_with_shift

pytestmark = pytest.mark.django_db


def _shift_ended(constituency, days_ago):
    ends = timezone.now() - datetime.timedelta(days=days_ago)
    _event, shift = event_with_shift(constituency, starts_at=ends - datetime.timedelta(hours=2))
    shift.ends_at = ends
    shift.save(update_fields=["ends_at"])
    return shift


def test_old_sign_ups_go_with_their_reminders_and_contacts_left_with_none(anytown, otherton, settings):
    settings.RETENTION_EVENT_ATTENDANCE_MONTHS = 12
    old_shift, recent_shift = _shift_ended(anytown.constituency, 400), _shift_ended(anytown.constituency, 30)
    gone = booked(old_shift, email="gone@anytown.example")
    stays = booked(old_shift, email="stays@anytown.example")
    again = Signup.unscoped.create(shift=recent_shift, contact=stays.contact, status=Signup.Status.BOOKED)
    EventMessage.unscoped.create(kind="confirmation", signup=gone, shift=old_shift, to=gone.contact.email)
    elsewhere = booked(_shift_ended(otherton.constituency, 400))

    due = {
        item.category.key: set(item.queryset.values_list("pk", flat=True))
        for item in retention.due(anytown.constituency, timezone.now())
    }
    assert due["event_attendance"] == {gone.pk, stays.pk}

    removed = retention_apply(constituency=anytown.constituency, at=timezone.now())

    assert removed["event_attendance"] == 2
    assert set(Signup.unscoped.values_list("pk", flat=True)) == {again.pk, elsewhere.pk}
    assert not EventMessage.unscoped.filter(signup_id=gone.pk).exists()
    assert not EventContact.unscoped.filter(pk=gone.contact_id).exists()
    assert EventContact.unscoped.filter(pk=stays.contact_id).exists()  # still booked on a recent shift
    assert retention.category("event_attendance").in_words() == "12 months"
