"""Casework pages run a fixed number of queries, however many cases and entries they show, pinned
exactly (issue 15's benchmark: "a fixed number of queries per page"). Each count includes the
session, the user with its two-factor check (one statement: labourhub/session_auth.py) and the
audit row; a case page reads the case once through
the seal and its own rows (timeline, assignees, chasers, attachments, consents) through it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.casework.factories import TimelineEntryFactory, TopicFactory, case_in, late_cases_with_chasers

pytestmark = pytest.mark.django_db

MY_CASES = 7  # session, user with 2FA, memberships, audit, chasers, overdue, the rest
OFFICE_LIST = 8  # session, user with 2FA, membership, the page's ids, audit, topics, owners, the page
SEARCH = 8
# With chasers to send: how many, and the first page of them (casework/_chasers.html).
MY_CASES_CHASERS = MY_CASES + 1
OFFICE_OVERDUE_CHASERS = OFFICE_LIST + 2
# session, user with 2FA, the case (through the seal), audit, assignees, the people it may be given to,
# agencies (status form: an open case), timeline, chasers, attachments, consents, further
# constituents, third parties, links from and links to the case
CASE_PAGE = 15
# With links: which of the linked cases the reader sees (one query through the seal).
CASE_PAGE_LINKED = CASE_PAGE + 1


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_cases(anytown, office, n):
    topic = TopicFactory(office=office["office"], name=f"Topic for {n}")
    for _ in range(n):
        case = case_in(anytown, topic=topic, assignees=[office["lead"]])
        TimelineEntryFactory(case=case)


@pytest.mark.parametrize(("page", "expected"), [("my_cases", MY_CASES), ("office_cases", OFFICE_LIST)])
def test_list_pages_query_count_does_not_grow_with_cases(client, anytown, office, page, expected):
    client.force_login(office["worker"])
    url = reverse(f"casework:{page}", args=[office["office"].pk] if page == "office_cases" else [])
    _add_cases(anytown, office, 2)
    few = _queries(client, url)
    _add_cases(anytown, office, 25)
    many = _queries(client, url)
    assert many == few == expected, (few, many)


@pytest.mark.parametrize(
    ("page", "query", "expected"),
    [("my_cases", "", MY_CASES_CHASERS), ("office_cases", "?overdue=on", OFFICE_OVERDUE_CHASERS)],
)
def test_list_pages_query_count_does_not_grow_with_chasers(client, anytown, office, page, query, expected):
    client.force_login(office["worker"])
    url = reverse(f"casework:{page}", args=[office["office"].pk] if page == "office_cases" else []) + query
    late_cases_with_chasers(anytown, 2)
    few = _queries(client, url)
    late_cases_with_chasers(anytown, 30)  # more than a page of them
    many = _queries(client, url)
    assert many == few == expected, (few, many)


def test_case_page_query_count_does_not_grow_with_its_timeline(client, anytown, office):
    client.force_login(office["worker"])
    case = case_in(anytown, assignees=[office["lead"], office["mine"]])
    url = reverse("casework:case", args=[case.pk])
    TimelineEntryFactory(case=case)
    few = _queries(client, url)
    for _ in range(20):
        TimelineEntryFactory(case=case, author=office["lead"])
    many = _queries(client, url)
    assert many == few == CASE_PAGE, (few, many)


# Found: 9 (ids, then the page of them); a reference that matches no case: 8 (no page to read).
@pytest.mark.parametrize(
    ("q", "expected"),
    [("Anytown Constituent", SEARCH), ("ANY/3/2026", SEARCH - 1), ("AB1 2CD", SEARCH), ("AB1", SEARCH)],
)
def test_search_query_count_is_fixed_by_name_reference_and_postcode(client, anytown, office, q, expected):
    client.force_login(office["worker"])
    url = reverse("casework:office_cases", args=[office["office"].pk]) + f"?status=all&q={q}"
    _add_cases(anytown, office, 3)
    few = _queries(client, url)
    _add_cases(anytown, office, 25)
    many = _queries(client, url)
    assert many == few == expected, (few, many)


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


def test_case_page_query_count_is_fixed_with_other_people_and_links(client, anytown, office):
    from casework import services
    from tests.casework.mail import PDF

    client.force_login(office["worker"])
    case = case_in(anytown)
    url = reverse("casework:case", args=[case.pk])

    def add(n):
        for i in range(n):
            services.case_constituent_add(user=office["worker"], case=case, name=f"Joint {n} {i}")
            services.third_party_add(user=office["worker"], case=case, name=f"Helper {n} {i}", relationship="relative",
                                     authority_signed_on=case.opened_on, authority_held="signed_form",
                                     form_upload=("form.pdf", PDF))  # fmt: skip
            services.case_link(user=office["lead"], case=case_in(anytown, owner=office["lead"], sensitive=i % 2 == 1),
                               other=case, kind="related", reason="Same street")  # fmt: skip

    add(1)
    few = _queries(client, url)
    add(6)
    many = _queries(client, url)
    assert many == few == CASE_PAGE_LINKED, (few, many)
