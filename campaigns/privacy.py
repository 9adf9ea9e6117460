"""What canvassing and phone banks hold on a person, and erasing it (the mechanism:
labourhub/privacy.py). Visits carry their answers and intentions; relations are recorded by someone
who knows the person, whose name is another person's data and is left out of the export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q
from django.db.models.functions import JSONObject

from campaigns import events_privacy
from campaigns.models import CallEntry, FollowUp, LatestIntention, PhoneNumber, Relation, SyncProblem, Visit
from labourhub.privacy import Mention, Person, Section

if TYPE_CHECKING:
    from labourhub.models import User


def _for(person: Person, model):
    return model.unscoped.filter(
        elector_id__in=person.elector_ids, elector__polling_district__constituency=person.constituency
    )


def _elector_ids(person: Person) -> list[int]:
    """The person's electors in their CLP only: erasure never reaches another CLP's rows."""
    from voters.models import Elector

    return list(
        Elector.unscoped.filter(
            pk__in=person.elector_ids, polling_district__constituency=person.constituency
        ).values_list("pk", flat=True)
    )


def held(person: Person) -> list[Section]:
    if not person.elector_ids:
        return events_privacy.held(person)
    visits = (
        _for(person, Visit)
        .order_by("recorded_at", "pk")
        .values_list(
            "pk",
            "recorded_at",
            "channel",
            "outcome__label",
            "campaign__name",
            "notes",
            "voided",
            "flags",
            "contact__source",
        )
        .annotate(
            given=ArrayAgg(
                JSONObject(question="answers__question__text", answer="answers__value"),
                filter=Q(answers__isnull=False),
                default=[],
                order_by=("answers__pk",),
            )
        )
    )
    intentions = _for(person, LatestIntention).values_list("intention__label", "strength", "at")
    relations = _for(person, Relation).order_by("created_at").values_list("kind", "created_at")
    phones = (
        _for(person, PhoneNumber)
        .order_by("recorded_at")
        .values_list("number", "tps", "objected", "source", "recorded_at")
    )
    kinds = dict(Relation.Kind.choices)
    return [
        Section(
            "campaigns",
            "canvass",
            "Canvassing and phone calls: what you told us",
            [
                {
                    "at": at,
                    "channel": channel,
                    "outcome": outcome,
                    "campaign": campaign,
                    "answers": "; ".join(f"{a['question']}: {a['answer']}" for a in given),
                    "notes": notes,
                    "withdrawn by an organiser": voided,
                    "source": source or ("canvass" if channel == "door" else "phone bank"),
                }
                for _, at, channel, outcome, campaign, notes, voided, flags, source, given in visits
            ],
            "Your answers are political opinions (special category data): held for democratic engagement.",
        ),
        Section(
            "campaigns",
            "intention",
            "Your latest voting intention as we hold it",
            [
                {"intention": label, "strength": strength, "at": at, "source": "canvass"}
                for label, strength, at in intentions
            ],
        ),
        Section(
            "campaigns",
            "relations",
            "People in the party who said they know you",
            [
                {
                    "relation": kinds.get(kind, kind),
                    "at": at,
                    "source": "recorded by someone who knows you (their name is theirs)",
                }
                for kind, at in relations
            ],
        ),
        Section(
            "campaigns",
            "phones",
            "Phone numbers",
            [
                {
                    "number": number,
                    "on the TPS": tps,
                    "asked not to be called": objected,
                    "source": source,
                    "recorded at": at,
                }
                for number, tps, objected, source, at in phones
            ],
        ),
        *events_privacy.held(person),
    ]


def phone_numbers(person: Person) -> list:
    """The electors' phone numbers, and their event contacts' (campaigns/events_privacy.py)."""
    numbers = [_for(person, PhoneNumber).values_list("number", flat=True)] if person.elector_ids else []
    return numbers + events_privacy.phone_numbers(person)


webhook_ids = events_privacy.webhook_ids


def preview(person: Person, *, erase: bool) -> list[tuple[str, int]]:
    events = events_privacy.preview(person, erase=erase)
    if not person.elector_ids:
        return events
    if not erase:
        return [("phone numbers: marked do not call", _for(person, PhoneNumber).count())]
    return [
        ("canvass and phone answers (visits)", _for(person, Visit).count()),
        ("relations", _for(person, Relation).count()),
        ("phone numbers", _for(person, PhoneNumber).count()),
        *events,
    ]


def erase(person: Person, *, user: User | None, reason: str, erase: bool) -> list[tuple[str, int]]:
    events = events_privacy.erase(person, user=user, reason=reason, erase=erase)
    if not person.elector_ids:
        return events
    if not erase:
        return [("phone numbers marked do not call", _for(person, PhoneNumber).update(objected=True))]
    ids = _elector_ids(person)
    visits = _for(person, Visit).count()
    FollowUp.unscoped.filter(elector_id__in=ids).delete()
    LatestIntention.unscoped.filter(elector_id__in=ids).delete()
    Visit.unscoped.filter(elector_id__in=ids).delete()
    # Refused answers kept for review carry the elector's id in their payload.
    SyncProblem.unscoped.filter(constituency=person.constituency).filter(
        Q(payload__elector__in=ids) | Q(payload__elector__in=[str(pk) for pk in ids])
    ).delete()
    CallEntry.unscoped.filter(elector_id__in=ids).delete()
    return [
        ("canvass and phone answers (visits)", visits),
        ("relations", Relation.unscoped.filter(elector_id__in=ids).delete()[0]),
        ("phone numbers", PhoneNumber.unscoped.filter(elector_id__in=ids).delete()[0]),
        *events,
    ]


def mentions(person: Person) -> list[Mention]:
    from voters.models import Elector

    names = Q(pk__in=[])
    for first, surname in Elector.unscoped.filter(pk__in=person.elector_ids).values_list(
        "first_names", "surname"
    ):
        first_name = first.split()[0] if first else ""
        names |= Q(notes__icontains=f"{first_name} {surname}".strip())
    return [
        Mention("a canvass visit's notes", pk, notes[:300])
        for pk, notes in Visit.unscoped.filter(campaign__constituency=person.constituency)
        .exclude(elector_id__in=person.elector_ids)
        .filter(names)
        .values_list("pk", "notes")[:100]
    ]


# Someone known only from signing up to an event: found, linked and erased as an event contact.
SUBJECT_KIND = events_privacy.SUBJECT_KIND
find = events_privacy.find
linked = events_privacy.linked

# A restore from backup: event contacts an erasure tombstone covers (campaigns/events_privacy.py).
reapply = events_privacy.reapply
