"""The report of requests and times to answer per CLP and region (issue 16, item 1): the counts, the
median days to answer (the day of receipt as day one) and the share answered by the due date."""

import datetime

import pytest

from labourhub.dataprotection.models import RequestStatus
from labourhub.dataprotection.report import requests_report
from labourhub.models import Role
from tests.dataprotection.factories import SubjectRequestFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)


def _request(anytown, received, status=RequestStatus.RECEIVED, closed=None, due=None):
    return SubjectRequestFactory(
        constituency=anytown.constituency,
        received_on=received,
        status=status,
        closed_on=closed,
        **({"due_on": due} if due else {}),
    )


def test_the_report_counts_each_clp_and_its_region_with_times_to_answer(anytown, otherton):
    d = datetime.date
    _request(
        anytown, d(2026, 9, 3), RequestStatus.ANSWERED, closed=d(2026, 9, 12), due=d(2026, 10, 3)
    )  # 10 days
    _request(
        anytown, d(2026, 9, 3), RequestStatus.ANSWERED, closed=d(2026, 10, 9), due=d(2026, 10, 5)
    )  # 37, late
    _request(
        anytown, d(2026, 10, 1), RequestStatus.ANSWERED, closed=d(2026, 10, 20), due=d(2026, 11, 2)
    )  # 20
    _request(anytown, d(2026, 10, 1), due=d(2026, 11, 2))  # open and overdue
    _request(anytown, d(2026, 11, 20), due=d(2026, 12, 21))  # open
    _request(anytown, d(2026, 10, 5), RequestStatus.REFUSED, closed=d(2026, 10, 6), due=d(2026, 11, 5))
    _request(otherton, d(2026, 10, 5), RequestStatus.WITHDRAWN, closed=d(2026, 10, 6), due=d(2026, 11, 5))

    report = requests_report(anytown.user(Role.DATA_PROTECTION_LEAD), today=TODAY)
    [line] = report.clps
    assert (line.received, line.open, line.overdue) == (6, 2, 1)
    assert (line.answered, line.refused, line.withdrawn) == (3, 1, 0)
    assert line.median_days == 20
    assert line.on_time_share == pytest.approx(2 / 3)

    since = requests_report(anytown.user(Role.DATA_PROTECTION_LEAD), today=TODAY, since=d(2026, 10, 1))
    assert since.clps[0].received == 4 and since.clps[0].median_days == 20
