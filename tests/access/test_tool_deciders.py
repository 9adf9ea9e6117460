"""Each tool names who endorses and who approves; queues, decisions and notifications follow it."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from access.deciders import endorser_queue, reviewer_queue
from access.models import Notification, Status, Tool
from access.services import AccessError, delegation_create, request_decide
from labourhub.models import Role
from tests.access.factories import ToolFactory, submit
from tests.access.test_admin import operator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def decide(access_request, by, decision, expected_status):
    return request_decide(
        access_request_id=access_request.pk, user=by, decision=decision, expected_status=expected_status
    )


@pytest.fixture
def officer_endorsed_tool(db):
    """Endorsed by a CLP officer only (not the secretary); approved by the CLP's area administrator."""
    return ToolFactory(
        name="Insight",
        slug="insight",
        role="",
        endorser_roles=[Role.CLP_OFFICER],
        approver_roles=[Role.ADMIN],
    )


def test_new_tools_keep_todays_deciders(canvassing):
    assert canvassing.endorser_roles == [Role.CLP_SECRETARY, Role.CLP_OFFICER]
    assert canvassing.approver_roles == [Role.REGIONAL_STAFF]
    assert canvassing.endorsers_in_words == "CLP secretary or CLP officer"
    assert canvassing.approvers_in_words == "Regional staff"


def test_the_tools_roles_decide_and_hear_about_it(
    member, anytown, canvassing, officer_endorsed_tool, anytown_endorser, regional_officer
):
    officer, area_admin = anytown.user(Role.CLP_OFFICER), anytown.user(Role.ADMIN)
    access_request = submit(officer_endorsed_tool, member, anytown.constituency)
    told = set(Notification.objects.filter(request=access_request).values_list("to", flat=True))
    assert officer.pk in told and anytown_endorser.pk not in told

    # The secretary endorses other tools, not this one: not in their queue, and refused.
    assert access_request not in endorser_queue(anytown_endorser)
    assert access_request in endorser_queue(officer)
    with pytest.raises(AccessError, match="may not decide"):
        decide(access_request, anytown_endorser, "endorse", Status.ENDORSEMENT)
    decide(access_request, officer, "endorse", Status.ENDORSEMENT)

    # Regional staff approve other tools; here the CLP's area administrator approves.
    assert access_request not in reviewer_queue(regional_officer)
    assert access_request in reviewer_queue(area_admin)
    with pytest.raises(AccessError, match="may not decide"):
        decide(access_request, regional_officer, "approve", Status.REVIEW)
    decide(access_request, area_admin, "approve", Status.REVIEW)
    access_request.refresh_from_db()
    assert access_request.status == Status.APPROVED


def test_more_than_one_decider_and_never_ones_own(anytown, officer_endorsed_tool):
    officer = anytown.user(Role.CLP_OFFICER)
    second = UserFactory(email="second-officer@anytown.example", full_name="Sam Anytownson")
    from labourhub.services import grant_create

    grant_create(user=second, role=Role.CLP_OFFICER, area=anytown.constituency)
    access_request = submit(officer_endorsed_tool, officer, anytown.constituency)
    assert access_request not in endorser_queue(officer)
    with pytest.raises(AccessError, match="Nobody may decide their own request"):
        decide(access_request, officer, "endorse", Status.ENDORSEMENT)
    decide(access_request, second, "endorse", Status.ENDORSEMENT)


def test_delegation_follows_the_tools_roles(member, anytown, officer_endorsed_tool, anytown_endorser):
    officer = anytown.user(Role.CLP_OFFICER)
    today = timezone.localdate()
    for_secretary = UserFactory(email="for-secretary@anytown.example", full_name="Sue Anytown")
    for_officer = UserFactory(email="for-officer@anytown.example", full_name="Otto Anytown")
    delegation_create(delegator=anytown_endorser, delegate=for_secretary, starts_on=today, ends_on=today)
    delegation_create(
        delegator=officer, delegate=for_officer, starts_on=today, ends_on=today + timedelta(days=3)
    )
    access_request = submit(officer_endorsed_tool, member, anytown.constituency)
    with pytest.raises(AccessError, match="may not decide"):
        decide(access_request, for_secretary, "endorse", Status.ENDORSEMENT)
    decide(access_request, for_officer, "endorse", Status.ENDORSEMENT)
    endorsement = access_request.decisions.get(outcome="endorsed")
    assert endorsement.by == for_officer and endorsement.on_behalf_of == officer


def test_a_role_may_not_both_endorse_and_approve(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ToolFactory(endorser_roles=[Role.CLP_SECRETARY], approver_roles=[Role.CLP_SECRETARY])
    with pytest.raises(IntegrityError), transaction.atomic():
        ToolFactory(endorser_roles=[], approver_roles=[Role.REGIONAL_STAFF])


def _tool_form(tool, **changes):
    data = {
        "name": tool.name,
        "slug": tool.slug,
        "description": "",
        "role": tool.role,
        "level": tool.level,
        "requires_good_standing": "on",
        "training_months": 12,
        "requires_role": "",
        "needs_endorsement": "on",
        "endorser_roles": [Role.CLP_SECRETARY],
        "approver_roles": [Role.REGIONAL_STAFF, Role.ADMIN],
        "decision_hours": 48,
        "default_days": 100,
        "max_days": 200,
        "is_active": "on",
    }
    return data | changes


def test_the_operator_chooses_the_deciders_in_the_admin(client, anytown, canvassing):
    client.force_login(operator())
    url = reverse("admin:access_tool_change", args=[canvassing.pk])
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="endorser_roles" value="clp_officer"' in page
    response = client.post(url, _tool_form(canvassing))
    assert response.status_code == 302, response.content.decode()[:2000]
    canvassing.refresh_from_db()
    assert canvassing.endorser_roles == [Role.CLP_SECRETARY]
    assert canvassing.approver_roles == [Role.REGIONAL_STAFF, Role.ADMIN]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"approver_roles": [Role.CLP_SECRETARY]}, "CLP secretary cannot both endorse and approve"),
        ({"endorser_roles": []}, "This field is required"),
    ],
)
def test_bad_decider_choices_are_refused_with_a_reason(client, anytown, canvassing, changes, error):
    client.force_login(operator())
    url = reverse("admin:access_tool_change", args=[canvassing.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _tool_form(canvassing, **changes))
    assert response.status_code == 200 and error in response.content.decode()
    assert Tool.objects.get(pk=canvassing.pk).endorser_roles == [Role.CLP_SECRETARY, Role.CLP_OFFICER]


def test_rules_and_request_pages_say_who_decides(client, member, anytown, officer_endorsed_tool):
    rules = client.get(reverse("access:rules")).content.decode()
    assert "Endorsed by any CLP officer of the CLP, then approved by any Area administrator" in rules
    assert "to the Area administrator, then to the regional director, then to the national contact" in rules
    access_request = submit(officer_endorsed_tool, member, anytown.constituency)
    client.force_login(member)
    page = client.get(reverse("access:request", args=[access_request.pk])).content.decode()
    assert "Endorsed by any CLP officer of the CLP, then approved by any Area administrator" in page
    form = client.get(
        reverse("access:conditions"),
        {"tool": officer_endorsed_tool.pk, "constituency": anytown.constituency.pk},
    ).content.decode()
    assert "Endorsed by any CLP officer of" in form
