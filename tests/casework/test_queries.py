"""Casework pages run a fixed number of queries, however many cases and entries they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.casework.factories import TimelineEntryFactory, TopicFactory, case_in

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_cases(anytown, office, n):
    topic = TopicFactory(office=office["office"], name=f"Topic for {n}")
    for _ in range(n):
        case = case_in(anytown, topic=topic, assignees=[office["lead"]])
        TimelineEntryFactory(case=case)


@pytest.mark.parametrize("page", ["my_cases", "office_cases"])
def test_list_pages_query_count_does_not_grow_with_cases(client, anytown, office, page):
    client.force_login(office["worker"])
    url = reverse(f"casework:{page}", args=[office["office"].pk] if page == "office_cases" else [])
    _add_cases(anytown, office, 2)
    few = _queries(client, url)
    _add_cases(anytown, office, 25)
    many = _queries(client, url)
    assert many == few, (few, many)
    assert few <= 16


def test_case_page_query_count_does_not_grow_with_its_timeline(client, anytown, office):
    client.force_login(office["worker"])
    case = case_in(anytown, assignees=[office["lead"], office["mine"]])
    url = reverse("casework:case", args=[case.pk])
    TimelineEntryFactory(case=case)
    few = _queries(client, url)
    for _ in range(20):
        TimelineEntryFactory(case=case, author=office["lead"])
    many = _queries(client, url)
    assert many == few, (few, many)
    assert few <= 18


@pytest.mark.parametrize("q", ["Anytown Constituent", "ANY/3/2026", "AB1 2CD", "AB1"])
def test_search_query_count_is_fixed_by_name_reference_and_postcode(client, anytown, office, q):
    client.force_login(office["worker"])
    url = reverse("casework:office_cases", args=[office["office"].pk]) + f"?status=all&q={q}"
    _add_cases(anytown, office, 3)
    few = _queries(client, url)
    _add_cases(anytown, office, 25)
    many = _queries(client, url)
    assert many == few, (few, many)
    assert few <= 16


def test_reports_page_query_count_does_not_grow_with_cases(client, anytown, office, dwp):
    client.force_login(office["lead"])
    url = reverse("casework:office_reports", args=[office["office"].pk])
    _add_cases(anytown, office, 2)
    few = _queries(client, url)
    _add_cases(anytown, office, 25)
    many = _queries(client, url)
    assert many == few, (few, many)
    assert few <= 20


def test_clp_counts_page_query_count_is_fixed(client, anytown, office):
    from casework.models import Office
    from labourhub.models import Role

    Office.objects.filter(pk=office["office"].pk).update(share_counts_with_clp=True)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    url = reverse("casework:clp_counts", args=[anytown.constituency.pk])
    _add_cases(anytown, office, 2)
    few = _queries(client, url)
    _add_cases(anytown, office, 25)
    assert _queries(client, url) == few
    assert few <= 14
