"""The ICO's clocks, as pure functions of dates (no database, no settings).

A data-subject request is answered within one calendar month of receipt, counting the day of
receipt as day one: received 3 September, due 3 October. When the corresponding date does not
exist the month's last day is used (31 January -> 28 or 29 February). When the due date falls on a
weekend or a bank holiday the organisation has until the next working day. The limit can be
extended by two further months (three in all) for complex or numerous requests, when the requester
is told within the first month; and it is paused while identity or clarification is awaited (the
due date moves on by the paused days). A breach is reported to the ICO within 72 hours of becoming
aware of it. Source: ico.org.uk, "Time limits for responding to data protection rights requests"
and "Personal data breaches: a guide".

Bank holidays come from the maintained `holidays` library (holidays.UK with the nation's subdivision),
so a one-off bank holiday arrives with a library update, not a code edit.
"""

from __future__ import annotations

import calendar
import datetime
from functools import lru_cache

import holidays

NATIONS = {"E": "ENG", "W": "WLS", "S": "SCT", "N": "NIR"}  # GSS code's first letter -> subdivision
EXTENSION_MONTHS = 2
BREACH_REPORT_WITHIN = datetime.timedelta(hours=72)


def nation_of(gss_code: str) -> str:
    """The holidays.UK subdivision whose bank holidays apply to a constituency (E14000901 -> ENG)."""
    try:
        return NATIONS[gss_code[:1].upper()]
    except KeyError:
        raise ValueError(f"{gss_code!r} is not a GSS code (a nation letter E, W, S or N first).") from None


@lru_cache(maxsize=8)
def _bank_holidays(nation: str) -> holidays.HolidayBase:
    return holidays.UK(subdiv=nation)


def is_working_day(day: datetime.date, nation: str) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(nation)


def next_working_day(day: datetime.date, nation: str) -> datetime.date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, nation):
        day += datetime.timedelta(days=1)
    return day


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same date `months` later; the month's last day when that date does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def statutory_due(received: datetime.date, *, extended: bool = False, paused_days: int = 0) -> datetime.date:
    """The calendar date the answer is due, before moving off a weekend or bank holiday: one month
    from receipt (three when extended), plus the days the clock was paused."""
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    months = 1 + (EXTENSION_MONTHS if extended else 0)
    return add_months(received, months) + datetime.timedelta(days=paused_days)


def due_date(
    received: datetime.date, *, nation: str, extended: bool = False, paused_days: int = 0
) -> datetime.date:
    """The date by which the answer must be sent: the statutory date, or the next working day when
    that falls on a weekend or a bank holiday of `nation`."""
    return next_working_day(statutory_due(received, extended=extended, paused_days=paused_days), nation)


def extension_allowed(
    received: datetime.date, on: datetime.date, *, nation: str, paused_days: int = 0
) -> bool:
    """May the extension be recorded on `on`? Only within the first month: on or before the
    unextended due date (pauses so far included), and not before the request was received."""
    return received <= on <= due_date(received, nation=nation, paused_days=paused_days)


def paused_days_between(since: datetime.date, until: datetime.date) -> int:
    """Days the clock stood still: paused on `since`, running again on `until`."""
    return max((until - since).days, 0)


def breach_report_deadline(found_at: datetime.datetime) -> datetime.datetime:
    """72 hours from when the breach was found (the ICO's clock runs through weekends)."""
    return found_at + BREACH_REPORT_WITHIN


def hours_left(deadline: datetime.datetime, now: datetime.datetime) -> float:
    """Hours until `deadline` (negative once overdue)."""
    return (deadline - now).total_seconds() / 3600
