"""Events reports (issue 17 item 7): what the organiser reads about their events over a period.

    shift_rows(events, ...)   per shift: places wanted, booked, attended, no-shows, fill rate
    event_rows(shifts)        the same per event (summed from the shift rows)
    totals(shifts)            fill rate, no-show rate, hours given over all of them
    new_volunteers(...)       people whose first sign-up to the CLP's events falls in the period
    hours_by_ward(...)        hours given by people checked in, by their ward as members
                              (people who are not members, or have no ward, are counted apart)
    bar_chart(pairs)          bars for a server-rendered SVG (as the polling-day board draws)

Fill rate: people booked (or checked in) over the places wanted, a shift's maximum where it has one,
otherwise its minimum. No-show rate: no-shows over the people checked in or marked a no-show (only
shifts whose check-in was done count). Hours given: the shift's length for each person checked in
(attended or walk-in). Turnout of invited audiences is not here: invitations are not built on this
branch (issue 17 item 2, another engineer's).

Callers scope first: `events` is `Event.objects.for_user(user, Action.ORGANISE)`; every function is
one grouped query (or two), whatever the number of events and sign-ups.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Shift, Signup

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from campaigns.models import Event

CHECKED_IN = [Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN]
ON = Q(signups__status=Signup.Status.BOOKED) | Q(signups__attendance__in=CHECKED_IN)
NO_WARD = "No ward (not a member, or no ward recorded)"


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Fill:
    label: str
    wanted: int = 0
    booked: int = 0
    attended: int = 0
    no_shows: int = 0
    hours: float = 0.0
    event_id: int | None = None
    starts_at: datetime.datetime | None = None

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.booked, self.wanted)

    @property
    def no_show_rate(self) -> float | None:
        return _rate(self.no_shows, self.attended + self.no_shows)


def shifts_in(
    events: QuerySet[Event], start: datetime.date | None = None, end: datetime.date | None = None
) -> QuerySet[Shift]:
    shifts = Shift.unscoped.filter(event__in=events.values("pk"))
    if start:
        shifts = shifts.filter(starts_at__date__gte=start)
    if end:
        shifts = shifts.filter(starts_at__date__lte=end)
    return shifts


def shift_rows(shifts: QuerySet[Shift]) -> list[Fill]:
    """One Fill per shift, in time order: one query."""
    rows = []
    for shift in (
        shifts.select_related("event")
        .annotate(
            on=Count("signups", filter=ON),
            attended=Count("signups", filter=Q(signups__attendance__in=CHECKED_IN)),
            no_shows=Count("signups", filter=Q(signups__attendance=Signup.Attendance.NO_SHOW)),
        )
        .order_by("starts_at", "pk")
    ):
        length = (shift.ends_at - shift.starts_at).total_seconds() / 3600
        rows.append(
            Fill(
                label=f"{shift.event.title}{' (' + shift.role + ')' if shift.role else ''}",
                wanted=shift.maximum if shift.maximum is not None else shift.minimum,
                booked=shift.on,
                attended=shift.attended,
                no_shows=shift.no_shows,
                hours=round(length * shift.attended, 1),
                event_id=shift.event_id,
                starts_at=shift.starts_at,
            )
        )
    return rows


def event_rows(rows: list[Fill], titles: dict[int, str]) -> list[Fill]:
    """The shift rows summed per event, in the order of their first shift."""
    by_event: dict[int, Fill] = {}
    for row in rows:
        assert row.event_id is not None
        total = by_event.setdefault(
            row.event_id, Fill(titles.get(row.event_id, ""), event_id=row.event_id, starts_at=row.starts_at)
        )
        total.wanted += row.wanted
        total.booked += row.booked
        total.attended += row.attended
        total.no_shows += row.no_shows
        total.hours = round(total.hours + row.hours, 1)
    return list(by_event.values())


def totals(rows: list[Fill]) -> Fill:
    total = Fill("All")
    for row in rows:
        total.wanted += row.wanted
        total.booked += row.booked
        total.attended += row.attended
        total.no_shows += row.no_shows
        total.hours = round(total.hours + row.hours, 1)
    return total


def new_volunteers(
    events: QuerySet[Event], start: datetime.date | None = None, end: datetime.date | None = None
) -> int:
    """People (event contacts) of these events' CLPs whose first sign-up to any of the CLP's events
    falls in the period: one query. Someone who signed up before it is not new."""
    firsts = (
        Signup.unscoped.filter(contact__constituency__in=events.values("constituency"))
        .values("contact")
        .annotate(first=Min("created_at"))
    )
    if start:
        firsts = firsts.filter(first__date__gte=start)
    if end:
        firsts = firsts.filter(first__date__lte=end)
    return firsts.count()


def hours_by_ward(shifts: QuerySet[Shift]) -> list[tuple[str, float]]:
    """[(ward, hours given)] by the ward of the member each checked-in person is, most first: one
    query."""
    length = ExpressionWrapper(F("shift__ends_at") - F("shift__starts_at"), output_field=DurationField())
    rows = (
        Signup.unscoped.filter(shift__in=shifts.values("pk"), attendance__in=CHECKED_IN)
        .values("contact__member__ward__name")
        .annotate(given=Coalesce(Sum(length), datetime.timedelta(0)))
        .order_by("-given", "contact__member__ward__name")
    )
    return [
        (row["contact__member__ward__name"] or NO_WARD, round(row["given"].total_seconds() / 3600, 1))
        for row in rows
    ]


def bar_chart(pairs: list[tuple[str, float]], width: int = 640, bar: int = 22) -> dict[str, Any]:
    """Horizontal bars for a server-rendered SVG: [{y, w, label, value}] scaled to the largest."""
    top = max([value for _, value in pairs] + [1])
    label_w = 200
    bars = [
        {
            "y": index * (bar + 6),
            "w": round((width - label_w - 60) * value / top, 1),
            "label": label,
            "value": value,
            "text_y": index * (bar + 6) + bar * 0.7,
        }
        for index, (label, value) in enumerate(pairs)
    ]
    return {"bars": bars, "width": width, "height": max(len(bars), 1) * (bar + 6), "bar": bar, "x": label_w}


CSV_HEADER = [
    "event",
    "starts",
    "places wanted",
    "booked",
    "fill rate %",
    "attended",
    "no-shows",
    "no-show rate %",
    "hours given",
]


def csv_rows(rows: list[Fill]) -> list[list[Any]]:
    return [
        [
            row.label,
            f"{timezone.localtime(row.starts_at):%Y-%m-%d %H:%M}" if row.starts_at else "",
            row.wanted,
            row.booked,
            "" if row.fill_rate is None else row.fill_rate,
            row.attended,
            row.no_shows,
            "" if row.no_show_rate is None else row.no_show_rate,
            row.hours,
        ]
        for row in rows
    ]
