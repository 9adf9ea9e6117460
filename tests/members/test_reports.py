"""members/reports.py: the membership chart's counts, moved out of its view (issue #12 item 4)."""

from datetime import date

from django.utils import timezone

from labourhub.models import Constituency
from members.reports import membership_by_month
from tests.members.factories import MemberFactory


def _months_ago(n):
    today = timezone.localdate().replace(day=1)
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return date(year, month + 1, 1)


def test_counts_members_joined_and_lapsed_per_month_in_the_given_clps_only(anytown, otherton):
    MemberFactory(constituency=anytown.constituency, joined_on=_months_ago(30))
    MemberFactory(constituency=anytown.constituency, joined_on=_months_ago(5))
    MemberFactory(constituency=anytown.constituency, joined_on=_months_ago(30), lapsed_on=_months_ago(2))
    MemberFactory(constituency=otherton.constituency, joined_on=_months_ago(5))

    rows = membership_by_month(constituencies=Constituency.objects.filter(pk=anytown.constituency.pk))
    assert len(rows) == 24 and rows[-1].month == f"{_months_ago(0):%Y-%m}"
    by_month = {row.month: row for row in rows}
    five, two = by_month[f"{_months_ago(5):%Y-%m}"], by_month[f"{_months_ago(2):%Y-%m}"]
    assert (five.members, five.joined, five.lapsed) == (3, 1, 0)  # Otherton's joiner is not counted
    assert (two.members, two.joined, two.lapsed) == (2, 0, 1)
    assert rows[-1].members == 2
    assert membership_by_month(constituencies=Constituency.objects.none())[-1].members == 0
