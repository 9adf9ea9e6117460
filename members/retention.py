"""What the members app keeps for a limited time (labourhub.retention): lapsed members, member email
send logs and uploaded membership exports."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from labourhub.models import Constituency
from labourhub.retention import Category, Period, upload_files_remove
from members.models import EmailRecipient, Member, MemberImport, Status


def _lapsed_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    # A lapsed member with no lapse date is kept: nothing says when their period started.
    return Member.unscoped.filter(
        constituency=constituency, status=Status.LAPSED, lapsed_on__lt=timezone.localdate(cutoff)
    )


def _lapsed_remove(queryset: QuerySet[Any]) -> int:
    """Deletes the member with their consents, volunteer profile, email sends and register matches."""
    return queryset.order_by().delete()[1].get(Member._meta.label, 0)


def _member_line(member: Member) -> str:
    return f"{member.full_name} ({member.membership_number}) · lapsed {member.lapsed_on:%d/%m/%Y}"


def _email_log_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return EmailRecipient.unscoped.filter(send__constituency=constituency, planned_at__lt=cutoff)


def _email_log_remove(queryset: QuerySet[Any]) -> int:
    return queryset.order_by().delete()[1].get(EmailRecipient._meta.label, 0)


def _email_line(recipient: EmailRecipient) -> str:
    return f"{recipient.planned_at:%d/%m/%Y} · {recipient.send.subject} · {recipient.email}"


def _import_files_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return (
        MemberImport.unscoped.filter(constituency=constituency, created_at__lt=cutoff)
        .exclude(file="")
        .exclude(state__in=[MemberImport.State.WAITING, MemberImport.State.RUNNING])
    )


def _import_line(member_import: MemberImport) -> str:
    return f"{member_import.created_at:%d/%m/%Y} · {member_import.file_name}"


def retention_categories() -> list[Category]:
    return [
        Category(
            key="member_email_log",
            label="Member email send logs (who was sent what, bounces)",
            period=Period.MONTHS,
            setting="RETENTION_EMAIL_LOG_MONTHS",
            removes="deleted (the send's subject and totals stay)",
            due=_email_log_due,
            remove=_email_log_remove,
            describe=_email_line,
            related=("send",),
            order=20,
        ),
        Category(
            key="lapsed_members",
            label="Lapsed members (after the date they lapsed)",
            period=Period.YEARS,
            setting="RETENTION_LAPSED_MEMBER_YEARS",
            removes="deleted, with their consents and email history",
            due=_lapsed_due,
            remove=_lapsed_remove,
            describe=_member_line,
            order=30,
        ),
        Category(
            key="member_import_files",
            label="Uploaded membership exports",
            period=Period.DAYS,
            setting="RETENTION_UPLOAD_DAYS",
            removes="file deleted (the import's report stays)",
            due=_import_files_due,
            remove=upload_files_remove,
            describe=_import_line,
            order=90,
        ),
    ]
