"""Every list page answers in the same number of queries for 2 rows as for 25 (pinned here)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import Delegation
from access.services import request_decide
from labourhub.models import Role
from labourhub.services import audit_record
from tests.access.factories import ToolFactory, approved, make_eligible, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def _tools(count, **rules):
    return [ToolFactory(name=f"Tool {n}", slug=f"tool-{n}", role="", **rules) for n in range(count)]


def _same_for_few_and_many(client, url, grow, pin):
    """Measure with a few rows, add many more, measure again: the count must not move."""
    few = _queries(client, url)
    grow()
    many = _queries(client, url)
    assert few == many, f"{url}: {few} queries with a few rows, {many} with many"
    assert many <= pin, f"{url}: {many} queries, pinned at {pin}"


def test_rules_page(client):
    _tools(2)
    # The tools, and the catalogue's latest changes with who made them.
    _same_for_few_and_many(client, reverse("access:rules"), lambda: _tools(25), pin=2)


def test_my_requests_and_holdings(client, anytown, regional_officer):
    member = make_eligible(
        UserFactory(email="many@anytown.example", full_name="Manny Anytownson"), anytown.constituency
    )
    deciders = {"endorser": anytown.user(Role.CLP_SECRETARY), "reviewer": regional_officer}

    def ask_and_hold(tools):
        for tool in tools:
            if tool.description == "held":
                approved(tool, member, anytown.constituency, **deciders)
            else:
                submit(tool, member, anytown.constituency)

    ask_and_hold(_tools(2, description="held"))
    client.force_login(member)
    more = [
        ToolFactory(name=f"More {n}", slug=f"more-{n}", role="", description="held" if n % 2 == 0 else "")
        for n in range(25)
    ]
    _same_for_few_and_many(client, reverse("access:index"), lambda: ask_and_hold(more), pin=11)


def test_reports(client, anytown, regional_officer):
    secretary = anytown.user(Role.CLP_SECRETARY)

    def requests(start, count):
        for n in range(start, start + count):
            user = make_eligible(
                UserFactory(email=f"r{n}@anytown.example", full_name=f"R{n} Anytownson"), anytown.constituency
            )
            access_request = submit(
                ToolFactory(name=f"R {n}", slug=f"r-{n}", role=""), user, anytown.constituency
            )
            decision = "refuse" if n % 2 else "endorse"
            request_decide(
                access_request_id=access_request.pk,
                user=secretary,
                decision=decision,
                expected_status="endorsement",
                note="Not in Anytown any more",
            )

    requests(0, 2)
    client.force_login(regional_officer)
    _same_for_few_and_many(client, reverse("access:reports"), lambda: requests(2, 25), pin=10)


def test_audit_log(client, anytown, regional_officer):
    def events(count):
        for n in range(count):
            audit_record(action=f"test.event{n}", constituency=anytown.constituency, detail={"n": n})

    events(2)
    client.force_login(regional_officer)
    _same_for_few_and_many(client, reverse("access:audit"), lambda: events(150), pin=10)


def test_delegations(client, anytown):
    secretary = anytown.user(Role.CLP_SECRETARY)
    today = timezone.localdate()

    def delegations(start, count):
        for n in range(start, start + count):
            delegate = UserFactory(email=f"d{n}@anytown.example", full_name=f"D{n} Anytownson")
            Delegation.objects.create(
                delegator=secretary,
                delegate=delegate,
                starts_on=today + timedelta(days=n),
                ends_on=today + timedelta(days=n + 1),
            )

    delegations(0, 2)
    client.force_login(secretary)
    _same_for_few_and_many(client, reverse("access:delegations"), lambda: delegations(2, 25), pin=5)
