"""Casework retention (issue 15, item 7): which closed cases are past their office's retention
period, which will be next month, and the set-based anonymising of them.

A case closed or cancelled on day D is anonymised on D + `Office.retention_days` (730 by default:
two years). Anonymising keeps what the reports count (office, topic, ward, agency, dates, status,
outcome, owner, assignees) and removes who the constituent is and what was said: name, address,
postcode, email, phone, the summary, the link to the register (of further constituents too, and
third parties' names and contacts, and the reasons of its links), every timeline entry's text, the
emails taken in (sender, subject, text, the stored message), the letters sent (recipient and text)
and every attachment with its file (files go once the transaction commits). The
ward is copied from the linked elector first, so "cases by ward" still counts the case. The writes
are run by `casework.services.case_retention_run` (one transaction per office, audited).
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from casework.attachments import stored_path
from casework.models import (
    Attachment,
    Case,
    CaseConstituent,
    CaseLink,
    InboundMessage,
    Letter,
    Office,
    StatusClass,
    ThirdParty,
    TimelineEntry,
)
from voters.models import Elector

ANONYMISED_NAME = "Anonymised"
PREVIEW_DAYS = 31  # "will be anonymised next month"


def _closed_in_office(office: Office) -> QuerySet[Case]:
    return Case.unscoped.filter(
        office=office,
        status_class__in=[StatusClass.CLOSED, StatusClass.CANCELLED],
        closed_on__isnull=False,
        anonymised_at__isnull=True,
    )


def due(office: Office, on: datetime.date) -> QuerySet[Case]:
    """Closed and cancelled cases of `office` whose retention period has ended by `on`."""
    return _closed_in_office(office).filter(
        closed_on__lte=on - datetime.timedelta(days=office.retention_days)
    )


class PreviewRow(NamedTuple):
    pk: int
    reference: str
    name: str
    topic: str
    closed_on: datetime.date
    anonymise_on: datetime.date


def preview(office: Office, today: datetime.date | None = None, days: int = PREVIEW_DAYS) -> list[PreviewRow]:
    """Cases the nightly run will anonymise within `days` (oldest first), not yet due today."""
    today = today or timezone.localdate()
    keep = datetime.timedelta(days=office.retention_days)
    rows = (
        _closed_in_office(office)
        .filter(closed_on__gt=today - keep, closed_on__lte=today + datetime.timedelta(days=days) - keep)
        .select_related("topic__parent")
        .order_by("closed_on", "reference_seq")
    )
    return [
        PreviewRow(c.pk, c.reference, c.name, str(c.topic or "—"), c.closed_on, c.closed_on + keep)
        for c in rows
    ]


def anonymise(case_ids: list[int], at: datetime.datetime) -> int:
    """Anonymise the cases `case_ids` (the caller holds the transaction). Returns how many."""
    cases = Case.unscoped.filter(pk__in=case_ids, anonymised_at__isnull=True)
    elector_ward = Elector.unscoped.filter(pk=OuterRef("elector_id")).values("polling_district__ward")[:1]
    cases.filter(ward__isnull=True, elector__isnull=False).update(ward=Subquery(elector_ward))
    TimelineEntry.unscoped.filter(case__in=case_ids).exclude(text="").update(text="")
    _files_and_correspondence_remove(case_ids)
    _others_on_the_case_remove(case_ids)
    return cases.update(
        name=ANONYMISED_NAME,
        address="",
        postcode="",
        email="",
        phone="",
        summary=ANONYMISED_NAME,
        elector=None,
        others_search="",
        anonymised_at=at,
        updated_at=at,
    )


def _files_and_correspondence_remove(case_ids: list[int]) -> None:
    files = list(Attachment.unscoped.filter(case__in=case_ids).values_list("stored_as", flat=True))
    messages = InboundMessage.unscoped.filter(case__in=case_ids)
    files += messages.exclude(raw_file="").values_list("raw_file", flat=True)
    Attachment.unscoped.filter(case__in=case_ids).delete()
    messages.update(from_address="", from_name="", subject="", body="", raw_file="")
    Letter.unscoped.filter(case__in=case_ids).update(
        recipient_name=ANONYMISED_NAME, recipient_address="", subject=ANONYMISED_NAME, body=""
    )
    # An email letter must keep an address (a database constraint): one that reaches nobody.
    Letter.unscoped.filter(case__in=case_ids).exclude(to_email="").update(
        to_email="anonymised@example.invalid"
    )
    transaction.on_commit(lambda: [stored_path(name).unlink(missing_ok=True) for name in files])


def _others_on_the_case_remove(case_ids: list[int]) -> None:
    """Further constituents and third parties lose who they are (the rows stay, counted); a link's
    reason, which may name people, goes; the link itself (two case ids) stays."""
    CaseConstituent.unscoped.filter(case__in=case_ids).update(
        name=ANONYMISED_NAME, address="", postcode="", email="", phone="", elector=None
    )
    ThirdParty.unscoped.filter(case__in=case_ids).update(
        name=ANONYMISED_NAME, organisation="", email="", phone="", address="", authority_form=None
    )
    CaseLink.unscoped.filter(Q(case__in=case_ids) | Q(other__in=case_ids)).update(reason=ANONYMISED_NAME)
