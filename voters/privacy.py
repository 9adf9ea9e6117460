"""What the register app holds on a person, and erasing it (the mechanism: labourhub/privacy.py).

The register entry itself is the statutory register (public task): it stays, flagged do not contact,
with a tombstone (voters.models.Suppression) that every intake checks. Contacts, model scores and the
marked register's flags are the party's own and go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from labourhub.privacy import Found, Mention, Person, Section
from voters.models import Contact, Elector, ElectorMark, ElectorScore, RegisterEntry, Suppression
from voters.suppression import elector_tombstone_key, flag_suppressed

if TYPE_CHECKING:
    from labourhub.models import Constituency, User

REGISTER = "electoral register"


def _electors(person: Person):
    return Elector.unscoped.filter(
        pk__in=person.elector_ids, polling_district__constituency=person.constituency
    )


def held(person: Person) -> list[Section]:
    if not person.elector_ids:
        return []
    electors = _electors(person).select_related("polling_district", "home").order_by("pk")
    entries = (
        RegisterEntry.unscoped.filter(elector__in=_electors(person))
        .order_by("publication__published_on", "pk")
        .values_list("publication__published_on", "elector_number_raw", "elector_id")
    )
    marks = (
        ElectorMark.unscoped.filter(elector__in=_electors(person))
        .order_by("election", "kind")
        .values_list("kind", "election", "source__file_name", "source__kind")
    )
    scores = (
        ElectorScore.unscoped.filter(elector__in=_electors(person))
        .order_by("-model_version__run_on", "name")
        .values_list(
            "name",
            "value",
            "model_version__name",
            "model_version__run_on",
            "model_version__source__file_name",
        )
    )
    contacts = (
        Contact.unscoped.filter(elector__in=_electors(person))
        .order_by("at", "pk")
        .values_list("at", "channel", "outcome", "campaign_label", "notes", "source", "by__full_name")
    )
    channels = dict(Contact._meta.get_field("channel").choices)
    kinds = dict(ElectorMark.Kind.choices)
    return [
        Section(
            "voters",
            "register",
            "You on the electoral register",
            [
                {
                    "elector number": e.elector_number_display,
                    "name": " ".join(p for p in (e.title, e.first_names, e.surname) if p),
                    "address": f"{e.home.address}, {e.home.postcode_display}" if e.home else "",
                    "franchise markers": e.markers_raw,
                    "attainment date": e.attainment_date,
                    "on the register now": e.on_register,
                    "first seen": e.first_seen_month,
                    "do not contact": e.do_not_contact,
                    "source": f"{REGISTER} (from the council's Electoral Registration Officer)",
                }
                for e in electors
            ],
            "The party receives the full register by law, for electoral purposes. It cannot be erased here: "
            "ask the council's Electoral Registration Officer to correct it.",
        ),
        Section(
            "voters",
            "register_history",
            "Your register entries over time",
            [
                {"published": published, "elector number": raw, "source": f"{REGISTER} published {published}"}
                for published, raw, _ in entries
            ],
        ),
        Section(
            "voters",
            "marks",
            "Whether you voted, and postal or proxy voting",
            [
                {
                    "what": kinds.get(kind, kind),
                    "election": election,
                    "source": f"{file_name or kind} (council list)",
                }
                for kind, election, file_name, kind_of_file in marks
            ],
            "From the marked register and absent voters lists the council supplies after an election: "
            "whether you voted, never how.",
        ),
        Section(
            "voters",
            "scores",
            "Model scores (profiling)",
            [
                {
                    "model": model,
                    "run on": run_on,
                    "score": name,
                    "value": round(value, 4),
                    "meaning": f"The model '{model}' estimates '{name}' for you from the register and past "
                    "canvassing: an estimate, not something you told us; the party uses it to decide whom "
                    "to contact.",
                    "source": f"targeting model {model}" + (f" (file {file_name})" if file_name else ""),
                }
                for name, value, model, run_on, file_name in scores
            ],
        ),
        Section(
            "voters",
            "contacts",
            "Every contact with you, on every channel",
            [
                {
                    "at": at,
                    "channel": channels.get(channel, channel),
                    "outcome": outcome,
                    "campaign": label,
                    "notes": notes,
                    "recorded by": by or "the party",
                    "source": source,
                }
                for at, channel, outcome, label, notes, source, by in contacts
            ],
        ),
    ]


def others(person: Person) -> set[str]:
    """The household: other people registered at their address(es)."""
    if not person.elector_ids:
        return set()
    names = set()
    for first, surname in (
        Elector.unscoped.filter(home__in=_electors(person).filter(home__isnull=False).values("home"))
        .exclude(pk__in=person.elector_ids)
        .values_list("first_names", "surname")
    ):
        names.add(f"{first} {surname}".strip())
        if first:
            names.add(first.split()[0])
    return names


def audit_objects(person: Person) -> list[tuple[str, str]]:
    return [("voters.elector", str(pk)) for pk in person.elector_ids]


def preview(person: Person, *, erase: bool) -> list[tuple[str, int]]:
    if not person.elector_ids:
        return []
    found = [("register entries kept as do not contact (statutory register)", len(person.elector_ids))]
    if erase:
        electors = _electors(person)
        found += [
            ("contacts", Contact.unscoped.filter(elector__in=electors).count()),
            ("model scores", ElectorScore.unscoped.filter(elector__in=electors).count()),
            ("voted / postal marks", ElectorMark.unscoped.filter(elector__in=electors).count()),
        ]
    return found


def erase(person: Person, *, user: User | None, reason: str, erase: bool) -> list[tuple[str, int]]:
    if not person.elector_ids:
        return []
    kind = Suppression.Kind.ERASURE if erase else Suppression.Kind.OBJECTION
    now = timezone.now()
    electors = list(_electors(person).select_for_update())
    for elector in electors:
        tombstone, created = Suppression.unscoped.get_or_create(
            constituency=person.constituency,
            field=Suppression.Field.NAME,
            key=elector_tombstone_key(elector),
            defaults={"kind": kind, "reason": reason, "created_by": user},
        )
        if not created and erase and tombstone.kind != kind:
            tombstone.kind = kind
            tombstone.save(update_fields=["kind"])
    flag = "Erased at their request" if erase else "Objected to contact"
    Elector.unscoped.filter(pk__in=[e.pk for e in electors], do_not_contact=False).update(
        do_not_contact=True, do_not_contact_reason=f"{flag}: {reason}"[:200], do_not_contact_at=now
    )
    removed = [("register entries kept as do not contact (statutory register)", len(electors))]
    if erase:
        ids = [e.pk for e in electors]
        removed += [
            ("contacts", Contact.unscoped.filter(elector_id__in=ids).delete()[0]),
            ("model scores", ElectorScore.unscoped.filter(elector_id__in=ids).delete()[0]),
            ("voted / postal marks", ElectorMark.unscoped.filter(elector_id__in=ids).delete()[0]),
        ]
        Elector.unscoped.filter(pk__in=ids).update(last_contact_at=None)
    return removed


def mentions(person: Person) -> list[Mention]:
    """Notes on other people's contacts in the CLP that name them."""
    found = Q(pk__in=[])
    for first, surname in _electors(person).values_list("first_names", "surname"):
        first_name = first.split()[0] if first else ""
        found |= Q(notes__icontains=f"{first_name} {surname}".strip())
    return [
        Mention("a contact's notes", pk, notes[:300])
        for pk, notes in Contact.unscoped.filter(elector__polling_district__constituency=person.constituency)
        .exclude(elector_id__in=person.elector_ids)
        .filter(found)
        .values_list("pk", "notes")[:100]
    ]


def reapply(constituencies: list[Constituency]) -> tuple[list[tuple[str, int]], list[tuple[Person, str]]]:
    """After a restore: flag everyone a tombstone covers, and hand back those erased, so that what a
    restore brought back of theirs is removed again."""
    from django.db import connection

    caught, to_erase = 0, []
    with connection.cursor() as cursor:
        for constituency in constituencies:
            found = flag_suppressed(cursor, constituency.pk, on_register_only=False)
            caught += found.matched
            to_erase += [
                (Person(constituency, frozenset({pk})), "Reapplied after a restore")
                for pk in found.erased_ids
            ]
    return [("electors covered by a tombstone (kept do not contact)", caught)], to_erase


SUBJECT_KIND = "elector"


def find(
    constituency: Constituency, *, text: str = "", pk: int | None = None, limit: int = 20
) -> list[Found]:
    """Electors of the CLP by name, postcode, address or elector number (voters.search), or by id."""
    from voters.models import Property
    from voters.search import NAME_ORDER, search_electors

    electors = Elector.unscoped.filter(polling_district__constituency=constituency)
    if pk is not None:
        electors = electors.filter(pk=pk)
    else:
        homes = Property.unscoped.filter(polling_district__constituency=constituency)
        electors = search_electors(electors, text, homes).order_by(*NAME_ORDER)
    return [
        Found(
            SUBJECT_KIND,
            elector.pk,
            elector.full_name,
            " · ".join(
                part
                for part in (
                    elector.elector_number_display,
                    elector.home.address if elector.home_id else "",
                    "" if elector.on_register else "no longer on the register",
                )
                if part
            ),
            reverse("voters:elector", args=[elector.pk]),
        )
        for elector in electors.select_related("polling_district", "home")[:limit]
    ]
