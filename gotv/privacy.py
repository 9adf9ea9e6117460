"""What polling day holds on a person, and erasing it (the mechanism: labourhub/privacy.py): the
promise list's changes, tellers' numbers and whether they were seen to vote, knock-up outcomes,
lifts and the postal chase. All of it is the party's own campaigning data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gotv.models import (
    KnockUpOutcome,
    KnockUpRoundElector,
    LiftRequest,
    PostalChaseContact,
    PromiseAdjustment,
    Telling,
    TellingUndo,
    VoteRecord,
)
from labourhub.privacy import Person, Section
from voters.models import Elector

if TYPE_CHECKING:
    from labourhub.models import User


def _for(person: Person, model):
    return model.unscoped.filter(
        elector_id__in=person.elector_ids, election__constituency=person.constituency
    )


def held(person: Person) -> list[Section]:
    if not person.elector_ids:
        return []
    promises = (
        _for(person, PromiseAdjustment)
        .order_by("at")
        .values_list("election__name", "kind", "value", "source", "at")
    )
    voted = _for(person, VoteRecord).order_by("at").values_list("election__name", "source", "at")
    chase = (
        _for(person, PostalChaseContact)
        .order_by("at")
        .values_list("election__name", "channel", "outcome", "notes", "at")
    )
    knock_up = (
        KnockUpOutcome.unscoped.filter(
            elector_id__in=person.elector_ids,
            round__committee_room__election__constituency=person.constituency,
        )
        .order_by("recorded_at")
        .values_list("round__committee_room__election__name", "outcome", "notes", "recorded_at")
    )
    kinds, sources = dict(PromiseAdjustment.Kind.choices), dict(VoteRecord.Source.choices)
    return [
        Section(
            "gotv",
            "polling_day",
            "Polling day: our list of supporters to remind, and whether you were seen to vote",
            [
                {
                    "election": e,
                    "what": kinds.get(kind, kind),
                    "set": value,
                    "at": at,
                    "source": f"polling day ({source})",
                }
                for e, kind, value, source, at in promises
            ]
            + [
                {
                    "election": e,
                    "what": "seen to have voted",
                    "set": True,
                    "at": at,
                    "source": sources.get(source, source),
                }
                for e, source, at in voted
            ],
        ),
        Section(
            "gotv",
            "knock_up",
            "Polling day visits and postal vote reminders",
            [
                {"election": e, "outcome": outcome, "notes": notes, "at": at, "source": "knock-up"}
                for e, outcome, notes, at in knock_up
            ]
            + [
                {
                    "election": e,
                    "outcome": f"{channel}: {outcome}",
                    "notes": notes,
                    "at": at,
                    "source": "postal chase",
                }
                for e, channel, outcome, notes, at in chase
            ],
        ),
    ]


def preview(person: Person, *, erase: bool) -> list[tuple[str, int]]:
    if not person.elector_ids or not erase:
        return []
    return [
        ("polling day records", _for(person, PromiseAdjustment).count() + _for(person, VoteRecord).count()),
        ("tellers' numbers", _for(person, Telling).count()),
    ]


def erase(person: Person, *, user: User | None, reason: str, erase: bool) -> list[tuple[str, int]]:
    if not person.elector_ids or not erase:
        return []
    # The person's electors in their CLP only: erasure never reaches another CLP's rows.
    ids = list(
        Elector.unscoped.filter(
            pk__in=person.elector_ids, polling_district__constituency=person.constituency
        ).values_list("pk", flat=True)
    )
    lifts = LiftRequest.unscoped.filter(elector_id__in=ids).delete()[0]
    records = VoteRecord.unscoped.filter(elector_id__in=ids).delete()[0]
    records += PromiseAdjustment.unscoped.filter(elector_id__in=ids).delete()[0]
    records += PostalChaseContact.unscoped.filter(elector_id__in=ids).delete()[0]
    records += KnockUpRoundElector.unscoped.filter(elector_id__in=ids).delete()[0]
    records += KnockUpOutcome.unscoped.filter(elector_id__in=ids).delete()[0]
    TellingUndo.unscoped.filter(telling__elector_id__in=ids).delete()
    tellings = Telling.unscoped.filter(elector_id__in=ids).delete()[0]
    return [("polling day records", records), ("tellers' numbers", tellings), ("lifts", lifts)]
