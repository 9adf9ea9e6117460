"""What campaigns tells webhook subscribers (labourhub/webhooks): a contact recorded at a door or on
a call, and an event sign-up. Only what the event type's action lets a subscriber see, and less:
ids to fetch more through the API, never notes, answers or voting intention (special category)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labourhub.webhooks.models import EventType
from labourhub.webhooks.services import Event, events_emit

CONTACT_FIELDS = (
    "contact_id",
    "visit_id",
    "elector_id",
    "channel",
    "outcome",
    "campaign_id",
    "campaign",
    "at",
)
SIGNUP_FIELDS = ("signup_id", "event_id", "event", "shift_id", "shift_starts_at", "status", "name")


def contacts_emit(visits: Sequence[Any]) -> list[int]:
    """contact.recorded for each visit just recorded (one statement for a whole sync batch)."""
    return events_emit(
        event_type=EventType.CONTACT_RECORDED,
        events=[
            Event(
                key=str(visit.contact_id),
                constituency_id=visit.campaign.constituency_id,
                occurred_at=visit.contact.at,
                data={
                    "contact_id": visit.contact_id,
                    "visit_id": visit.pk,
                    "elector_id": visit.elector_id,
                    "channel": str(visit.channel),
                    "outcome": visit.outcome.code,
                    "campaign_id": visit.campaign_id,
                    "campaign": visit.campaign.name,
                    "at": visit.contact.at.isoformat(),
                },
            )
            for visit in visits
        ],
    )


def signup_emit(signup: Any) -> list[int]:
    shift, event = signup.shift, signup.shift.event
    return events_emit(
        event_type=EventType.SIGNUP_CREATED,
        events=[
            Event(
                key=f"{signup.pk}:{signup.status_at.isoformat()}",
                constituency_id=event.constituency_id,
                occurred_at=signup.status_at,
                data={
                    "signup_id": signup.pk,
                    "event_id": event.pk,
                    "event": event.title,
                    "shift_id": shift.pk,
                    "shift_starts_at": shift.starts_at.isoformat(),
                    "status": signup.status,
                    "name": signup.contact.name,
                },
            )
        ],
    )
