"""The ICO's clock as pure functions: the ICO's own examples, then properties over many dates."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labourhub.dataprotection import clock

D = datetime.date
dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))


def test_received_3_september_is_due_3_october():
    # The ICO's example: 3 October 2025 is a Friday, a working day.
    assert clock.due_date(D(2025, 9, 3), nation="ENG") == D(2025, 10, 3)


def test_the_day_of_receipt_counts_as_day_one():
    # Not "one month after the day after": received on the 3rd, due on the 3rd.
    assert clock.statutory_due(D(2026, 3, 3)) == D(2026, 4, 3)


def test_31_january_is_due_on_the_last_day_of_february():
    assert clock.statutory_due(D(2025, 1, 31)) == D(2025, 2, 28)
    assert clock.statutory_due(D(2024, 1, 31)) == D(2024, 2, 29)  # a leap year
    assert clock.statutory_due(D(2026, 3, 31)) == D(2026, 4, 30)


def test_a_due_date_on_a_weekend_moves_to_monday():
    # 4 October 2025 is a Saturday.
    assert clock.statutory_due(D(2025, 9, 4)) == D(2025, 10, 4)
    assert clock.due_date(D(2025, 9, 4), nation="ENG") == D(2025, 10, 6)


def test_a_due_date_on_a_bank_holiday_moves_to_the_next_working_day():
    # Christmas 2025 is a Thursday, Boxing Day a Friday: received 25 November, due Monday 29 December.
    assert clock.due_date(D(2025, 11, 25), nation="ENG") == D(2025, 12, 29)


def test_bank_holidays_are_the_nations_own():
    # 2 January is a bank holiday in Scotland only; 2 January 2026 is a Friday.
    assert clock.due_date(D(2025, 12, 2), nation="ENG") == D(2026, 1, 2)
    assert clock.due_date(D(2025, 12, 2), nation="SCT") == D(2026, 1, 5)
    # St Patrick's Day in Northern Ireland (17 March 2026, a Tuesday).
    assert clock.due_date(D(2026, 2, 17), nation="NIR") == D(2026, 3, 18)
    assert clock.due_date(D(2026, 2, 17), nation="ENG") == D(2026, 3, 17)


def test_the_nation_comes_from_the_gss_code():
    assert clock.nation_of("E14000901") == "ENG"
    assert clock.nation_of("S14000001") == "SCT"
    assert clock.nation_of("W07000041") == "WLS"
    assert clock.nation_of("N06000001") == "NIR"
    with pytest.raises(ValueError, match="not a GSS code"):
        clock.nation_of("X1")


def test_an_extension_adds_two_months():
    assert clock.statutory_due(D(2025, 9, 3), extended=True) == D(2025, 12, 3)
    assert clock.statutory_due(D(2025, 11, 30), extended=True) == D(2026, 2, 28)


def test_an_extension_is_allowed_only_within_the_first_month():
    received = D(2025, 9, 3)
    assert clock.extension_allowed(received, D(2025, 9, 3), nation="ENG")
    assert clock.extension_allowed(received, D(2025, 10, 3), nation="ENG")
    assert not clock.extension_allowed(received, D(2025, 10, 4), nation="ENG")
    assert not clock.extension_allowed(received, D(2025, 9, 2), nation="ENG")
    # A pause moves the end of the first month on with it.
    assert clock.extension_allowed(received, D(2025, 10, 8), nation="ENG", paused_days=5)


def test_a_pause_moves_the_due_date_by_the_paused_days():
    assert clock.statutory_due(D(2025, 9, 3), paused_days=10) == D(2025, 10, 13)
    assert clock.paused_days_between(D(2025, 9, 5), D(2025, 9, 15)) == 10
    with pytest.raises(ValueError):
        clock.statutory_due(D(2025, 9, 3), paused_days=-1)


def test_the_breach_clock_is_72_hours_from_when_it_was_found():
    found = datetime.datetime(2026, 1, 9, 17, 0, tzinfo=datetime.UTC)  # a Friday: weekends count
    assert clock.breach_report_deadline(found) == datetime.datetime(2026, 1, 12, 17, 0, tzinfo=datetime.UTC)
    assert clock.hours_left(clock.breach_report_deadline(found), found) == 72
    assert clock.hours_left(clock.breach_report_deadline(found), found + datetime.timedelta(hours=80)) == -8


@given(
    received=dates,
    nation=st.sampled_from(sorted(clock.NATIONS.values())),
    extended=st.booleans(),
    paused=st.integers(min_value=0, max_value=400),
)
def test_the_due_date_is_always_after_receipt_and_a_working_day(received, nation, extended, paused):
    due = clock.due_date(received, nation=nation, extended=extended, paused_days=paused)
    assert due > received
    assert clock.is_working_day(due, nation)
    statutory = clock.statutory_due(received, extended=extended, paused_days=paused)
    # Moved off a weekend or bank holiday by a few days at most (Christmas and a weekend: 4).
    assert statutory <= due <= statutory + datetime.timedelta(days=5)
    # Never more than a month (or three) and the pause, calendar-wise.
    assert (statutory - received).days <= 31 * (3 if extended else 1) + paused


@given(received=dates, paused=st.integers(min_value=0, max_value=400), extended=st.booleans())
def test_a_pause_adds_exactly_the_paused_days(received, paused, extended):
    without = clock.statutory_due(received, extended=extended)
    assert clock.statutory_due(
        received, extended=extended, paused_days=paused
    ) - without == datetime.timedelta(days=paused)


@given(
    received=dates, offset=st.integers(min_value=-40, max_value=120), nation=st.sampled_from(["ENG", "SCT"])
)
def test_an_extension_is_allowed_exactly_within_the_first_month(received, offset, nation):
    on = received + datetime.timedelta(days=offset)
    first_month_ends = clock.due_date(received, nation=nation)
    assert clock.extension_allowed(received, on, nation=nation) == (received <= on <= first_month_ends)
    if clock.extension_allowed(received, on, nation=nation):
        assert on < clock.due_date(received, nation=nation, extended=True)


@given(received=dates)
def test_the_same_date_next_month_or_its_last_day(received):
    due = clock.statutory_due(received)
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
    assert due.day == received.day or (due.day < received.day and (due + datetime.timedelta(days=1)).day == 1)
