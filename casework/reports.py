"""Casework reports (issue 15, item 5): read-only counts for an office, and the one place casework
numbers reach a campaign role, `clp_counts`.

Office reports count cases; they never list one. The office lead and caseworkers who see all the
office's cases get the whole office, sensitive cases included (counted, never named); a caseworker
who sees only their own cases gets only the cases assigned to them (`office_cases_for_report`).

`clp_counts` is what a CLP's secretary and officers may see, and only from offices that chose to
share (`Office.share_counts_with_clp`): cases of one topic opened in one quarter, by ward, as
strings. Small cells are suppressed: a count under 5 (0 included) reads "<5". Totals: a table's
total is given only when none of its cells is suppressed; otherwise it reads "at least N" (N the sum
of the cells shown), so no small cell can be worked out by subtraction. Every table published is a
cell of one partition (topic x ward x calendar quarter): there is no "all topics" or "all wards" or
"whole year" figure to subtract a published cell from.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from casework.models import Case, CaseAssignment, Office, OfficeMembership, StatusClass, Topic
from casework.working_days import is_working_day
from labourhub.models import Constituency, Grant, Role, Ward

if TYPE_CHECKING:
    from labourhub.models import User

SMALL = 5  # cells under this are shown as "<5"
NO_TOPIC, NO_WARD, NO_AGENCY = "No topic", "Ward not known", "No agency"
CLP_ROLES = (Role.CLP_SECRETARY, Role.CLP_OFFICER)


# --- The office's own reports --------------------------------------------------------------------


class Period(NamedTuple):
    start: datetime.date
    end: datetime.date  # inclusive


def default_period(today: datetime.date | None = None) -> Period:
    """The last twelve months, from the first of the month a year ago to today."""
    today = today or timezone.localdate()
    return Period(datetime.date(today.year - 1, today.month, 1), today)


def office_cases_for_report(office: Office, membership: OfficeMembership, user: User) -> QuerySet[Case]:
    """The cases `user`'s reports count: the office's (sensitive ones counted, never listed) for the
    lead and all-cases caseworkers; only their own for a my-cases caseworker. `membership` is the
    user's membership in force of `office` (the view's access-checked lookup)."""
    cases = Case.unscoped.filter(office=office)
    return cases if membership.sees_all else cases.mine(user)


class CountRow(NamedTuple):
    label: str
    opened: int
    open_now: int
    closed: int


def _counted(cases: QuerySet[Case], period: Period, label: object) -> list[CountRow]:
    in_period = Q(opened_on__range=period)
    rows = (
        cases.filter(Q(opened_on__range=period) | Q(closed_on__range=period))
        .annotate(label=label)
        .values("label")
        .annotate(
            opened=Count("pk", filter=in_period),
            open_now=Count("pk", filter=in_period & Q(status_class=StatusClass.OPEN)),
            closed=Count("pk", filter=Q(closed_on__range=period, status_class=StatusClass.CLOSED)),
        )
        .order_by("-opened", "label")
    )
    return [CountRow(r["label"], r["opened"], r["open_now"], r["closed"]) for r in rows]


def by_topic(cases: QuerySet[Case], period: Period) -> list[CountRow]:
    """Opened in the period (and of those still open), and closed in it, per top-level topic."""
    return _counted(cases, period, Coalesce(F("topic__parent__name"), F("topic__name"), Value(NO_TOPIC)))


def case_ward_name() -> Coalesce:
    """The case's ward: kept on the case (after anonymising) or the linked elector's."""
    return Coalesce(F("ward__name"), F("elector__polling_district__ward__name"), Value(NO_WARD))


def by_ward(cases: QuerySet[Case], period: Period) -> list[CountRow]:
    return _counted(cases, period, case_ward_name())


def by_agency(cases: QuerySet[Case], period: Period) -> list[CountRow]:
    return _counted(cases, period, Coalesce(F("agency__name"), Value(NO_AGENCY)))


class MonthRow(NamedTuple):
    month: datetime.date
    opened: int
    closed: int


def by_month(cases: QuerySet[Case], period: Period) -> list[MonthRow]:
    """Every month of the period, with cases opened and closed in it (0 for a quiet month)."""
    opened = dict(
        cases.filter(opened_on__range=period)
        .annotate(m=TruncMonth("opened_on"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    closed = dict(
        cases.filter(closed_on__range=period, status_class=StatusClass.CLOSED)
        .annotate(m=TruncMonth("closed_on"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    rows, month = [], period.start.replace(day=1)
    while month <= period.end:
        rows.append(MonthRow(month, opened.get(month, 0), closed.get(month, 0)))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return rows


class AgencyTimes(NamedTuple):
    agency: str
    referred: int
    answered: int
    waiting: int
    median_days: float | None  # working days from referral to answer, of those answered
    p90_days: float | None
    late: int  # answered after the due date, or still waiting past it
    late_share: float | None  # late / referred, as a fraction


class _WorkingDayIndex:
    """Working days between any two dates of a range in O(1): a running count per day."""

    def __init__(self, start: datetime.date, end: datetime.date, nation: str):
        self.start, self.count, running = start, [], 0
        day = start
        while day <= end:
            running += is_working_day(day, nation)
            self.count.append(running)
            day += datetime.timedelta(days=1)

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after `start` up to and including `end` (as working_days_between)."""
        if end <= start:
            return 0
        return self.count[(end - self.start).days] - self.count[(start - self.start).days]


def _p90(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[int(0.9 * (len(ordered) - 1))])


def agency_times(
    cases: QuerySet[Case], period: Period, nation: str, today: datetime.date | None = None
) -> list[AgencyTimes]:
    """Per agency, of the cases referred in the period: how many answered, the median and 90th
    percentile working days to the answer, and how many were (or are) late. A case's latest
    referral counts (`Case.referred_on`); its answer is its move out of "awaiting agency"."""
    today = today or timezone.localdate()
    referred = list(
        cases.filter(referred_on__range=period, agency__isnull=False).values_list(
            "agency__name", "referred_on", "agency_replied_on", "due_on"
        )
    )
    if not referred:
        return []
    index = _WorkingDayIndex(min(r[1] for r in referred), max(today, period.end), nation)
    per: dict[str, list[tuple[datetime.date, datetime.date | None, datetime.date | None]]] = defaultdict(list)
    for name, on, replied, due in referred:
        per[name].append((on, replied, due))
    rows = []
    for name, items in per.items():
        days = [index.between(on, replied) for on, replied, _ in items if replied is not None]
        late = sum(1 for _, replied, due in items if due is not None and (replied or today) > due)
        rows.append(
            AgencyTimes(
                agency=name,
                referred=len(items),
                answered=len(days),
                waiting=len(items) - len(days),
                median_days=float(statistics.median(days)) if days else None,
                p90_days=_p90(days) if days else None,
                late=late,
                late_share=late / len(items),
            )
        )
    return sorted(rows, key=lambda r: (-r.referred, r.agency))


class CaseloadRow(NamedTuple):
    worker: str
    open_cases: int
    overdue: int
    opened: int  # in the period, as owner
    closed: int  # in the period, as owner


def caseload(cases: QuerySet[Case], period: Period, today: datetime.date | None = None) -> list[CaseloadRow]:
    """Per case owner: cases open now, overdue now, and opened and closed in the period."""
    today = today or timezone.localdate()
    open_now = Q(status_class=StatusClass.OPEN)
    rows = (
        cases.values("owner_id", "owner__full_name", "owner__email")
        .annotate(
            open_cases=Count("pk", filter=open_now),
            overdue=Count("pk", filter=open_now & Q(due_on__lt=today)),
            opened=Count("pk", filter=Q(opened_on__range=period)),
            closed=Count("pk", filter=Q(closed_on__range=period, status_class=StatusClass.CLOSED)),
        )
        .filter(Q(open_cases__gt=0) | Q(opened__gt=0) | Q(closed__gt=0))
        .order_by("-open_cases", "owner__full_name")
    )
    return [
        CaseloadRow(
            r["owner__full_name"] or r["owner__email"],
            r["open_cases"],
            r["overdue"],
            r["opened"],
            r["closed"],
        )
        for r in rows
    ]


def assignees_of(cases: QuerySet[Case]) -> int:
    return CaseAssignment.unscoped.filter(case__in=cases).values("user").distinct().count()


# --- What a CLP may see ----------------------------------------------------------------------------


class Quarter(NamedTuple):
    year: int
    number: int  # 1..4, calendar quarters

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> datetime.date:
        following = Quarter(self.year + self.number // 4, self.number % 4 + 1).start
        return following - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number} ({self.start:%b}–{self.end:%b %Y})"

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @classmethod
    def of(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)


class Cell(NamedTuple):
    label: str
    shown: str  # a number, or "<5"


class ClpCounts(NamedTuple):
    """What a CLP officer sees: strings only. No case, constituent, reference or id is in it."""

    offices: list[str]  # the offices that share with this CLP
    topics: list[str]  # top-level topic names to choose from
    topic: str
    quarter: str
    cells: list[Cell]  # by ward
    total: str  # "N", or "at least N" when a cell is suppressed
    suppressed: int  # how many cells read "<5"


def may_see_clp_counts(user: User, constituency: Constituency) -> bool:
    """The CLP's secretary or an officer of it, by a grant on the constituency itself (neither the
    operator nor regional staff: the office shares with the CLP, not with them)."""
    return Grant.objects.filter(user=user, role__in=CLP_ROLES, constituency=constituency).exists()


def sharing_offices(constituency: Constituency) -> QuerySet[Office]:
    return (
        Office.objects.filter(share_counts_with_clp=True)
        .filter(Q(constituency=constituency) | Q(covers_constituencies=constituency))
        .distinct()
    )


def suppress(counts: list[tuple[str, int]]) -> tuple[list[Cell], str, int]:
    """Cells with counts under SMALL read "<5"; the total is exact only when nothing is hidden."""
    cells = [Cell(label, str(n) if n >= SMALL else f"<{SMALL}") for label, n in counts]
    hidden = sum(1 for _, n in counts if n < SMALL)
    shown_sum = sum(n for _, n in counts if n >= SMALL)
    total = str(shown_sum) if not hidden else f"at least {shown_sum}"
    return cells, total, hidden


def clp_counts(*, constituency: Constituency, quarter: Quarter, topic: str | None = None) -> ClpCounts:
    """Cases of one top-level topic opened in `quarter` in the offices that share with the CLP of
    `constituency`, by the constituency's wards (and "ward not known"), suppressed: see the module
    docstring. Counts only: the function returns labels (ward and topic names) and strings."""
    offices = list(sharing_offices(constituency).order_by("name"))
    topic_label = Coalesce(F("topic__parent__name"), F("topic__name"), Value(NO_TOPIC))
    cases = Case.unscoped.filter(office__in=offices, opened_on__range=(quarter.start, quarter.end)).annotate(
        topic_label=topic_label
    )
    # The offices' controlled lists (not the topics found in the quarter: that would tell a topic's
    # cases from none).
    names = Topic.objects.filter(office__in=offices, parent__isnull=True, active=True).values_list(
        "name", flat=True
    )
    topics = [*sorted(set(names)), NO_TOPIC] if offices else []
    topic = topic if topic in topics else (topics[0] if topics else "")
    wards = list(
        Ward.objects.filter(constituency=constituency).order_by("name").values_list("name", flat=True)
    )
    found = dict(
        cases.filter(topic_label=topic)
        .annotate(ward_label=case_ward_name())
        .values_list("ward_label")
        .annotate(n=Count("pk"))
        .values_list("ward_label", "n")
    )
    # Wards of another constituency (an office covering two) are not this CLP's to see.
    counts = [(ward, found.get(ward, 0)) for ward in wards] + [(NO_WARD, found.get(NO_WARD, 0))]
    cells, total, hidden = suppress(counts) if offices else ([], "0", 0)
    return ClpCounts(
        offices=[o.name for o in offices],
        topics=topics,
        topic=topic,
        quarter=quarter.label,
        cells=cells,
        total=total,
        suppressed=hidden,
    )
