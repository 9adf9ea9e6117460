"""Working days for casework deadlines: weekends and the bank holidays of the office's nation
(England and Wales, Scotland or Northern Ireland) do not count. The calendars come from the
maintained `holidays` library (holidays.UK with subdiv ENG / SCT / NIR), so a new year's or a
one-off bank holiday (a coronation, a state funeral) arrives with a library update, not a code edit."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _calendar(nation: str) -> holidays.HolidayBase:
    # Years are filled in lazily as dates are asked about; one calendar per nation per process.
    return holidays.UK(subdiv=nation)


def is_working_day(day: datetime.date, nation: str) -> bool:
    return day.weekday() < 5 and day not in _calendar(nation)


def add_working_days(start: datetime.date, days: int, nation: str) -> datetime.date:
    """The date `days` working days after `start` (`start` itself does not count: a letter sent on
    a Friday with a 1-day target is due on Monday, or on Tuesday if Monday is a bank holiday)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    current = start
    counted = 0
    while counted < days:
        current += datetime.timedelta(days=1)
        if is_working_day(current, nation):
            counted += 1
    return current


def working_days_between(start: datetime.date, end: datetime.date, nation: str) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += datetime.timedelta(days=1)
        count += is_working_day(current, nation)
    return count
