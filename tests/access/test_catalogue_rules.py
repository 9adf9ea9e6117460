"""Issue 10, findings 1 and 2: the catalogue of tools decides who gets which role, so only the
platform operator changes it; no tool hands out a role its deciders could not, auto-approval is
only for the lowest roles, and every change is audited and shown on the public rules page."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from access.models import Holding, Tool
from access.services import AccessError, request_decide
from labourhub.models import AuditEvent, Grant, Role
from labourhub.scoping import Action, can
from tests.access.factories import ToolFactory, make_eligible, submit
from tests.conftest import make_clp, make_persona
from tests.factories import RegionFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


def _tool_post(**changes):
    data = {
        "name": "CLP admin",
        "slug": "clp-admin",
        "description": "",
        "role": Role.CLP_SECRETARY,
        "level": "constituency",
        "training_months": "",
        "requires_role": "",
        "endorser_roles": [Role.CLP_OFFICER],
        "approver_roles": [Role.REGIONAL_STAFF],
        "decision_hours": 48,
        "default_days": 365,
        "max_days": 730,
        "auto_approve": "on",
        "is_active": "on",
    }
    return data | changes


def test_regional_staff_cannot_make_a_tool_that_makes_them_clp_secretary(client, anytown, regional_officer):
    """The attack: add an auto-approved CLP-secretary tool, then ask for it in a CLP of the region."""
    client.force_login(regional_officer)
    response = client.post(reverse("admin:access_tool_add"), _tool_post())
    assert response.status_code == 403
    assert not Tool.objects.exists()
    assert not can(regional_officer, Action.VIEW_MEMBERS, anytown.constituency)


def test_regional_staff_cannot_turn_on_auto_approve_for_the_national_catalogue(
    client, anytown, regional_officer, canvassing
):
    """The attack from another region: switch on auto-approve for everyone's Canvassing tool."""
    eastland = RegionFactory(name="Eastland", code="E15000098")
    make_clp("Easton", "E14000950", eastland)  # so Eastland's staff have an admin at all
    eastern_staff = make_persona("staff@eastland.example", "Eastland Staff", Role.REGIONAL_STAFF, eastland)
    client.force_login(eastern_staff)
    url = reverse("admin:access_tool_change", args=[canvassing.pk])
    post = _tool_post(
        name="Canvassing", slug="canvassing", role=Role.CANVASSER, endorser_roles=[Role.CLP_SECRETARY]
    )
    post.pop("training_months")
    response = client.post(url, post | {"needs_endorsement": ""})
    canvassing.refresh_from_db()
    assert not canvassing.auto_approve and canvassing.needs_endorsement, response.status_code
    client.force_login(regional_officer)  # of the tool's own users' region: no better
    client.post(url, post | {"needs_endorsement": ""})
    canvassing.refresh_from_db()
    assert not canvassing.auto_approve and canvassing.needs_endorsement


def test_regional_staff_still_read_the_catalogue_in_the_admin(client, anytown, regional_officer, canvassing):
    client.force_login(regional_officer)
    page = client.get(reverse("admin:access_tool_change", args=[canvassing.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_operator_edits_the_catalogue_and_the_change_is_audited_and_public(client, canvassing):
    operator = UserFactory(
        email="operator@labourhub.example", full_name="Olive Operator", is_superuser=True, is_staff=True
    )
    with_totp(operator)
    client.force_login(operator)
    url = reverse("admin:access_tool_change", args=[canvassing.pk])
    post = _tool_post(
        name="Canvassing",
        slug="canvassing",
        role=Role.CANVASSER,
        endorser_roles=[Role.CLP_SECRETARY, Role.CLP_OFFICER],
        training_months=24,
        decision_hours=24,
        needs_endorsement="on",
        requires_good_standing="on",
    )
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:3000]
    canvassing.refresh_from_db()
    assert canvassing.auto_approve and canvassing.decision_hours == 24
    event = AuditEvent.objects.get(action="access.tool.change")
    assert event.user == operator
    assert event.detail["changes"]["auto_approve"] == [False, True]
    assert event.detail["changes"]["decision_hours"] == [48, 24]
    client.logout()
    rules = client.get(reverse("access:rules")).content.decode()
    assert "Changes to these rules" in rules
    assert "Olive Operator" in rules and "Canvassing" in rules
    assert "Auto approve: no → yes" in rules or "auto-approve: no → yes" in rules.lower()


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.CLP_OFFICER, Role.CLP_SECRETARY, Role.ADMIN, ""])
def test_only_the_lowest_roles_may_be_approved_automatically(role):
    tool = Tool(name="T", slug="t", role=role, auto_approve=True, endorser_roles=[Role.CLP_SECRETARY])
    with pytest.raises(ValidationError, match="approved automatically"):
        tool.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ToolFactory(role=role, auto_approve=True, endorser_roles=[Role.CLP_SECRETARY])


@pytest.mark.parametrize("role", [Role.CANVASSER, Role.TELLER])
def test_canvassers_and_tellers_may_be_approved_automatically(role):
    Tool(name="T", slug="t", role=role, auto_approve=True).full_clean()


@pytest.mark.parametrize(
    ("role", "endorsers", "approvers"),
    [
        (Role.CLP_SECRETARY, [Role.CLP_OFFICER], [Role.REGIONAL_STAFF]),
        (Role.ADMIN, [Role.CLP_SECRETARY], [Role.REGIONAL_STAFF]),
        (Role.REGIONAL_STAFF, [Role.CLP_SECRETARY], [Role.ADMIN]),
        (Role.CLP_OFFICER, [Role.CLP_OFFICER], [Role.REGIONAL_STAFF]),  # an officer cannot make an officer
        (Role.ORGANISER, [Role.CLP_SECRETARY], [Role.ORGANISER]),
    ],
)
def test_no_tool_hands_out_a_role_its_deciders_could_not(role, endorsers, approvers):
    tool = Tool(name="T", slug="t", role=role, endorser_roles=endorsers, approver_roles=approvers)
    with pytest.raises(ValidationError, match="cannot hand out"):
        tool.full_clean()


def test_a_bad_tool_in_the_database_still_grants_nothing(anytown, regional_officer):
    """Validation in the admin is not the only guard: the services refuse such a tool too."""
    tool = ToolFactory(
        name="CLP admin",
        slug="clp-admin",
        role=Role.CLP_SECRETARY,
        training_months=None,
        requires_good_standing=False,
        needs_endorsement=False,
    )
    secretary = anytown.user(Role.CLP_SECRETARY)
    with pytest.raises(AccessError, match="cannot hand out"):
        submit(tool, anytown.user(Role.CANVASSER), anytown.constituency, submitted_by=secretary)
    assert not Holding.unscoped.exists()
    assert not Grant.objects.filter(role=Role.CLP_SECRETARY, user=anytown.user(Role.CANVASSER)).exists()


def test_a_tool_whose_rules_became_bad_is_not_approved(anytown, regional_officer, member):
    tool = ToolFactory(name="Organising", slug="organising", role=Role.ORGANISER, training_months=None)
    access_request = submit(tool, member, anytown.constituency)
    request_decide(
        access_request_id=access_request.pk,
        user=anytown.user(Role.CLP_SECRETARY),
        decision="endorse",
        expected_status="endorsement",
    )
    Tool.objects.filter(pk=tool.pk).update(role=Role.CLP_SECRETARY)  # bypassing every form
    with pytest.raises(AccessError, match="cannot hand out"):
        request_decide(
            access_request_id=access_request.pk,
            user=regional_officer,
            decision="approve",
            expected_status="review",
        )
    assert not Grant.objects.filter(user=member, role=Role.ORGANISER).exists()


def test_tool_for_the_demo_catalogue_all_valid(db):
    from access.demo import CATALOGUE

    for slug, name, role, level, description, rules in CATALOGUE:
        Tool(slug=slug, name=name, role=role, level=level, description=description, **rules).full_clean()


def test_another_regions_member_is_not_auto_approved_through_an_edited_tool(client, canvassing):
    """Finding 2's outcome: a member in another region still needs a decision from their own region."""
    eastland = RegionFactory(name="Eastland", code="E15000098")
    make_clp("Easton", "E14000950", eastland)  # so Eastland's staff have an admin at all
    eastern_staff = make_persona("staff@eastland.example", "Eastland Staff", Role.REGIONAL_STAFF, eastland)
    client.force_login(eastern_staff)
    client.post(
        reverse("admin:access_tool_change", args=[canvassing.pk]),
        _tool_post(name="Canvassing", slug="canvassing", role=Role.CANVASSER, needs_endorsement=""),
    )
    westland_clp = make_clp("Westville", "E14000903", RegionFactory(name="Westland", code="E15000099"))
    person = make_eligible(
        UserFactory(email="new@westville.example", full_name="New Westville"), westland_clp.constituency
    )
    access_request = submit(Tool.objects.get(pk=canvassing.pk), person, westland_clp.constituency)
    assert access_request.status == "endorsement"
    assert not Grant.objects.filter(user=person).exists()
