"""What the members app holds on a person, and erasing it (the mechanism: labourhub/privacy.py).

A person is linked to their member record as members.matching links them: `Member.elector` (set for
certain matches and confirmed ones). Erasing deletes the CLP's copy of the membership record with
its consents, email sends and volunteering (the national party's membership system is its own
record) and leaves a tombstone of the membership number, which member imports check; an objection
withdraws every consent instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from labourhub.privacy import Found, Mention, Person, Section, tombstone_key, tombstone_key_sql
from members.models import Channel, Consent, EmailRecipient, Member, Volunteer
from voters.models import Suppression

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

    from labourhub.models import Constituency, User

MEMBER_FIELDS = [
    "membership_number",
    "title",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "phone",
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "date_of_birth",
    "joined_on",
    "status",
    "arrears_since",
    "lapsed_on",
    "membership_type",
    "trade_union",
    "socialist_societies",
    "consent_email",
    "consent_sms",
    "consent_phone",
    "consent_post",
]


def _members(person: Person):
    return Member.unscoped.filter(constituency=person.constituency).filter(
        Q(pk__in=person.member_ids) | Q(elector_id__in=person.elector_ids)
    )


def linked(person: Person) -> Person:
    if not person.member_ids and not person.elector_ids:
        return person
    # Only an elector of the same CLP: a member's link never reaches another CLP's register.
    rows = list(
        _members(person)
        .filter(Q(elector__isnull=True) | Q(elector__polling_district__constituency=person.constituency))
        .values_list("pk", "elector_id")
    )
    return person.with_ids(
        member_ids={pk for pk, _ in rows}, elector_ids={elector for _, elector in rows if elector is not None}
    )


def held(person: Person) -> list[Section]:
    if not person.member_ids:
        return []
    members = list(_members(person).order_by("pk").values(*MEMBER_FIELDS))
    consents = (
        Consent.unscoped.filter(member__in=_members(person))
        .order_by("recorded_at", "pk")
        .values_list("channel", "granted", "recorded_at", "wording", "source")
    )
    emails = (
        EmailRecipient.unscoped.filter(member__in=_members(person))
        .order_by("planned_at", "pk")
        .values_list("send__subject", "email", "state", "sent_at", "bounced_at", "unsubscribed_at")
    )
    volunteering = (
        Volunteer.unscoped.filter(member__in=_members(person))
        .order_by("pk")
        .values_list("skills", "other_skills", "availability", "help_other_clps", "notes")
    )
    return [
        Section(
            "members",
            "membership",
            "Your membership",
            [
                member | {"source": "membership export from the national party (member import)"}
                for member in members
            ],
        ),
        Section(
            "members",
            "consents",
            "Your consents, channel by channel",
            [
                {"channel": channel, "granted": granted, "at": at, "wording": wording, "source": source}
                for channel, granted, at, wording, source in consents
            ],
        ),
        Section(
            "members",
            "emails",
            "Emails the party sent you",
            [
                {
                    "subject": subject,
                    "to": email,
                    "state": state,
                    "sent at": sent,
                    "bounced at": bounced,
                    "unsubscribed at": unsubscribed,
                    "source": "member email",
                }
                for subject, email, state, sent, bounced, unsubscribed in emails
            ],
        ),
        Section(
            "members",
            "volunteering",
            "Volunteering",
            [
                {
                    "skills": ", ".join(skills),
                    "other skills": other,
                    "availability": ", ".join(availability),
                    "may be asked by other CLPs": others_may_ask,
                    "notes": notes,
                    "source": "you, or an officer, on the volunteer form",
                }
                for skills, other, availability, others_may_ask, notes in volunteering
            ],
        ),
    ]


def phone_numbers(person: Person) -> list:
    """The member record's mobile and phone: the numbers their texts went to."""
    if not person.member_ids:
        return []
    return [
        _members(person).values_list("mobile", flat=True),
        _members(person).values_list("phone", flat=True),
    ]


def audit_objects(person: Person) -> list[tuple[str, str]]:
    return [("members.member", str(pk)) for pk in person.member_ids]


def preview(person: Person, *, erase: bool) -> list[tuple[str, int]]:
    if not person.member_ids:
        return []
    if not erase:
        return [("membership records: every consent withdrawn", len(person.member_ids))]
    members = _members(person)
    return [
        ("membership records (this CLP's copy)", len(person.member_ids)),
        ("consents", Consent.unscoped.filter(member__in=members).count()),
        ("emails sent", EmailRecipient.unscoped.filter(member__in=members).count()),
    ]


def erase(person: Person, *, user: User | None, reason: str, erase: bool) -> list[tuple[str, int]]:
    if not person.member_ids:
        return []
    members = list(_members(person).select_for_update())
    if not erase:
        now = timezone.now()
        withdrawn = []
        for member in members:
            for channel in Channel:
                if member.consent_for(channel):
                    withdrawn.append(
                        Consent(
                            member=member,
                            channel=channel,
                            granted=False,
                            recorded_at=now,
                            wording=f"Objected to contact: {reason}"[:500],
                            source="objection",
                            recorded_by=user,
                        )
                    )
        Consent.unscoped.bulk_create(withdrawn)
        Member.unscoped.filter(pk__in=[m.pk for m in members]).update(
            consent_email=False, consent_sms=False, consent_phone=False, consent_post=False
        )
        return [("consents withdrawn", len(withdrawn))]
    for member in members:
        Suppression.unscoped.get_or_create(
            constituency=person.constituency,
            field=Suppression.Field.MEMBERSHIP,
            key=tombstone_key(member.membership_number),
            defaults={"kind": Suppression.Kind.ERASURE, "reason": reason, "created_by": user},
        )
    ids = [m.pk for m in members]
    consents = Consent.unscoped.filter(member_id__in=ids).count()
    emails = EmailRecipient.unscoped.filter(member_id__in=ids).count()
    Member.unscoped.filter(pk__in=ids).delete()
    return [
        ("membership records (this CLP's copy)", len(ids)),
        ("consents", consents),
        ("emails sent", emails),
    ]


def mentions(person: Person) -> list[Mention]:
    names = Q(pk__in=[])
    for first, last in _members(person).values_list("first_name", "last_name"):
        names |= Q(notes__icontains=f"{first} {last}".strip())
    return [
        Mention("a volunteer's notes", pk, notes[:300])
        for pk, notes in Volunteer.unscoped.filter(member__constituency=person.constituency)
        .exclude(member_id__in=person.member_ids)
        .filter(names)
        .values_list("pk", "notes")[:100]
    ]


def drop_suppressed_rows(cursor: CursorWrapper, constituency_id: int, table: str) -> int:
    """The member import's check: delete from the staged rows (`table`, a name the importer writes)
    everyone whose membership number an erasure tombstone of the CLP covers. Returns how many."""
    key_sql, key_params = tombstone_key_sql("t.membership_number")
    cursor.execute(
        f"""DELETE FROM {table} t WHERE EXISTS (
              SELECT 1 FROM voters_suppression s
              WHERE s.constituency_id = %s AND s.field = %s AND s.key = {key_sql})""",
        [constituency_id, Suppression.Field.MEMBERSHIP, *key_params],
    )
    return cursor.rowcount


def reapply(constituencies: list[Constituency]) -> tuple[list[tuple[str, int]], list[tuple[Person, str]]]:
    """After a restore: member records an erasure tombstone covers are erased again."""
    key_sql, key_params = tombstone_key_sql("m.membership_number")
    to_erase = []
    with connection.cursor() as cursor:
        for constituency in constituencies:
            cursor.execute(
                f"""SELECT m.id FROM members_member m WHERE m.constituency_id = %s AND EXISTS (
                      SELECT 1 FROM voters_suppression s
                      WHERE s.constituency_id = m.constituency_id AND s.field = %s AND s.key = {key_sql})""",
                [constituency.pk, Suppression.Field.MEMBERSHIP, *key_params],
            )
            to_erase += [
                (Person(constituency, member_ids=frozenset({pk})), "Reapplied after a restore")
                for (pk,) in cursor.fetchall()
            ]
    return [("member records covered by a tombstone", len(to_erase))], to_erase


SUBJECT_KIND = "member"


def find(
    constituency: Constituency, *, text: str = "", pk: int | None = None, limit: int = 20
) -> list[Found]:
    """Members of the CLP by name, email, membership number or postcode (Member.search), or by id."""
    members = Member.unscoped.filter(constituency=constituency)
    members = members.filter(pk=pk) if pk is not None else members.search(text)
    return [
        Found(
            SUBJECT_KIND,
            member.pk,
            member.full_name,
            " · ".join(
                part
                for part in (
                    member.membership_number,
                    member.email,
                    member.postcode,
                    member.get_status_display(),
                )
                if part
            ),
            reverse("members:detail", args=[member.pk]),
        )
        for member in members.order_by("last_name", "first_name", "pk")[:limit]
    ]
