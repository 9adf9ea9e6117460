"""Letters and emails from templates: the merge fields, the four shipped defaults, and the merge.

A template is plain text with merge fields written `{{ constituent_name }}`. The merge is one pass
of a regular expression over the template's own text: what a field brings in (a constituent's name,
an agency's address) is never read for fields again, so a name typed as "{{ case_reference }}" stays
that text. The result is plain text; pages show it through Django's autoescaping (a name with HTML
in it prints as the characters typed) and the email goes as text/plain. A field the list below does
not know is an error naming it, when the template is saved and when it is merged.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, NamedTuple

from django.utils import timezone

from casework.models import LetterKind, LetterTemplate

if TYPE_CHECKING:
    from casework.models import Agency, Case, Office
    from labourhub.models import User

FIELD = re.compile(r"\{\{\s*([A-Za-z0-9_]*)\s*\}\}")

# The merge fields, with what each one says (shown to the office lead beside the template form).
FIELDS: dict[str, str] = {
    "constituent_name": "the constituent's name",
    "constituent_address": "the constituent's address, one line",
    "constituent_postcode": "the constituent's postcode",
    "case_reference": "the case reference, e.g. ANY/12/2026",
    "case_summary": "the case's one-line summary",
    "opened_on": "the date the case was opened",
    "due_on": "the date the agency's reply is due (empty when none)",
    "today": "today's date",
    "agency_name": "the agency's name",
    "agency_contact": "the agency's contact route",
    "agency_response_days": "the agency's response target in working days",
    "caseworker": "the name of the caseworker writing",
    "representative": "the elected representative's name",
    "office_name": "the office's name",
}


class UnknownMergeField(ValueError):
    """A template names a merge field that does not exist."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        shown = ", ".join("{{ %s }}" % n for n in names)  # noqa: UP031 (braces are the point)
        super().__init__(
            f"Unknown merge field{'s' if len(names) > 1 else ''} {shown}. "
            f"The fields are: {', '.join(FIELDS)}."
        )


class Draft(NamedTuple):
    subject: str
    body: str


class Default(NamedTuple):
    subject: str
    body: str
    to_agency: bool  # written to the agency (referral, chaser) rather than the constituent


DEFAULTS: dict[str, Default] = {
    LetterKind.ACKNOWLEDGEMENT: Default(
        "Your enquiry to {{ representative }} (our ref {{ case_reference }})",
        "Dear {{ constituent_name }},\n\n"
        "Thank you for contacting {{ representative }} about {{ case_summary }}. Your case reference "
        "is {{ case_reference }}; please quote it if you get in touch again.\n\n"
        "I will look into this and write to you again as soon as I have news. If you have any "
        "letters or reference numbers about it, please send me copies.",
        False,
    ),
    LetterKind.REFERRAL: Default(
        "Enquiry from {{ representative }} on behalf of {{ constituent_name }} (our ref {{ case_reference }})",
        "Dear {{ agency_name }},\n\n"
        "I am writing on behalf of {{ representative }} about {{ constituent_name }}, "
        "{{ constituent_address }}, who has asked for help with: {{ case_summary }}.\n\n"
        "{{ constituent_name }} has consented to {{ representative }} sharing the details of "
        "their case with you so that you can look into it and reply. {{ representative }} is a data "
        "controller in their own right, separate from any political party, and processes this "
        "information only to help the constituent; please use it only to deal with this enquiry.\n\n"
        "Your response target is {{ agency_response_days }} working days, so I would be grateful "
        "for a reply by {{ due_on }}, quoting our reference {{ case_reference }}.",
        True,
    ),
    LetterKind.HOLDING: Default(
        "Your case with {{ representative }} (our ref {{ case_reference }})",
        "Dear {{ constituent_name }},\n\n"
        "I am writing to let you know that your case is still being worked on. We have taken it up "
        "with {{ agency_name }} and are waiting for their reply, which is due by {{ due_on }}.\n\n"
        "I will be in touch as soon as I hear from them.",
        False,
    ),
    LetterKind.CHASER: Default(
        "Reminder: enquiry from {{ representative }} (our ref {{ case_reference }})",
        "Dear {{ agency_name }},\n\n"
        "I wrote to you on behalf of {{ representative }} about {{ constituent_name }}, "
        "{{ constituent_address }} (our ref {{ case_reference }}). A reply was due by {{ due_on }} "
        "and I have not yet received one.\n\n"
        "Please reply as soon as possible, quoting our reference.",
        True,
    ),
}


def unknown_fields(text: str) -> list[str]:
    return sorted({name for name in FIELD.findall(text) if name not in FIELDS})


def check(text: str) -> None:
    """Raise UnknownMergeField naming every field of `text` that does not exist."""
    if names := unknown_fields(text):
        raise UnknownMergeField(names)


def merge(text: str, values: dict[str, str]) -> str:
    """`text` with its fields replaced, in one pass (see the module docstring)."""
    check(text)
    return FIELD.sub(lambda m: values[m.group(1)], text)


def _day(day: datetime.date | None) -> str:
    return f"{day:%-d %B %Y}" if day else ""


def values_for(*, case: Case, user: User, agency: Agency | None) -> dict[str, str]:
    address = ", ".join(p for p in (case.address, case.postcode) if p)
    return {
        "constituent_name": case.name,
        "constituent_address": address,
        "constituent_postcode": case.postcode,
        "case_reference": case.reference,
        "case_summary": case.summary,
        "opened_on": _day(case.opened_on),
        "due_on": _day(case.due_on),
        "today": _day(timezone.localdate()),
        "agency_name": agency.name if agency else "",
        "agency_contact": agency.contact_route if agency else "",
        "agency_response_days": str(agency.response_working_days) if agency else "",
        "caseworker": user.get_full_name() or user.email,
        "representative": case.office.representative,
        "office_name": case.office.name,
    }


def template_for(office: Office, kind: str) -> Draft:
    """The office's own wording for `kind`, or the shipped default."""
    own = LetterTemplate.objects.filter(office=office, kind=kind).first()
    if own is not None:
        return Draft(own.subject, own.body)
    default = DEFAULTS[LetterKind(kind)]
    return Draft(default.subject, default.body)


def draft(*, case: Case, kind: str, user: User, agency: Agency | None) -> Draft:
    """The letter of `kind` for `case`, merged: the caseworker edits it before it goes."""
    template = template_for(case.office, kind)
    values = values_for(case=case, user=user, agency=agency)
    return Draft(merge(template.subject, values), merge(template.body, values))


def to_agency(kind: str) -> bool:
    return DEFAULTS[LetterKind(kind)].to_agency


def signature(*, user: User, case: Case) -> str:
    """The sign-off under every letter and email."""
    name = user.get_full_name() or user.email
    return f"Yours sincerely,\n\n{name}\nCaseworker to {case.office.representative}\n{case.office.name}"
