"""Events, read side: who may see an event, counts for lists (one query, whatever the number of
events), shift fill, calendar files and links, the signed links in reminders, and when each
reminder of the sequence is due. Writes are in campaigns/events_services.py."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Event, EventMessage, Shift, Signup
from labourhub import sms
from labourhub.scoping import Action, can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User

# The reminder sequence (Mobilize's): local times on the day before and on the day.
DAY_BEFORE_AT = datetime.time(11, 0)
MORNING_AT = datetime.time(8, 0)
# A signed link in a reminder works until a week after the shift it is about would have ended.
LINK_MAX_AGE = 60 * 60 * 24 * 60
_LINK_SALT = "campaigns.events.reminder-link"
LINK_ACTIONS = ("confirm", "cancel")

# Bots: at most this many sign-ups a minute and an hour from one address (allauth's rate limiter,
# the one the sign-in form uses, on the same cache).
SIGNUP_RATE = "5/m/ip,30/h/ip"


def sms_enabled() -> bool:
    """SMS choices are shown only once an SMS provider is configured (labourhub/sms.py)."""
    return sms.sms_enabled()


# --- Who may see an event ---------------------------------------------------------------------


def may_organise(user: User | AnonymousUser, event: Event) -> bool:
    return can(user, Action.ORGANISE, event.constituency)


def is_member_of(user: User | AnonymousUser, event: Event) -> bool:
    from members.models import Member

    return Member.objects.for_linked_user(user).filter(constituency_id=event.constituency_id).exists()


def visible_to(event: Event, user: User | AnonymousUser) -> bool:
    """Public and invited events: whoever holds the link. Members' events: members of the CLP
    signed in, members of the other CLPs it is open to, and its organisers."""
    if event.visibility in (Event.Visibility.PUBLIC, Event.Visibility.INVITED):
        return True
    if is_member_of(user, event) or may_organise(user, event):
        return True
    from members.models import Member

    member = Member.objects.for_linked_user(user).first()
    return member is not None and open_to_visitor(event, member)


# --- Visiting activists (mutual aid) ---------------------------------------------------------


def open_to_visitors_from(constituency_id: int, region_id: int) -> Q:
    """Events of other CLPs open to members of this CLP (named, or by its region)."""
    return (Q(visiting_constituencies=constituency_id) | Q(visiting_regions=region_id)) & ~Q(
        constituency_id=constituency_id
    )


def open_to_visitor(event: Event, member: Any) -> bool:
    """Is `event` open to `member`, a member of another CLP (by region or named CLP)?"""
    if member.constituency_id == event.constituency_id:
        return False
    return (
        Event.unscoped.filter(pk=event.pk)
        .filter(open_to_visitors_from(member.constituency_id, member.constituency.region_id))
        .exists()
    )


def is_visitor(signup: Signup) -> bool:
    """A sign-up by a member of another CLP (matched to their membership when they signed up)."""
    member = signup.contact.member
    return member is not None and member.constituency_id != signup.shift.event.constituency_id


def visiting_day(shift: Shift) -> tuple[datetime.datetime, datetime.datetime]:
    """A visitor's access: from the start of the session's day to its end, local time."""
    day = timezone.localtime(shift.starts_at).date()
    return _local_at(day, datetime.time(0)), _local_at(day + datetime.timedelta(days=1), datetime.time(0))


# --- Counts -------------------------------------------------------------------------------------


def with_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    """Booked, confirmed (by the person, from the reminder), attended, waiting: one query for a
    list of any length."""
    booked = Q(shifts__signups__status=Signup.Status.BOOKED)
    return events.annotate(
        booked=Count("shifts__signups", filter=booked),
        confirmed=Count("shifts__signups", filter=booked & Q(shifts__signups__confirmed_at__isnull=False)),
        attended=Count(
            "shifts__signups",
            filter=Q(shifts__signups__attendance__in=[Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN]),
        ),
        waiting=Count("shifts__signups", filter=Q(shifts__signups__status=Signup.Status.WAITING)),
        requested=Count("shifts__signups", filter=Q(shifts__signups__status=Signup.Status.REQUESTED)),
    )


def listed(events: QuerySet[Event], *, past: bool, start: int, stop: int) -> list[Event]:
    """The events `events[start:stop]` (already scoped to the reader) that are upcoming (a shift
    still to end) or past, newest first, each with its first shift's start as text
    (`event.first_start`) and the counts `counted` gives. Three queries whatever the number of
    events. The shifts are read through the scoped events (Shift.unscoped joined to them):
    scoping them again rebuilt the reader's constituencies twice more a request."""
    later = Shift.unscoped.filter(event=OuterRef("pk"), ends_at__gt=timezone.now())
    page = list(
        events.filter(~Exists(later) if past else Exists(later))
        .select_related("constituency")
        .order_by("-created_at")[start:stop]
    )
    shift_events: dict[int, int] = {}  # shift id -> event id
    first: dict[int, datetime.datetime] = {}
    for pk, event_id, starts_at in (
        Shift.unscoped.filter(event__in=page)
        .order_by("starts_at", "id")
        .values_list("pk", "event", "starts_at")
    ):
        shift_events[pk] = event_id
        first.setdefault(event_id, starts_at)
    for event in page:
        # as the date filter "D j M, H:i" would, without the filter's cost 50 times a page
        starts = first.get(event.pk)
        event.first_start = f"{timezone.localtime(starts):%a %-d %b, %H:%M}" if starts else ""  # type: ignore[attr-defined]
    return counted(page, shift_events)


def counted(listed: list[Event], shift_events: dict[int, int]) -> list[Event]:
    """`listed` (a page of events) each with the counts of its sign-ups, from one grouped query
    over the shifts of these events only (`shift_events`: shift id -> event id), by shift id: with
    the events' ids it joined the shifts and Postgres hashed all 50,000 sign-ups of a 500-event
    region for a page of 50 (EXPLAIN ANALYZE under load 48 ms, by shift ids 2.9 ms;
    tests/perf/bench_events.py). A grouped count over `with_counts`' join of every event before
    the LIMIT was slower still (540 ms under load)."""
    totals: dict[int, dict[str, int]] = {event.pk: dict.fromkeys(COUNTS, 0) for event in listed}
    if shift_events:
        booked = Q(status=Signup.Status.BOOKED)
        rows = (
            Signup.unscoped.filter(shift__in=list(shift_events))
            .order_by()
            .values("shift")
            .annotate(
                booked=Count("pk", filter=booked),
                confirmed=Count("pk", filter=booked & Q(confirmed_at__isnull=False)),
                attended=Count(
                    "pk", filter=Q(attendance__in=[Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN])
                ),
                waiting=Count("pk", filter=Q(status=Signup.Status.WAITING)),
                requested=Count("pk", filter=Q(status=Signup.Status.REQUESTED)),
            )
        )
        for row in rows:
            total = totals[shift_events[row["shift"]]]
            for name in COUNTS:
                total[name] += row[name]
    for event in listed:
        for name, value in totals[event.pk].items():
            setattr(event, name, value)
    return listed


COUNTS = ("booked", "confirmed", "attended", "waiting", "requested")


def shifts_with_fill(event: Event) -> QuerySet[Shift]:
    return event.shifts.annotate(
        booked=Count("signups", filter=Q(signups__status=Signup.Status.BOOKED)),
        waiting=Count("signups", filter=Q(signups__status=Signup.Status.WAITING)),
    ).order_by("starts_at", "id")


def signups_of(event: Event, shifts: list[Shift]) -> list[Signup]:
    """The sign-ups of `event` (the caller has checked the reader may organise it) in the order of
    its page, each with its contact, the shift from `shifts` (the same rows, not read again) and
    `member_clp`, the CLP of the member the contact is (None for a non-member). Through the event
    already checked, not scoped again (a third build of the reader's constituencies), and the
    member's one column, not the whole member row, ~100 times a page (bench_events)."""
    by_id = {shift.pk: shift for shift in shifts}
    signups = list(
        Signup.unscoped.filter(shift__event=event)
        .select_related("contact")
        .annotate(member_clp=F("contact__member__constituency_id"))
        .order_by("shift__starts_at", "status", "status_at", "id")
    )
    for signup in signups:
        if signup.shift_id in by_id:  # always, unless a shift was added between the two reads
            signup.shift = by_id[signup.shift_id]
    return signups


def fill_status(shift: Any) -> str:
    """'short' under the minimum, 'full' at the maximum, otherwise 'ok' (`shift.booked` annotated)."""
    if shift.maximum is not None and shift.booked >= shift.maximum:
        return "full"
    return "short" if shift.booked < shift.minimum else "ok"


# --- Calendars ---------------------------------------------------------------------------------


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped; no other control characters."""
    value = "".join(ch for ch in str(value) if ch in "\n" or ch >= " ")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """Lines longer than 75 octets folded with CRLF and a space (RFC 5545 3.1)."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return "\r\n".join(out)


def _utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def where(event: Event, booked: bool) -> str:
    """The meeting place as this person may see it: the exact address only once booked."""
    if booked and event.meeting_point:
        return event.meeting_point
    return event.meeting_area


def ics(event: Event, shifts: list[Shift], *, booked: bool = False) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//LabourHub//Events//EN", "CALSCALE:GREGORIAN"]
    for shift in shifts:
        status = "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED"
        lines += [
            "BEGIN:VEVENT",
            f"UID:shift-{shift.pk}@labourhub",
            f"DTSTAMP:{_utc(timezone.now())}",
            f"DTSTART:{_utc(shift.starts_at)}",
            f"DTEND:{_utc(shift.ends_at)}",
            f"SUMMARY:{_ics_text(event.title + (' (' + shift.role + ')' if shift.role else ''))}",
            f"DESCRIPTION:{_ics_text(event.description)}",
            f"LOCATION:{_ics_text(where(event, booked))}",
            f"STATUS:{status}",
            f"SEQUENCE:{event.revision}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


def google_calendar_url(event: Event, shift: Shift, *, booked: bool = False) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    dates = f"{shift.starts_at.astimezone(datetime.UTC):{fmt}}/{shift.ends_at.astimezone(datetime.UTC):{fmt}}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": event.description,
        "location": where(event, booked),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


# --- Signed links in reminders -------------------------------------------------------------


def link_token(signup: Signup, action: str) -> str:
    return signing.dumps({"s": signup.pk, "a": action, "t": signup.token[:8]}, salt=_LINK_SALT, compress=True)


def read_link_token(token: str) -> tuple[int, str, str] | None:
    """(signup id, action, token prefix) from a reminder's link, or None if forged or too old."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") not in LINK_ACTIONS:
        return None
    if not isinstance(data.get("s"), int) or not isinstance(data.get("t"), str):
        return None
    return data["s"], data["a"], data["t"]


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def reminder_links(signup: Signup) -> dict[str, str]:
    return {
        action: absolute(reverse("campaigns:event_link", args=[link_token(signup, action)]))
        for action in LINK_ACTIONS
    } | {"calendar": absolute(reverse("campaigns:signup_ics", args=[signup.token]))}


# --- When reminders are due ---------------------------------------------------------------


def _local_at(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


def day_before_at(shift: Shift) -> datetime.datetime:
    return _local_at(timezone.localtime(shift.starts_at).date() - datetime.timedelta(days=1), DAY_BEFORE_AT)


def morning_at(shift: Shift) -> datetime.datetime:
    """08:00 on the day; for a shift starting before 09:00 (telling from 07:00), an hour before it."""
    at = _local_at(timezone.localtime(shift.starts_at).date(), MORNING_AT)
    return min(at, shift.starts_at - datetime.timedelta(hours=1))


def _not_sent(kind: str) -> Q:
    return ~Q(pk__in=EventMessage.unscoped.filter(kind=kind, ref=0, signup__isnull=False).values("signup"))


def due(now: datetime.datetime) -> dict[str, QuerySet[Signup]]:
    """The sign-ups each timed message is due for now, not yet sent: a few set-based queries,
    however many bookings. Only people booked on planned events; never cancelled people."""
    live = Signup.unscoped.filter(
        status=Signup.Status.BOOKED, shift__event__status=Event.Status.PLANNED, contact__consent_email=True
    )
    today = timezone.localtime(now).date()
    tomorrow = today + datetime.timedelta(days=1)
    day_before_cutoff = _local_at(today, DAY_BEFORE_AT)
    plans: dict[str, QuerySet[Signup]] = {}
    # The day before at 11:00: for shifts tomorrow, to people booked before 11:00 today (a later
    # booking had its confirmation just now and gets the morning message).
    if now >= day_before_cutoff:
        plans[EventMessage.Kind.DAY_BEFORE] = live.filter(
            shift__starts_at__date=tomorrow, booked_at__lt=day_before_cutoff
        ).filter(_not_sent(EventMessage.Kind.DAY_BEFORE))
    # The morning of the day: from 08:00 (or an hour before an early shift) until it starts; a late
    # booking made after that still gets it, at once.
    morning = live.filter(shift__starts_at__date=today, shift__starts_at__gt=now)
    if now < _local_at(today, MORNING_AT):
        morning = morning.filter(shift__starts_at__lte=now + datetime.timedelta(hours=1))
    plans[EventMessage.Kind.MORNING] = morning.filter(_not_sent(EventMessage.Kind.MORNING))
    # After the shift: a thank-you to those checked in as there (within two days of its end).
    plans[EventMessage.Kind.THANK_YOU] = (
        Signup.unscoped.filter(
            attendance__in=[Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN],
            shift__event__status=Event.Status.PLANNED,
            contact__consent_email=True,
            shift__ends_at__lte=now,
            shift__ends_at__gt=now - datetime.timedelta(days=2),
        )
        .exclude(status=Signup.Status.CANCELLED)
        .filter(_not_sent(EventMessage.Kind.THANK_YOU))
    )
    return plans


def shifts_ended(now: datetime.datetime) -> QuerySet[Shift]:
    """Shifts ended in the last two days whose organiser has not been asked 'did they make it?'."""
    asked = EventMessage.unscoped.filter(kind=EventMessage.Kind.DID_THEY_COME, signup__isnull=True)
    return (
        Shift.unscoped.filter(
            ends_at__lte=now,
            ends_at__gt=now - datetime.timedelta(days=2),
            event__status=Event.Status.PLANNED,
            event__contact__isnull=False,
            signups__status=Signup.Status.BOOKED,
        )
        .exclude(pk__in=asked.values("shift"))
        .select_related("event__contact")
        .distinct()
    )
