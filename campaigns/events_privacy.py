"""Event sign-ups and data protection (issue 16, items 2 and 3): what the events hold on a person for
their subject access export, erasing it, and the check of each new sign-up against the erasure
tombstones. campaigns/privacy.py adds these to canvassing's; the mechanism is labourhub/privacy.py.

A person's event contacts are those linked to their member record, or with the member record's email
address, in the same CLP (an event contact has no elector: a name alone is not enough to say a
sign-up is theirs), and, for someone known only from signing up, the event contact a data protection
request was linked to (`SUBJECT_KIND`, found by name, email or phone). Erasing deletes the contacts with their sign-ups and the messages sent for them,
and leaves an `email` tombstone of each address, which later sign-ups check with the `name` tombstone
the register keeps (voters.suppression.erased_identity).

What a caught sign-up is told: the public form says only that the sign-up could not be taken online
and to ask the organiser. It does not say why: anyone can type a name and an address, and "this
person asked to be erased" is itself personal data. Nothing is stored and nothing is sent; the
audit log counts it (`event.signup_caught`, the event's id, no name). An organiser checking in a
walk-in is told plainly, as a canvasser's phone is (campaigns.services.SUPPRESSED_MESSAGE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Upper
from django.urls import reverse

from campaigns.models import Event, EventContact, EventMessage, Signup
from labourhub.privacy import Found, Person, Section, tombstone_key
from labourhub.services import audit_record

if TYPE_CHECKING:
    from labourhub.models import Constituency, User

SIGNUP_CAUGHT_ACTION = "event.signup_caught"
SIGNUP_NOT_TAKEN = (
    "We could not take this sign-up online. Please get in touch with the event's organiser "
    "(their contact details are on this page)."
)
WALK_IN_NOT_RECORDED = (
    "Not recorded: this person asked the party to erase what it held on them, so nothing about them is kept."
)


def signup_caught(*, event: Event, name: str, email: str, how: str, user: User | None = None) -> bool:
    """Whether an erasure tombstone of the event's CLP covers this name or address; if so the catch
    is counted in the audit log (no name, no address) and the caller stores nothing."""
    from voters.suppression import erased_identity

    if not erased_identity(constituency_id=event.constituency_id, name=name, email=email):
        return False
    audit_record(action=SIGNUP_CAUGHT_ACTION, user=user, obj=event, detail={"caught": 1, "how": how})
    return True


def _has_contacts(person: Person) -> bool:
    return bool(person.member_ids or person.event_contact_ids)


def _contacts(person: Person):
    from members.models import Member

    if not _has_contacts(person):
        return EventContact.unscoped.none()
    members = Member.unscoped.filter(pk__in=person.member_ids, constituency=person.constituency)
    emails = [email for email in members.values_list("email", flat=True) if email]
    same = Q(member_id__in=person.member_ids) | Q(pk__in=person.event_contact_ids)
    for email in emails:
        same |= Q(email__iexact=email)
    return EventContact.unscoped.filter(same, constituency=person.constituency)


def _contacts_lazy(person: Person):
    """`_contacts` as one query (the member's address matched in a subquery), to go in a union."""
    from members.models import Member

    emails = (
        Member.unscoped.filter(pk__in=person.member_ids, constituency=person.constituency)
        .exclude(email="")
        .annotate(upper_email=Upper("email"))
        .values("upper_email")
    )
    return (
        EventContact.unscoped.filter(constituency=person.constituency)
        .alias(upper_email=Upper("email"))
        .filter(
            Q(member_id__in=person.member_ids)
            | Q(upper_email__in=emails)
            | Q(pk__in=person.event_contact_ids)
        )
    )


def phone_numbers(person: Person) -> list:
    """The event contacts' phone numbers: event texts went to them (labourhub/privacy.py)."""
    return [_contacts_lazy(person).values_list("phone", flat=True)] if _has_contacts(person) else []


def webhook_ids(person: Person) -> dict[str, list[int]]:
    """The person's sign-ups, named by id in `signup.created` webhook payloads."""
    if not _has_contacts(person):
        return {}
    return {
        "signup_id": list(
            Signup.unscoped.filter(contact__in=_contacts_lazy(person)).values_list("pk", flat=True)
        )
    }


def held(person: Person) -> list[Section]:
    contacts = list(
        _contacts(person)
        .order_by("pk")
        .values_list("pk", "name", "email", "phone", "source", "consent_email", "consent_sms", "consent_at")
    )
    if not contacts:
        return []
    signups = (
        Signup.unscoped.filter(contact_id__in=[row[0] for row in contacts])
        .order_by("shift__starts_at", "pk")
        .values_list("shift__event__title", "shift__starts_at", "status", "attendance", "created_at")
    )
    return [
        Section(
            "campaigns",
            "event_contacts",
            "Your details for events",
            [
                {
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "emails about what you booked": by_email,
                    "texts about what you booked": by_sms,
                    "consent given": at,
                    "source": source,
                }
                for _, name, email, phone, source, by_email, by_sms, at in contacts
            ],
        ),
        Section(
            "campaigns",
            "event_signups",
            "Events you signed up to",
            [
                {
                    "event": title,
                    "starts": starts,
                    "status": status,
                    "attendance": attendance,
                    "signed up": created,
                    "source": "event sign-up",
                }
                for title, starts, status, attendance, created in signups
            ],
        ),
    ]


def preview(person: Person, *, erase: bool) -> list[tuple[str, int]]:
    if not erase:
        return []
    contacts = _contacts(person)
    count = contacts.count()
    if not count:
        return []
    return [
        ("event contacts", count),
        ("event sign-ups", Signup.unscoped.filter(contact__in=contacts).count()),
    ]


def erase(person: Person, *, user: User | None, reason: str, erase: bool) -> list[tuple[str, int]]:
    """Erasure deletes the person's event contacts, sign-ups and the messages sent for them, leaving an
    email tombstone of each address (and of the member's). An objection to campaigning leaves them:
    reminders about what the person booked are not campaigning."""
    from members.models import Member
    from voters.models import Suppression

    if not erase or not _has_contacts(person):
        return []
    contacts = list(_contacts(person).values_list("pk", "email"))
    emails = {email for _, email in contacts if email}
    emails |= {
        email
        for email in Member.unscoped.filter(
            pk__in=person.member_ids, constituency=person.constituency
        ).values_list("email", flat=True)
        if email
    }
    for email in sorted(emails):
        Suppression.unscoped.get_or_create(
            constituency=person.constituency,
            field=Suppression.Field.EMAIL,
            key=tombstone_key(email),
            defaults={"kind": Suppression.Kind.ERASURE, "reason": reason, "created_by": user},
        )
    ids = [pk for pk, _ in contacts]
    if not ids:
        return []
    EventMessage.unscoped.filter(signup__contact_id__in=ids).delete()
    signups = Signup.unscoped.filter(contact_id__in=ids).delete()[1].get(Signup._meta.label, 0)
    EventContact.unscoped.filter(pk__in=ids).delete()
    return [("event contacts", len(ids)), ("event sign-ups", signups)]


SUBJECT_KIND = "event contact"


def find(
    constituency: Constituency, *, text: str = "", pk: int | None = None, limit: int = 20
) -> list[Found]:
    """The CLP's event contacts (people who signed up to its events) by name, email or phone, or by
    id; each named with the newest event they signed up to, whose page lists them."""
    contacts = EventContact.unscoped.filter(constituency=constituency)
    if pk is not None:
        contacts = contacts.filter(pk=pk)
    else:
        words = text.split()
        digits = "".join(ch for ch in text if ch.isdigit())
        by_name = Q()
        for word in words:
            by_name &= Q(name__icontains=word)
        found = by_name | Q(email__iexact=text.strip())
        if len(digits) >= 6:  # typed as "07700 900123" or "+44 7700 900123": the last nine digits
            contacts = contacts.alias(
                phone_digits=Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
            )
            found |= Q(phone_digits__endswith=digits[-9:])
        contacts = contacts.filter(found)
    newest = Signup.unscoped.filter(contact=OuterRef("pk")).order_by("-shift__starts_at", "-pk")
    contacts = contacts.annotate(
        event_id=Subquery(newest.values("shift__event_id")[:1]),
        event_title=Subquery(newest.values("shift__event__title")[:1]),
    )
    return [
        Found(
            SUBJECT_KIND,
            contact.pk,
            contact.name,
            " · ".join(
                part
                for part in (
                    contact.email,
                    contact.phone,
                    f"signed up to {contact.event_title}" if contact.event_title else "",
                )
                if part
            ),
            reverse("campaigns:event", args=[contact.event_id]) if contact.event_id else "",
        )
        for contact in contacts.order_by("name", "pk")[:limit]
    ]


def linked(person: Person) -> Person:
    """An event contact matched to a member: the member record is theirs too."""
    if not person.event_contact_ids:
        return person
    member_ids = EventContact.unscoped.filter(
        pk__in=person.event_contact_ids, constituency=person.constituency, member__isnull=False
    ).values_list("member_id", flat=True)
    return person.with_ids(member_ids=set(member_ids))


def reapply(constituencies: list) -> tuple[list[tuple[str, int]], list[tuple[Person, str]]]:
    """After a restore: event contacts whose address an erasure tombstone covers are deleted again,
    with their sign-ups and the messages sent for them."""
    from voters.suppression import erased_event_contact_ids

    ids = [pk for constituency in constituencies for pk in erased_event_contact_ids(constituency.pk)]
    if ids:
        EventMessage.unscoped.filter(signup__contact_id__in=ids).delete()
        Signup.unscoped.filter(contact_id__in=ids).delete()
        EventContact.unscoped.filter(pk__in=ids).delete()
    return [("event contacts covered by a tombstone (deleted again)", len(ids))], []
