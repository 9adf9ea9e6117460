"""What polling day tells webhook subscribers (labourhub/webhooks): an elector told as voted. Ids and
the elector number only (a teller sees as much), never a name or how they were expected to vote."""

from __future__ import annotations

from typing import Any

from labourhub.webhooks.models import EventType
from labourhub.webhooks.services import Event, events_emit

TELLING_FIELDS = ("telling_id", "election_id", "election", "box_id", "elector_id", "polling_district_id",
                  "elector_number", "recorded_at")  # fmt: skip


def telling_emit(telling: Any, election: Any) -> list[int]:
    return events_emit(
        event_type=EventType.TELLING_RECORDED,
        events=[
            Event(
                key=str(telling.pk),
                constituency_id=election.constituency_id,
                occurred_at=telling.recorded_at,
                data={
                    "telling_id": telling.pk,
                    "election_id": election.pk,
                    "election": election.democracy_club_id or election.name,
                    "box_id": telling.box_id,
                    "elector_id": telling.elector_id,
                    "polling_district_id": telling.polling_district_id,
                    "elector_number": telling.elector_number,
                    "recorded_at": telling.recorded_at.isoformat(),
                },
            )
        ],
    )
