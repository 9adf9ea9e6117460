"""Data protection across the apps (issue 16, items 2 and 3): what the party holds on one person
(subject access), and erasing it or recording an objection so that no intake brings it back.

The mechanism lives here; each app contributes through its own `<app>/privacy.py`, found with
`labourhub.apps.app_modules("privacy")`, so the core imports no app. A module defines any of:

- `linked(person) -> Person`: the same person in the app's records (members: the member matched to
  an elector, and the elector a member is matched to, as members.matching links them);
- `held(person) -> list[Section]`: what the app holds on them, one query per section, each record
  with its data source;
- `others(person) -> set[str]`: other people's names that must not appear in the export (the
  household: a note naming a housemate is redacted);
- `audit_objects(person) -> list[tuple[str, str]]`: (object_type, object_id) of the audit events
  about them;
- `preview(person, *, erase) -> list[tuple[str, int]]`: what erasing (or objecting) would remove;
- `erase(person, *, user, reason, erase) -> list[tuple[str, int]]`: remove or anonymise it; with
  `erase=False` only the objection (do not contact, consents withdrawn) is recorded;
- `mentions(person) -> list[Mention]`: free text on other records that may name them, for review;
- `phone_numbers(person) -> list[QuerySet]`: the person's phone numbers as the app stores them (each
  a flat `values_list` of one text column), for the texts sent to them (core `SmsMessage`);
- `webhook_ids(person) -> dict[str, list[int]]`: ids naming the person in webhook payloads' `data`
  (beyond `elector_id` and `member_id`, which the core matches itself), e.g. `signup_id`.

The core's own records of a person are handled here, not by an app: the texts sent to their numbers
(SmsMessage, in the export and erased; an SmsOptOut is a suppression record, shown and kept) and the
webhook deliveries whose payload carries their ids (erased, pending or past).

casework has no privacy.py: the elected representative's office is a separate controller, which
the export's summary says.

The tombstone of an erasure or objection is a keyed hash: HMAC-SHA256 of the normalised
identifying fields with `SUPPRESSION_SECRET` (or, unset, a key derived from SECRET_KEY with its own
salt). `tombstone_key` computes it in Python, `tombstone_key_sql` the same in PostgreSQL (from
sha256(), as HMAC is defined), so set-based intakes check a million rows in one statement.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from html import escape
from string import ascii_lowercase, ascii_uppercase
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from labourhub.apps import app_modules
from labourhub.models import AuditEvent, Constituency
from labourhub.services import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from labourhub.models import User

SUBJECT_ACCESS_ACTION = "privacy.subject_access"
ERASE_ACTION = "privacy.erase"
OBJECT_ACTION = "privacy.object"
CASEWORK_NOTE = (
    "Casework is not included. Cases handled by an MP's or councillor's office are held by that "
    "elected representative, who is a separate data controller: ask their office for what it holds."
)
REDACTED = "[another person]"


# --- The tombstone's keyed hash -----------------------------------------------------------------

_SALT = b"labourhub.privacy.suppression-key"
_UPPER = str.maketrans(ascii_lowercase, ascii_uppercase)
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
# The same normalisation in PostgreSQL: runs of ASCII white space to one space, trimmed, ASCII
# letters upper-cased (upper() would follow the database's locale; Python's, Unicode).
_SQL_NORMALISED = (
    "translate(btrim(regexp_replace(coalesce({column}, ''), '[ \\t\\n\\r\\f\\v]+', ' ', 'g'), ' '), "
    f"'{ascii_lowercase}', '{ascii_uppercase}')"
)


def suppression_secret() -> bytes:
    """SUPPRESSION_SECRET, or a key derived from SECRET_KEY with a salt of its own (so the
    tombstones' key is not SECRET_KEY itself, which also signs sessions)."""
    if settings.SUPPRESSION_SECRET:
        return settings.SUPPRESSION_SECRET.encode()
    return hmac.new(settings.SECRET_KEY.encode(), _SALT, hashlib.sha256).digest()


def normalise(value: str) -> str:
    return _SPACE.sub(" ", value or "").strip(" ").translate(_UPPER)


def tombstone_key(*fields: str) -> str:
    """HMAC-SHA256 (hex) of the normalised fields joined with '|'."""
    message = "|".join(normalise(value) for value in fields).encode()
    return hmac.new(suppression_secret(), message, hashlib.sha256).hexdigest()


def tombstone_key_sql(*columns: str) -> tuple[str, list[bytes]]:
    """SQL computing `tombstone_key` of `columns` (trusted SQL expressions: column names written in
    the calling module, never input), and its two parameters (the padded keys, bound, not inlined)."""
    key = suppression_secret()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    message = " || '|' || ".join(_SQL_NORMALISED.format(column=column) for column in columns)
    sql = f"encode(sha256(%s::bytea || sha256(%s::bytea || convert_to({message}, 'UTF8'))), 'hex')"
    return sql, [outer, inner]


def _apps() -> tuple[Any, ...]:
    """Each app's privacy module (not this one: labourhub is an app too, and this is its privacy.py)."""
    return tuple(module for module in app_modules("privacy") if module.__name__ != __name__)


# --- A person, and what is held on them -----------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One person in one CLP: their elector(s) and member record(s), matched as members does, and
    the event contact(s) of someone known only from signing up to an event."""

    constituency: Constituency
    elector_ids: frozenset[int] = frozenset()
    member_ids: frozenset[int] = frozenset()
    event_contact_ids: frozenset[int] = frozenset()

    def with_ids(
        self,
        *,
        elector_ids: set[int] | frozenset[int] = frozenset(),
        member_ids: set[int] | frozenset[int] = frozenset(),
    ) -> Person:
        return Person(
            self.constituency,
            self.elector_ids | frozenset(elector_ids),
            self.member_ids | frozenset(member_ids),
            self.event_contact_ids,
        )


@dataclass
class Section:
    """One kind of record held, for the summary and the JSON. Each record carries its `source`."""

    app: str
    key: str
    title: str
    records: list[dict[str, Any]]
    explanation: str = ""


@dataclass(frozen=True)
class Mention:
    """Free text on another record that may name the person: listed for someone to review."""

    where: str
    record_id: int
    text: str


@dataclass
class Erasure:
    person: Person
    erased: bool
    removed: list[tuple[str, int]] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


def person_linked(person: Person) -> Person:
    """The person with every record the apps link to them (an elector's member record, a member's
    elector), followed until nothing new turns up."""
    for _ in range(3):
        found = person
        for module in _apps():
            if hasattr(module, "linked"):
                found = module.linked(found)
        if found == person:
            break
        person = found
    return person


def held(person: Person) -> list[Section]:
    sections: list[Section] = []
    for module in _apps():
        if hasattr(module, "held"):
            sections.extend(module.held(person))
    sections.extend(_texts_held(person, _numbers(person)))
    sections.extend(_deliveries_held(person))
    sections.append(_audit_section(person))
    return sections


# --- The core's own records of a person: texts to their numbers, webhook deliveries naming them ---

TEXT_PURPOSES = {"event": "about an event you booked"}
OPT_OUT_NOTE = (
    "A number that texted STOP is kept on the list of numbers never to text again: a suppression "
    "record, which erasure keeps, so that no list ever texts that number again. Texting START lifts it."
)


def _numbers(person: Person) -> set[str]:
    """The person's phone numbers (each app's `phone_numbers`, one query for all) as texts are
    addressed: E.164 for a UK mobile, and as stored, cut to 16 (a text refused as not a mobile keeps
    what it was given)."""
    from labourhub.sms import SmsNumberError, normalise_uk

    querysets = [
        queryset.order_by()
        for module in _apps()
        if hasattr(module, "phone_numbers")
        for queryset in module.phone_numbers(person)
    ]
    if not querysets:
        return set()
    numbers: set[str] = set()
    for number in querysets[0].union(*querysets[1:]):
        if not number:
            continue
        numbers.add(number[:16])
        with contextlib.suppress(SmsNumberError):
            numbers.add(normalise_uk(number))
    return numbers


def _texts(person: Person, numbers: set[str]):
    from labourhub.sms_models import SmsMessage

    return SmsMessage.unscoped.filter(constituency=person.constituency, to__in=sorted(numbers))


def _texts_held(person: Person, numbers: set[str]) -> list[Section]:
    from labourhub.sms_models import SmsMessage, SmsOptOut

    if not numbers:
        return []
    statuses = dict(SmsMessage.Status.choices)
    texts = (
        _texts(person, numbers)
        .order_by("created_at", "pk")
        .values_list("key", "to", "body", "status", "created_at", "sent_at")
    )
    opt_outs = (
        SmsOptOut.objects.filter(number__in=sorted(numbers))
        .order_by("opted_out_at", "pk")
        .values_list("number", "keyword", "opted_out_at", "opted_in_at")
    )
    return [
        Section(
            "labourhub",
            "texts",
            "Text messages the party sent you",
            [
                {
                    "to": to,
                    "text": body,
                    "why": TEXT_PURPOSES.get(key.split(":", 1)[0], "a message from the party"),
                    "status": statuses.get(status, status),
                    "planned at": created,
                    "sent at": sent,
                    "source": "text message (SMS) sent by the party",
                }
                for key, to, body, status, created, sent in texts
            ],
            "Texts sent to your phone numbers, as the party's text-message log holds them.",
        ),
        Section(
            "labourhub",
            "text_opt_outs",
            "Your numbers that asked for no texts",
            [
                {
                    "number": number,
                    "you texted": keyword,
                    "at": at,
                    "texts allowed again at": opted_in,
                    "source": "your text to us (kept as a suppression record)",
                }
                for number, keyword, at, opted_in in opt_outs
            ],
            OPT_OUT_NOTE,
        ),
    ]


def _webhook_ids(person: Person) -> dict[str, list[int]]:
    """The ids that name the person in webhook payloads' `data`: their electors and member records,
    and what each app's `webhook_ids` adds (event sign-ups)."""
    ids: dict[str, set[int]] = {"elector_id": set(person.elector_ids), "member_id": set(person.member_ids)}
    for module in _apps():
        if hasattr(module, "webhook_ids"):
            for key, values in module.webhook_ids(person).items():
                ids.setdefault(key, set()).update(values)
    return {key: sorted(values) for key, values in ids.items() if values}


def _deliveries(person: Person, ids: dict[str, list[int]]):
    """Webhook deliveries of the person's CLP, pending or past, whose payload carries their ids."""
    from labourhub.webhooks.models import Delivery

    carries = Q(pk__in=[])
    for key, values in ids.items():  # keys are the apps' own names (code), never input
        carries |= Q(**{f"payload__data__{key}__in": values})
    return Delivery.unscoped.filter(subscription__constituency=person.constituency).filter(carries)


def _deliveries_held(person: Person) -> list[Section]:
    """What was sent about the person to the integrations the CLP's officers subscribed: the
    recipients (the integration's name and where it lives), what kind of event, when, and the data."""
    from urllib.parse import urlsplit

    from labourhub.webhooks.models import Delivery, EventType, Subscription

    if not Subscription.unscoped.filter(constituency=person.constituency).exists():
        return []  # no integration, nothing sent: one query rather than each app's ids and a search
    states, kinds = dict(Delivery.State.choices), dict(EventType.choices)
    deliveries = (
        _deliveries(person, _webhook_ids(person))
        .order_by("occurred_at", "pk")
        .values_list(
            "subscription__name", "subscription__url", "event_type", "occurred_at", "state", "payload"
        )
    )
    records = [
        {
            "sent to": f"{name} ({urlsplit(url).hostname})",
            "what": kinds.get(event_type, event_type),
            "when": occurred_at,
            "status": states.get(state, state),
            "data sent": payload.get("data", {}),
            "source": "the CLP's integrations (webhooks) its officers set up",
        }
        for name, url, event_type, occurred_at, state, payload in deliveries
    ]
    if not records:
        return []
    return [
        Section(
            "labourhub",
            "webhook_deliveries",
            "Sent to the CLP's other tools",
            records,
            "Each time something about you was recorded (a contact, joining, a sign-up, a telling), the "
            "ids and the few fields shown were sent to the tools the CLP's officers connected.",
        )
    ]


def _audit_section(person: Person) -> Section:
    keys: list[tuple[str, str]] = []
    for module in _apps():
        if hasattr(module, "audit_objects"):
            keys.extend(module.audit_objects(person))
    about = Q(pk__in=[])
    for object_type, object_id in keys:
        about |= Q(object_type=object_type, object_id=object_id)
    events = (
        AuditEvent.objects.filter(about)
        .order_by("at", "pk")
        .values_list("at", "action", "user__full_name", "user__email")
    )
    return Section(
        app="labourhub",
        key="audit",
        title="Who looked at or changed your records",
        explanation="Every view, export and change of your records by someone in the party, from the audit log.",
        records=[
            {
                "at": at,
                "what": action,
                "who": name or email or "the system",
                "source": "audit log",
            }
            for at, action, name, email in events
        ],
    )


def _redact(value: Any, names: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        for pattern in names:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, dict):
        return {k: _redact(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v, names) for v in value]
    return value


def _other_names(person: Person) -> list[re.Pattern[str]]:
    names: set[str] = set()
    for module in _apps():
        if hasattr(module, "others"):
            names |= module.others(person)
    # Longest first, so "Ann Smith" goes before "Ann".
    return [
        re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
        for name in sorted((n for n in names if len(n) > 2), key=len, reverse=True)
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _table(records: list[dict[str, Any]]) -> str:
    """The records as an HTML table, every value escaped. Built here, not by the template language,
    whose per-cell cost made a 5,000-record summary take seconds (tests/perf/bench_subject_access.py)."""
    if not records:
        return ""
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in records[0])
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{escape(_cell(value))}</td>" for value in record.values()) + "</tr>"
        for record in records
    )
    return mark_safe(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>")  # noqa: S308  # escaped above


@dataclass
class SubjectAccess:
    person: Person
    sections: list[Section]
    made_at: Any
    made_by: str

    @property
    def records(self) -> int:
        return sum(len(section.records) for section in self.sections)

    def as_json(self) -> str:
        return json.dumps(
            {
                "made_at": self.made_at,
                "controller": f"{self.person.constituency} Constituency Labour Party",
                "casework": CASEWORK_NOTE,
                "sections": [
                    {"key": s.key, "title": s.title, "explanation": s.explanation, "records": s.records}
                    for s in self.sections
                ],
            },
            cls=DjangoJSONEncoder,  # no indent: the C encoder, several times faster on 5,000 records
            ensure_ascii=False,
        )

    def summary_html(self) -> str:
        tables = [(section, _table(section.records)) for section in self.sections]
        return render_to_string(
            "labourhub/privacy/summary.html",
            {"export": self, "tables": tables, "sections": self.sections, "casework_note": CASEWORK_NOTE},
        )

    def archive(self) -> bytes:
        """One zip: summary.html (readable) and data.json (machine-readable). Stored, not
        compressed: small, and its text stays searchable (the scoping walker reads it)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("summary.html", self.summary_html())
            archive.writestr("data.json", self.as_json())
        return buffer.getvalue()


def subject_access_export(*, person: Person, user: User, request: HttpRequest | None = None) -> SubjectAccess:
    """Everything the party holds on `person` (linked across the apps), other people's names
    redacted; audited (with internal ids only)."""
    person = person_linked(person)
    sections = held(person)
    names = _other_names(person)
    if names:
        for section in sections:
            section.records = _redact(section.records, names)
    export = SubjectAccess(person=person, sections=sections, made_at=timezone.now(), made_by=str(user))
    audit_record(
        action=SUBJECT_ACCESS_ACTION,
        user=user,
        request=request,
        constituency=person.constituency,
        detail={
            "elector_ids": sorted(person.elector_ids),
            "member_ids": sorted(person.member_ids),
            "event_contact_ids": sorted(person.event_contact_ids),
            "records": export.records,
        },
    )
    return export


# --- Erasure and objection ---------------------------------------------------------------------


def erasure_preview(person: Person, *, erase: bool = True) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for module in _apps():
        if hasattr(module, "preview"):
            found.extend(module.preview(person, erase=erase))
    if erase:
        found += [
            ("text messages sent", _texts(person, _numbers(person)).count()),
            ("webhook deliveries naming them", _deliveries(person, _webhook_ids(person)).count()),
        ]
    return found


def mentions(person: Person) -> list[Mention]:
    found: list[Mention] = []
    for module in _apps():
        if hasattr(module, "mentions"):
            found.extend(module.mentions(person))
    return found


@transaction.atomic
def person_erase(
    *, person: Person, user: User | None, reason: str, erase: bool = True, request: HttpRequest | None = None
) -> Erasure:
    """Erase (or, with `erase=False`, object for) `person` and everything linked to them: each app
    removes or anonymises what the party holds for its own purposes and leaves its tombstone; the
    register entry stays, as do not contact. Apps run last-first, as their rows point at earlier
    apps'. The audit event names only internal ids; the reason stays on the tombstone."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("Say why (the request, or the objection), for the record.")
    person = person_linked(person)
    result = Erasure(person=person, erased=erase, mentions=mentions(person))
    # Found before the apps erase the records that hold the numbers and ids.
    texts = list(_texts(person, _numbers(person)).values_list("pk", flat=True)) if erase else []
    deliveries = list(_deliveries(person, _webhook_ids(person)).values_list("pk", flat=True)) if erase else []
    for module in reversed(_apps()):
        if hasattr(module, "erase"):
            result.removed.extend(module.erase(person, user=user, reason=reason[:200], erase=erase))
    if erase:
        from labourhub.sms_models import SmsMessage
        from labourhub.webhooks.models import Delivery

        # The texts go; an SmsOptOut of their number stays (a suppression record). Deliveries go with
        # their attempts, whatever their state: a pending one would otherwise still be sent.
        result.removed += [
            (
                "text messages sent",
                SmsMessage.unscoped.filter(pk__in=texts).delete()[1].get(SmsMessage._meta.label, 0),
            ),
            (
                "webhook deliveries naming them",
                Delivery.unscoped.filter(pk__in=deliveries).delete()[1].get(Delivery._meta.label, 0),
            ),
        ]
    audit_record(
        action=ERASE_ACTION if erase else OBJECT_ACTION,
        user=user,
        request=request,
        constituency=person.constituency,
        detail={
            "elector_ids": sorted(person.elector_ids),
            "member_ids": sorted(person.member_ids),
            "event_contact_ids": sorted(person.event_contact_ids),
            "removed": dict(result.removed),
            "mentions_to_review": len(result.mentions),
        },
    )
    return result


def suppressions_reapply(*, constituencies: list[Constituency]) -> list[tuple[str, int]]:
    """After a restore from backup: every tombstone is checked again against what the restore brought
    back. Each app flags or finds who a tombstone covers (`reapply`); those erased are erased again
    (what the restore brought back of theirs goes; the tombstones stay as they are). Returns counts."""
    caught: list[tuple[str, int]] = []
    to_erase: list[tuple[Person, str]] = []
    for module in _apps():
        if hasattr(module, "reapply"):
            found, persons = module.reapply(constituencies)
            caught.extend(found)
            to_erase.extend(persons)
    removed: dict[str, int] = {}
    for person, reason in to_erase:
        result = person_erase(person=person, user=None, reason=reason)
        for label, count in result.removed:
            removed[label] = removed.get(label, 0) + count
    return caught + [(f"removed again: {label}", count) for label, count in removed.items() if count]


# --- Finding the person a request is about ------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One record that may be the person a request is about: an elector, a member or an event
    contact (someone who signed up to an event) of the CLP. Each app with people says how it finds them (`SUBJECT_KIND` and `find(constituency, *, text,
    pk, limit)` in its privacy.py), reusing its own search."""

    kind: str  # the app's SUBJECT_KIND: "elector", "member" or "event contact"
    pk: int
    name: str
    detail: str
    page_url: str


def subject_kinds() -> tuple[str, ...]:
    return tuple(module.SUBJECT_KIND for module in _apps() if hasattr(module, "SUBJECT_KIND"))


def person_find(*, constituency: Constituency, text: str, limit: int = 20) -> list[Found]:
    """Electors, members and event contacts of `constituency` matching `text` (a name, postcode,
    elector number, email, phone or membership number: each app's own search), at most `limit` of
    each."""
    if not text.strip():
        return []
    return [
        found
        for module in _apps()
        if hasattr(module, "SUBJECT_KIND")
        for found in module.find(constituency, text=text, limit=limit)
    ]


def person_found(*, constituency: Constituency, kind: str, pk: int | None) -> Found | None:
    """The one record of that kind and id in `constituency`, or None (another CLP's, or gone)."""
    if pk is None:
        return None
    for module in _apps():
        if getattr(module, "SUBJECT_KIND", None) == kind:
            rows = module.find(constituency, pk=pk, limit=1)
            return rows[0] if rows else None
    return None
