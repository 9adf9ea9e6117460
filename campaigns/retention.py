"""What canvassing keeps for a limited time (labourhub.retention): each visit with its answers,
issues, notes and follow-ups, and what phones sent that could not be applied, kept for the canvass
cycles of settings.RETENTION_CANVASS_CYCLES (the current and previous electoral cycle); and event
sign-ups with their attendance, kept RETENTION_EVENT_ATTENDANCE_MONTHS after the shift."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet

from campaigns.models import EventContact, Signup, SyncProblem, Visit
from labourhub.models import Constituency
from labourhub.retention import Category, Period


def _visits_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    # A visit goes with its contact (voters' contact history goes at the same cutoff and cannot while
    # a visit points at it), so either date past the cutoff makes it due.
    return Visit.unscoped.filter(
        Q(recorded_at__lt=cutoff) | Q(contact__at__lt=cutoff), campaign__constituency=constituency
    )


def _visits_remove(queryset: QuerySet[Any]) -> int:
    """Deletes the visits with their answers, issues, voids, follow-ups and any latest intention
    they gave; their contacts are the contact history's, removed after (voters/retention.py)."""
    return queryset.order_by().delete()[1].get(Visit._meta.label, 0)


def _visit_line(visit: Visit) -> str:
    return (
        f"{visit.recorded_at:%d/%m/%Y} · {visit.get_channel_display()} · {visit.elector.full_name} "
        f"({visit.elector.elector_number_display}) · {visit.campaign.name}"
    )


def _problems_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return SyncProblem.unscoped.filter(constituency=constituency, at__lt=cutoff)


def _problems_remove(queryset: QuerySet[Any]) -> int:
    return queryset.order_by().delete()[1].get(SyncProblem._meta.label, 0)


def _problem_line(problem: SyncProblem) -> str:
    return f"{problem.at:%d/%m/%Y} · {problem.get_kind_display()} · {problem.message}"


def _signups_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return Signup.unscoped.filter(shift__event__constituency=constituency, shift__ends_at__lt=cutoff)


def _signups_remove(queryset: QuerySet[Any]) -> int:
    """Deletes the sign-ups with the reminders sent for them, then each contact left with none."""
    contact_ids = set(queryset.values_list("contact_id", flat=True))
    removed = queryset.order_by().delete()[1].get(Signup._meta.label, 0)
    EventContact.unscoped.filter(pk__in=contact_ids, signups__isnull=True).delete()
    return removed


def _signup_line(signup: Signup) -> str:
    return (
        f"{signup.shift.ends_at:%d/%m/%Y} · {signup.shift.event.title} · {signup.contact.name} · "
        f"{signup.get_status_display()}"
    )


def retention_categories() -> list[Category]:
    return [
        Category(
            key="canvass_answers",
            label="Canvass and phone-bank answers (intentions, issues, notes, follow-ups)",
            period=Period.CYCLES,
            setting="RETENTION_CANVASS_CYCLES",
            removes="deleted",
            due=_visits_due,
            remove=_visits_remove,
            describe=_visit_line,
            related=("elector__polling_district", "campaign"),
            order=40,
        ),
        Category(
            key="canvass_sync_problems",
            label="Canvass answers a phone sent that could not be applied",
            period=Period.CYCLES,
            setting="RETENTION_CANVASS_CYCLES",
            removes="deleted",
            due=_problems_due,
            remove=_problems_remove,
            describe=_problem_line,
            order=40,
        ),
        Category(
            key="event_attendance",
            label="Event sign-ups and attendance (and the sign-up contacts left with none)",
            period=Period.MONTHS,
            setting="RETENTION_EVENT_ATTENDANCE_MONTHS",
            removes="deleted",
            due=_signups_due,
            remove=_signups_remove,
            describe=_signup_line,
            related=("shift__event", "contact"),
            order=40,
        ),
    ]
