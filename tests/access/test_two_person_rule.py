"""Issue 10, finding 3: two different PEOPLE decide a request, counting whoever a delegate acts for."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import Decision, Delegation, Status
from access.services import AccessError, delegation_create, request_decide
from labourhub.models import Grant, Role
from tests.access.factories import submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def decide(access_request, by, decision):
    status = Status.ENDORSEMENT if decision == "endorse" else Status.REVIEW
    return request_decide(
        access_request_id=access_request.pk, user=by, decision=decision, expected_status=status
    )


def _away(delegator, delegate):
    """A delegation in force today, made directly (as one made before the rule, or before the
    delegate took a second role, would be)."""
    today = timezone.localdate()
    return Delegation.objects.create(
        delegator=delegator, delegate=delegate, starts_on=today, ends_on=today + timedelta(days=7)
    )


def test_a_delegate_who_endorsed_for_an_officer_cannot_then_approve(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    """The attack: an officer delegates to a regional reviewer, who endorses for them, then approves."""
    _away(anytown_endorser, regional_officer)
    access_request = submit(canvassing, member, anytown.constituency)
    decide(access_request, regional_officer, "endorse")
    assert access_request.decisions.get(outcome=Decision.Outcome.ENDORSED).on_behalf_of == anytown_endorser
    with pytest.raises(AccessError, match="two different people"):
        decide(access_request, regional_officer, "approve")
    assert not Grant.objects.filter(user=member, role=Role.CANVASSER).exists()


def test_an_endorser_cannot_approve_as_a_reviewers_delegate(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    _away(regional_officer, anytown_endorser)
    access_request = submit(canvassing, member, anytown.constituency)
    decide(access_request, anytown_endorser, "endorse")
    with pytest.raises(AccessError, match="two different people"):
        decide(access_request, anytown_endorser, "approve")
    assert access_request.decisions.filter(outcome=Decision.Outcome.APPROVED).count() == 0


def test_a_different_reviewer_approves_as_usual(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    decide(access_request, anytown_endorser, "endorse")
    decide(access_request, regional_officer, "approve")
    assert Grant.objects.filter(user=member, role=Role.CANVASSER).exists()


def test_an_officer_who_asked_on_someones_behalf_cannot_endorse_it(
    member, canvassing, anytown, anytown_endorser
):
    access_request = submit(canvassing, member, anytown.constituency, submitted_by=anytown_endorser)
    with pytest.raises(AccessError, match="asked for it on"):
        decide(access_request, anytown_endorser, "endorse")
    decide(access_request, anytown.user(Role.CLP_OFFICER), "endorse")  # another officer may


def test_nobody_decides_their_own_request_through_a_delegate(anytown, canvassing):
    officer = anytown.user(Role.CLP_OFFICER)
    stand_in = UserFactory(email="stand-in@anytown.example", full_name="Stella Anytown")
    _away(officer, stand_in)
    access_request = submit(canvassing, officer, anytown.constituency)
    with pytest.raises(AccessError, match="their own request"):
        decide(access_request, stand_in, "endorse")


def test_delegation_to_someone_who_decides_at_another_step_is_refused(
    anytown, anytown_endorser, regional_officer, canvassing
):
    today = timezone.localdate()
    for delegator, delegate in [(anytown_endorser, regional_officer), (regional_officer, anytown_endorser)]:
        with pytest.raises(AccessError, match="already decides"):
            delegation_create(delegator=delegator, delegate=delegate, starts_on=today, ends_on=today)
    assert not Delegation.objects.exists()
    # To someone at the same step, it is fine.
    delegation_create(
        delegator=anytown_endorser, delegate=anytown.user(Role.CLP_OFFICER), starts_on=today, ends_on=today
    )


def test_the_status_page_offers_no_approval_to_whoever_endorsed(
    client, member, canvassing, anytown, anytown_endorser, regional_officer
):
    _away(anytown_endorser, regional_officer)
    access_request = submit(canvassing, member, anytown.constituency)
    decide(access_request, regional_officer, "endorse")
    client.force_login(regional_officer)
    page = client.get(reverse("access:request", args=[access_request.pk])).content.decode()
    assert "two different people decide" in page
    assert 'value="approve"' not in page and 'value="refuse"' in page
