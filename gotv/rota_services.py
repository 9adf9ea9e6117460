"""The polling-day rota, write side (issue 17 item 6): creating an election's rota in one go. The
people come from the events' sign-ups (campaigns/events_services.py); this only makes the events,
their shifts and the rota slots that say where each shift is. Read side: gotv/rota.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from campaigns.models import Event, Shift
from gotv import rota
from gotv.models import RotaSlot
from labourhub.services import audit_record

if TYPE_CHECKING:
    from gotv.models import CommitteeRoom, Election, PollingStation
    from labourhub.models import User

ROLE = {RotaSlot.Kind.TELLER: "teller", RotaSlot.Kind.KNOCKER: "knocker", RotaSlot.Kind.DRIVER: "driver"}


def _event_for(
    *, user: User, election: Election, kind: str, place: PollingStation | CommitteeRoom, events: dict
) -> Event:
    """The rota's event for a station (telling) or a committee room: the one already on the rota
    for that place, otherwise a new members-only event."""
    key = (kind == RotaSlot.Kind.TELLER, place.pk)
    if key in events:
        return events[key]
    telling = kind == RotaSlot.Kind.TELLER
    existing = (
        RotaSlot.unscoped.filter(
            election=election, **({"station": place} if telling else {"committee_room": place})
        )
        .select_related("shift__event")
        .first()
    )
    if existing is not None:
        events[key] = existing.shift.event
        return events[key]
    events[key] = Event.unscoped.create(
        constituency=election.constituency,
        kind=Event.Kind.TELLING if telling else Event.Kind.COMMITTEE_ROOM,
        title=f"{'Telling at' if telling else 'Committee room:'} {place.name} ({election.name})",
        description=f"Polling day, {election.poll_date:%A %d %B %Y}.",
        meeting_area=place.name,
        meeting_point=place.address,
        visibility=Event.Visibility.MEMBERS,
        contact=user,
        created_by=user,
    )
    return events[key]


@transaction.atomic
def rota_create(
    *,
    user: User,
    election: Election,
    block_hours: int = rota.DEFAULT_BLOCK_HOURS,
    tellers: int = 1,
    knockers: int = 0,
    drivers: int = 0,
) -> list[RotaSlot]:
    """Create the rota's shifts for `election` in one go: what `rota.plan(...)` with the same
    arguments says (nothing already on the rota at the same place and start is made twice).
    One event per station (telling) and per committee room, one shift per block and role."""
    planned = rota.plan(
        election, block_hours=block_hours, tellers=tellers, knockers=knockers, drivers=drivers
    )
    events: dict = {}
    made = []
    for item in planned.new:
        event = _event_for(user=user, election=election, kind=item.kind, place=item.place, events=events)
        shift = Shift.unscoped.create(
            event=event,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            role=ROLE[RotaSlot.Kind(item.kind)],
            minimum=item.minimum,
        )
        telling = item.kind == RotaSlot.Kind.TELLER
        made.append(
            RotaSlot(
                election=election,
                shift=shift,
                kind=item.kind,
                station=item.place if telling else None,
                committee_room=None if telling else item.place,
            )
        )
    RotaSlot.unscoped.bulk_create(made)
    if made:
        audit_record(
            action="gotv.rota_create",
            user=user,
            obj=election,
            detail={"shifts": len(made), "events": len(events), "block_hours": block_hours},
        )
    return made
