"""Chasers to send on the lists: the office's overdue list and "my cases" show how many there are and
the first page, the longest late first, and link to the chaser pages, which page through the rest
and keep the list's filters; a chaser shows only to those who see its case."""

import re

import pytest
from django.urls import reverse

from casework.models import Chaser
from casework.views import CHASERS_PAGE_SIZE
from labourhub.models import Role
from tests.casework.factories import late_cases_with_chasers

pytestmark = pytest.mark.django_db

MORE = CHASERS_PAGE_SIZE + 3


def _late_cases(clp, n, **fields):
    """-> the chasers to send on `n` new late cases, the longest late first."""
    before = set(Chaser.unscoped.values_list("pk", flat=True))
    late_cases_with_chasers(clp, n, **fields)
    return list(Chaser.unscoped.exclude(pk__in=before).order_by("missed_due_on", "pk"))


def _office_url(office, name="office_cases"):
    return reverse(f"casework:{name}", args=[office["office"].pk])


def _chasers(response):
    return list(response.context["chasers"])


def _body(response):
    return response.content.decode()


def test_overdue_list_shows_the_count_and_the_first_page_of_chasers(client, anytown, office):
    chasers = _late_cases(anytown, MORE)
    client.force_login(office["worker"])
    response = client.get(_office_url(office), {"overdue": "on"})
    assert _chasers(response) == chasers[:CHASERS_PAGE_SIZE]
    page = _body(response)
    assert f"{MORE} chasers to send, the longest late first." in page
    link = f"{_office_url(office, 'office_chasers')}?overdue=on"
    assert f'<a href="{link}">all {MORE} chasers to send</a>' in page


def test_office_chaser_page_pages_through_the_rest_with_the_filters_kept(client, anytown, office):
    lead_chasers = _late_cases(anytown, MORE, owner=office["lead"])
    _late_cases(anytown, 2)  # the worker's: not the lead's
    client.force_login(office["worker"])
    overdue = client.get(_office_url(office), {"overdue": "on", "owner": office["lead"].pk})
    link = re.search(r'href="([^"]*/chasers/\?[^"]*)">all', _body(overdue)).group(1).replace("&amp;", "&")
    first = client.get(link)
    assert first.status_code == 200
    assert _chasers(first) == lead_chasers[:CHASERS_PAGE_SIZE]
    assert "Page 1 of 2" in _body(first)
    after = re.search(r'<a href="\?([^"]*)">Next</a>', _body(first)).group(1).replace("&amp;", "&")
    assert f"owner={office['lead'].pk}" in after and "overdue=on" in after
    second = client.get(_office_url(office, "office_chasers") + "?" + after)
    assert _chasers(second) == lead_chasers[CHASERS_PAGE_SIZE:]


def test_my_cases_shows_the_first_page_and_my_chaser_page_the_rest(client, anytown, office):
    mine = _late_cases(anytown, MORE)
    client.force_login(office["worker"])
    response = client.get(reverse("casework:my_cases"))
    assert _chasers(response) == mine[:CHASERS_PAGE_SIZE]
    assert f'<a href="{reverse("casework:my_chasers")}">all {MORE} chasers to send</a>' in _body(response)
    second = client.get(reverse("casework:my_chasers"), {"page": 2})
    assert _chasers(second) == mine[CHASERS_PAGE_SIZE:]
    assert "Page 2 of 2" in _body(second)


def test_a_short_list_of_chasers_has_no_link_to_more(client, anytown, office):
    [chaser] = _late_cases(anytown, 1)
    client.force_login(office["worker"])
    response = client.get(_office_url(office), {"overdue": "on"})
    assert _chasers(response) == [chaser]
    assert "1 chaser to send" in _body(response) and "/chasers/" not in _body(response)


def test_a_refused_filter_on_the_chaser_page_says_why(client, anytown, office):
    client.force_login(office["worker"])
    response = client.get(_office_url(office, "office_chasers"), {"status": "nonsense"})
    assert response.status_code == 400
    assert "Status:" in _body(response) and "chasers" not in response.context


def test_another_offices_caseworker_sees_none_of_the_chasers(client, anytown, office, other_office):
    _late_cases(anytown, 2)
    client.force_login(other_office["worker"])
    assert client.get(_office_url(office, "office_chasers")).status_code == 404
    mine = client.get(reverse("casework:my_chasers"))
    assert mine.status_code == 200 and _chasers(mine) == []
    assert "Anytown" not in _body(mine)


def test_a_caseworker_without_an_office_is_refused_the_chaser_page(client, anytown, office):
    _late_cases(anytown, 1)
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(reverse("casework:my_chasers")).status_code == 403


def test_chaser_pages_keep_to_the_cases_the_reader_sees(client, anytown, office):
    """A sensitive case's chaser shows only to its assignees and the lead; the own-cases
    caseworker sees their own cases' chasers only."""
    [sensitive] = _late_cases(anytown, 1, owner=office["lead"], sensitive=True)
    own = _late_cases(anytown, 1, owner=office["mine"])
    url = _office_url(office, "office_chasers")
    client.force_login(office["worker"])  # sees all the office's cases but the sensitive ones
    assert sensitive not in _chasers(client.get(url))
    client.force_login(office["mine"])
    assert _chasers(client.get(url)) == own
    client.force_login(office["lead"])
    assert sensitive in _chasers(client.get(url))
