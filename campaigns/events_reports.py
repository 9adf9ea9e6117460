"""Events reports (issue 17 item 7): what the organiser reads about their events over a period.

    shift_rows(events, ...)   per shift: places wanted, booked, attended, no-shows, fill rate
    event_rows(shifts)        the same per event (summed from the shift rows)
    totals(shifts)            fill rate, no-show rate, hours given over all of them
    new_volunteers(...)       people whose first sign-up to the CLP's events falls in the period
    hours_by_ward(...)        hours given by people checked in, by their ward as members
                              (people who are not members, or have no ward, are counted apart)
    invitation_turnout(...)   per invitation sent: invited, signed up, confirmed, attended
    bar_chart(pairs)          bars for a server-rendered SVG (as the polling-day board draws)

Fill rate: people booked (or checked in) over the places wanted, a shift's maximum where it has one,
otherwise its minimum. No-show rate: no-shows over the people checked in or marked a no-show (only
shifts whose check-in was done count). Hours given: the shift's length for each person checked in
(attended or walk-in). Turnout of invited audiences (`invitation_turnout`): for each invitation sent
to an audience of members (the member email engine's send), how many it reached, and of those how
many signed up to the event after it went, confirmed from the day-before message, and came.

Callers scope first: `events` is `Event.objects.for_user(user, Action.ORGANISE)`; every function is
one grouped query (or two), whatever the number of events and sign-ups.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import EventInvitation, Shift, Signup

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


@dataclass
class Turnout:
    """One invitation sent: to how many members, and how many of them then signed up to the event,
    confirmed from the day-before message, and came (checked in)."""

    label: str
    audience: str
    event_id: int
    sent_at: datetime.datetime | None
    invited: int = 0
    signed_up: int = 0
    confirmed: int = 0
    attended: int = 0

    @property
    def signed_up_rate(self) -> float | None:
        return _rate(self.signed_up, self.invited)

    @property
    def attended_rate(self) -> float | None:
        return _rate(self.attended, self.invited)


def invitation_turnout(shifts: QuerySet[Shift]) -> list[Turnout]:
    """Per invitation sent for the events of `shifts` (already scoped): two queries, the invitations
    and one grouped count of their recipients, whatever their number. A recipient counts as signed
    up if a sign-up of theirs (matched to their membership) to the invitation's event was made after
    the invitation went; invitations to another CLP's volunteers count the same way, as numbers only."""
    from members.models import EmailRecipient

    invitations = list(
        EventInvitation.unscoped.filter(event__in=shifts.values("event"), send__planned_at__isnull=False)
        .select_related("event", "constituency", "send")
        .order_by("send__planned_at", "pk")
    )
    theirs = Signup.unscoped.filter(
        contact__member=OuterRef("member"),
        shift__event__invitations__send=OuterRef("send"),
        created_at__gte=OuterRef("send__planned_at"),
    )
    counts = {
        row["send"]: row
        for row in EmailRecipient.unscoped.filter(
            send__in=[invitation.send_id for invitation in invitations], state=EmailRecipient.State.SENT
        )
        .order_by()
        .values("send")
        .annotate(
            invited=Count("pk"),
            signed_up=Count("pk", filter=Q(Exists(theirs))),
            confirmed=Count(
                "pk", filter=Q(Exists(theirs.filter(status=Signup.Status.BOOKED, confirmed_at__isnull=False)))
            ),
            attended=Count("pk", filter=Q(Exists(theirs.filter(attendance__in=CHECKED_IN)))),
        )
    }
    rows = []
    for invitation in invitations:
        assert invitation.send is not None
        own = invitation.constituency_id == invitation.event.constituency_id
        row = counts.get(invitation.send_id, {})
        rows.append(
            Turnout(
                label=invitation.event.title,
                audience=invitation.send.subject
                + ("" if own else f" (volunteers of {invitation.constituency.name})"),
                event_id=invitation.event_id,
                sent_at=invitation.send.planned_at,
                invited=row.get("invited", 0),
                signed_up=row.get("signed_up", 0),
                confirmed=row.get("confirmed", 0),
                attended=row.get("attended", 0),
            )
        )
    return rows


TURNOUT_CSV_HEADER = ["event", "invitation", "sent", "invited", "signed up", "confirmed", "attended"]


def turnout_csv_rows(rows: list[Turnout]) -> list[list[Any]]:
    return [
        [
            row.label,
            row.audience,
            f"{timezone.localtime(row.sent_at):%Y-%m-%d %H:%M}" if row.sent_at else "",
            row.invited,
            row.signed_up,
            row.confirmed,
            row.attended,
        ]
        for row in rows
    ]
