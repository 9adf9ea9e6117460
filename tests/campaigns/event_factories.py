"""Factories for events (issue 17). Anytown's carry "Anytown" in a personal field (see conftest)."""

import datetime

import factory
from django.utils import timezone

from campaigns.models import Event, EventContact, Shift, Signup
from tests.factories import ConstituencyFactory, ModelFactory


def local(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class EventFactory(ModelFactory):
    class Meta:
        model = Event

    constituency = factory.SubFactory(ConstituencyFactory)
    title = factory.Sequence(lambda n: f"Anytown canvass session {n}")
    kind = Event.Kind.CANVASS
    meeting_area = "Near Anytown station"
    meeting_point = "12 Anytown Road, AN1 1AA"
    visibility = Event.Visibility.PUBLIC


class ShiftFactory(ModelFactory):
    class Meta:
        model = Shift

    event = factory.SubFactory(EventFactory)
    starts_at = factory.LazyFunction(lambda: local(timezone.localdate() + datetime.timedelta(days=3), 10, 30))
    ends_at = factory.LazyAttribute(lambda shift: shift.starts_at + datetime.timedelta(hours=2))
    role = "canvasser"


class EventContactFactory(ModelFactory):
    class Meta:
        model = EventContact

    constituency = factory.SubFactory(ConstituencyFactory)
    name = factory.Sequence(lambda n: f"Anytown volunteer {n}")
    email = factory.Sequence(lambda n: f"volunteer{n}@anytown.example")
    consent_email = True


def event_with_shift(constituency, **fields):
    starts_at = fields.pop("starts_at", None)
    event = EventFactory(constituency=constituency, **fields)
    shift = ShiftFactory(event=event, **({"starts_at": starts_at} if starts_at else {}))
    return event, shift


def booked(shift, *, name=None, email=None, status=Signup.Status.BOOKED, at=None):
    """A sign-up of a new contact to `shift`, made directly (the services are tested on their own)."""
    contact = EventContactFactory(
        constituency=shift.event.constituency, **{k: v for k, v in (("name", name), ("email", email)) if v}
    )
    at = at or timezone.now()
    return Signup.unscoped.create(
        shift=shift,
        contact=contact,
        status=status,
        status_at=at,
        booked_at=at if status == Signup.Status.BOOKED else None,
        created_at=at,
    )
