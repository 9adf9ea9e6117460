"""Deadlines in working days: weekends and each nation's bank holidays do not count."""

import datetime

import pytest

from casework.working_days import add_working_days, is_working_day, working_days_between

D = datetime.date


def test_a_weekend_is_skipped():
    assert add_working_days(D(2026, 11, 27), 1, "ENG") == D(2026, 11, 30)  # Friday -> Monday


def test_across_christmas_and_boxing_day_observed():
    # Thu 24 Dec 2026 +1: Fri 25 Christmas, weekend, Mon 28 Boxing Day (observed) -> Tue 29.
    assert add_working_days(D(2026, 12, 24), 1, "ENG") == D(2026, 12, 29)


@pytest.mark.parametrize(
    "nation, due",
    [
        ("ENG", D(2027, 1, 4)),  # New Year's Day Fri, weekend -> Monday 4th
        ("NIR", D(2027, 1, 4)),
        ("SCT", D(2027, 1, 5)),  # Scotland's 2 January holiday falls on Saturday, observed Monday 4th
    ],
)
def test_across_the_year_end(nation, due):
    assert add_working_days(D(2026, 12, 31), 1, nation) == due


@pytest.mark.parametrize(
    "start, nation, due",
    [
        (D(2026, 8, 28), "ENG", D(2026, 9, 1)),  # August bank holiday is the last Monday in England
        (D(2026, 8, 28), "SCT", D(2026, 8, 31)),  # ... and the first Monday in Scotland
        (D(2027, 3, 16), "NIR", D(2027, 3, 18)),  # St Patrick's Day in Northern Ireland only
        (D(2027, 3, 16), "ENG", D(2027, 3, 17)),
        (D(2026, 7, 10), "NIR", D(2026, 7, 14)),  # the Twelfth (a Sunday) observed on Monday 13th
    ],
)
def test_each_nation_has_its_own_bank_holidays(start, nation, due):
    assert add_working_days(start, 1, nation) == due


def test_the_government_target_of_twenty_working_days_across_christmas():
    # From Friday 27 Nov 2026: 20 working days, with Christmas, Boxing Day (observed) in England.
    due = add_working_days(D(2026, 11, 27), 20, "ENG")
    assert due == D(2026, 12, 29)
    assert working_days_between(D(2026, 11, 27), due, "ENG") == 20
    # In Scotland St Andrew's Day (Mon 30 Nov) also falls inside: one day later.
    assert add_working_days(D(2026, 11, 27), 20, "SCT") == D(2026, 12, 30)


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(D(2026, 12, 25), 0, "ENG") == D(2026, 12, 25)
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(D(2026, 12, 25), -1, "ENG")


def test_is_working_day():
    assert not is_working_day(D(2026, 12, 25), "ENG")
    assert not is_working_day(D(2026, 11, 28), "ENG")  # Saturday
    assert is_working_day(D(2026, 11, 30), "ENG")
    assert not is_working_day(D(2026, 11, 30), "SCT")  # St Andrew's Day
