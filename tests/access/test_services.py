"""The request → endorse → approve → grant → revoke flow, through the services, on real Postgres."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from access.models import AccessRequest, Decision, Holding, Notification, Status, Step
from access.services import (
    AccessError,
    holding_revoke,
    holdings_record_expired,
    request_decide,
    request_info_give,
    request_withdraw,
)
from labourhub.models import AuditEvent, Grant, Role
from labourhub.scoping import Action, can
from labourhub.services import grant_create
from tests.access.factories import ToolFactory, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def endorse(access_request, by, **kwargs):
    return request_decide(
        access_request_id=access_request.pk,
        user=by,
        decision="endorse",
        expected_status=Status.ENDORSEMENT,
        **kwargs,
    )


def approve(access_request, by, **kwargs):
    return request_decide(
        access_request_id=access_request.pk,
        user=by,
        decision="approve",
        expected_status=Status.REVIEW,
        **kwargs,
    )


def test_submit_waits_for_endorsement_and_tells_the_endorsers(member, canvassing, anytown, anytown_endorser):
    access_request = submit(canvassing, member, anytown.constituency)
    assert access_request.status == Status.ENDORSEMENT
    assert access_request.step_due_at == access_request.submitted_at + timedelta(hours=48)
    assert list(access_request.decisions.values_list("outcome", flat=True)) == ["submitted"]
    assert AuditEvent.objects.filter(
        action="access.request.submit", object_id=str(access_request.pk)
    ).exists()
    told = set(Notification.objects.filter(request=access_request).values_list("to__email", flat=True))
    assert anytown_endorser.email in told
    assert anytown.user(Role.CLP_OFFICER).email in told  # more than one possible decider
    assert member.email not in told


def test_approval_grants_the_role_and_revoking_takes_it_away(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    assert not can(member, Action.CANVASS, anytown.constituency)
    approve(access_request, regional_officer, duration_days=90)

    holding = Holding.unscoped.get(request=access_request)
    assert holding.grant.role == Role.CANVASSER
    assert holding.grant.expires_at == holding.expires_at
    assert (holding.expires_at - holding.starts_at).days == 90
    assert can(member, Action.CANVASS, anytown.constituency)
    assert not can(member, Action.VIEW_VOTERS)  # a role without MFA: no register (issue 10, item 12)
    assert list(access_request.decisions.values_list("outcome", flat=True)) == [
        "submitted",
        "endorsed",
        "approved",
    ]

    holding_revoke(holding_id=holding.pk, user=anytown_endorser, reason="Moved away from Anytown")
    assert not can(member, Action.CANVASS, anytown.constituency)
    assert Grant.all_objects.get(pk=holding.grant_id).revoked_at is not None
    assert AuditEvent.objects.filter(action="access.holding.revoke").exists()
    assert AuditEvent.objects.filter(action="grant.revoke").exists()


def test_revoked_organiser_is_refused_on_their_next_request(
    client, member, anytown, anytown_endorser, regional_officer
):
    from tests.factories import with_totp

    organising = ToolFactory(name="Organise", slug="organise", role=Role.ORGANISER)
    with_totp(member)  # organisers must use MFA
    access_request = submit(organising, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    approve(access_request, regional_officer)
    client.force_login(member)
    assert client.get("/admin/").status_code == 200

    holding_revoke(holding_id=access_request.holding.pk, user=regional_officer, reason="No longer organising")
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_expired_holding_stops_working_at_once(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    approve(access_request, regional_officer, duration_days=1)
    grant = access_request.holding.grant
    assert grant in Grant.objects.all()
    assert grant not in Grant.objects.active(timezone.now() + timedelta(days=1, seconds=1))


def test_auto_approval_when_every_condition_holds(member, anytown):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    access_request = submit(tool, member, anytown.constituency)
    assert access_request.status == Status.APPROVED
    assert access_request.decisions.last().outcome == Decision.Outcome.AUTO_APPROVED
    assert can(member, Action.CANVASS, anytown.constituency)


def test_no_auto_approval_when_a_condition_fails(anytown):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    officer = anytown.user(Role.CLP_OFFICER)  # belongs through a role, but no training
    access_request = submit(tool, officer, anytown.constituency)
    assert access_request.status == Status.ENDORSEMENT


def test_approval_refused_while_conditions_are_unmet(anytown, anytown_endorser, regional_officer, canvassing):
    officer = anytown.user(Role.CLP_OFFICER)
    access_request = submit(canvassing, officer, anytown.constituency)
    endorse(access_request, anytown_endorser)
    with pytest.raises(AccessError, match="conditions are not met: Member in good standing; Data-protection"):
        approve(access_request, regional_officer)
    assert not Holding.unscoped.exists()
    access_request.refresh_from_db()
    assert access_request.status == Status.REVIEW


def test_nobody_decides_their_own_request(anytown, canvassing):
    secretary = anytown.user(Role.CLP_SECRETARY)
    tool = ToolFactory(
        name="Insight", slug="insight", role="", requires_good_standing=False, training_months=None
    )
    access_request = submit(tool, secretary, anytown.constituency)
    with pytest.raises(AccessError, match="Nobody may decide their own request"):
        endorse(access_request, secretary)
    assert access_request.decisions.count() == 1


def test_endorser_cannot_approve(member, canvassing, anytown, anytown_endorser):
    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    with pytest.raises(AccessError, match="may not decide"):
        approve(access_request, anytown.user(Role.CLP_OFFICER))


def test_other_clps_endorser_cannot_endorse(member, canvassing, anytown, otherton):
    access_request = submit(canvassing, member, anytown.constituency)
    with pytest.raises(AccessError, match="may not decide"):
        endorse(access_request, otherton.user(Role.CLP_SECRETARY))


def test_second_decider_is_told_and_nothing_changes(member, canvassing, anytown, anytown_endorser):
    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    with pytest.raises(AccessError, match="Someone decided first.*endorsed by CLP secretary of Anytown"):
        endorse(access_request, anytown.user(Role.CLP_OFFICER))
    assert access_request.decisions.count() == 2


def test_refusal_needs_a_reason_the_requester_sees(member, canvassing, anytown, anytown_endorser):
    access_request = submit(canvassing, member, anytown.constituency)
    with pytest.raises(AccessError, match="Give a reason"):
        request_decide(
            access_request_id=access_request.pk,
            user=anytown_endorser,
            decision="refuse",
            expected_status=Status.ENDORSEMENT,
        )
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="refuse",
        expected_status=Status.ENDORSEMENT,
        note="Not active in Anytown this year",
    )
    access_request.refresh_from_db()
    assert access_request.status == Status.REFUSED and access_request.decided_at
    assert Notification.objects.filter(to=member, body__contains="Not active in Anytown this year").exists()


def test_asking_for_information_and_answering(member, canvassing, anytown, anytown_endorser):
    access_request = submit(canvassing, member, anytown.constituency)
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="info",
        expected_status=Status.ENDORSEMENT,
        note="Which ward?",
    )
    later = timezone.now() + timedelta(hours=60)
    request_info_give(access_request_id=access_request.pk, user=member, note="Castle ward", now=later)
    access_request.refresh_from_db()
    assert access_request.status == Status.ENDORSEMENT
    assert access_request.step_due_at == later + timedelta(hours=48)


def test_withdraw(member, canvassing, anytown):
    access_request = submit(canvassing, member, anytown.constituency)
    with pytest.raises(AccessError, match="Only the person who asked"):
        request_withdraw(access_request_id=access_request.pk, user=anytown.user(Role.ORGANISER))
    request_withdraw(access_request_id=access_request.pk, user=member)
    access_request.refresh_from_db()
    assert access_request.status == Status.WITHDRAWN


def test_decisions_are_append_only(member, canvassing, anytown):
    access_request = submit(canvassing, member, anytown.constituency)
    decision = access_request.decisions.get()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(note="rewritten")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM access_decision WHERE id = %s", [decision.pk])


# --- Bad input: a clear message and nothing written -------------------------------------


def _nothing_written():
    return not AccessRequest.objects.exists() and not Decision.objects.exists()


def test_request_for_an_area_one_has_nothing_to_do_with(member, canvassing, otherton):
    with pytest.raises(AccessError, match="has nothing to do with Otherton"):
        submit(canvassing, member, otherton.constituency)
    assert _nothing_written()


def test_request_with_needed_by_in_the_past(member, canvassing, anytown):
    with pytest.raises(AccessError, match="is in the past"):
        submit(canvassing, member, anytown.constituency, needed_by=timezone.localdate() - timedelta(days=1))
    assert _nothing_written()


def test_request_for_a_tool_already_held(anytown_canvasser, canvassing, anytown):
    with pytest.raises(AccessError, match="already holds Canvassing in Anytown"):
        submit(canvassing, anytown_canvasser, anytown.constituency)
    assert _nothing_written()


def test_renewal_allowed_within_thirty_days_of_the_end(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    approve(access_request, regional_officer, duration_days=20)
    renewal = submit(canvassing, member, anytown.constituency)
    assert renewal.status == Status.ENDORSEMENT


def test_double_submission_makes_one_request(member, canvassing, anytown):
    submit(canvassing, member, anytown.constituency)
    with pytest.raises(AccessError, match="already has an open request"):
        submit(canvassing, member, anytown.constituency)
    assert AccessRequest.objects.count() == 1


def test_open_request_constraint_backs_up_the_check(member, canvassing, anytown):
    first = submit(canvassing, member, anytown.constituency)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequest.objects.create(
            tool=canvassing,
            requester=member,
            submitted_by=member,
            constituency=anytown.constituency,
            region=anytown.constituency.region,
            reason="x",
            needed_by=first.needed_by,
            status=Status.REVIEW,
            step=Step.REVIEW,
        )


def test_suspended_member_cannot_request_or_be_approved(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    member.is_active = False
    member.save(update_fields=["is_active"])
    with pytest.raises(AccessError, match="account is suspended"):
        approve(access_request, regional_officer)
    assert not Holding.unscoped.exists() and not Grant.all_objects.filter(user=member).exists()
    other_tool = ToolFactory(name="Insight", slug="insight", role="")
    with pytest.raises(AccessError, match="account is suspended"):
        submit(other_tool, member, anytown.constituency)


def test_officer_may_ask_on_a_members_behalf_but_a_member_may_not(
    member, canvassing, anytown, anytown_endorser
):
    access_request = submit(canvassing, member, anytown.constituency, submitted_by=anytown_endorser)
    assert access_request.submitted_by == anytown_endorser
    other = UserFactory(email="pat@anytown.example", full_name="Pat Anytown")
    with pytest.raises(AccessError, match="Only Anytown's secretary or officers"):
        submit(
            ToolFactory(name="Insight", slug="insight", role=""),
            member,
            anytown.constituency,
            submitted_by=other,
        )


def test_member_deleted_or_lapsed_after_asking_cannot_be_approved(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    from members.models import Member

    access_request = submit(canvassing, member, anytown.constituency)
    endorse(access_request, anytown_endorser)
    Member.unscoped.filter(user=member).update(status="lapsed")
    with pytest.raises(AccessError, match="Belongs to Anytown; Member in good standing"):
        approve(access_request, regional_officer)
    Member.unscoped.filter(user=member).delete()
    with pytest.raises(AccessError, match="Belongs to Anytown; Member in good standing"):
        approve(access_request, regional_officer)
    assert not Holding.unscoped.exists()


def test_an_approved_renewal_ends_the_old_holding_as_it_starts(
    member, canvassing, anytown, anytown_endorser, regional_officer, client
):
    first = submit(canvassing, member, anytown.constituency)
    endorse(first, anytown_endorser)
    approve(first, regional_officer, duration_days=40)
    old = Holding.unscoped.get(request=first)
    was_due = old.expires_at

    later = timezone.now() + timedelta(days=20)  # inside the 30-day renewal window
    renewal = submit(canvassing, member, anytown.constituency, now=later, needed_by=timezone.localdate(later))
    endorse(renewal, anytown_endorser, now=later)
    approve(renewal, regional_officer, duration_days=365, now=later)
    new = Holding.unscoped.get(request=renewal)

    old.refresh_from_db()
    old.grant.refresh_from_db()
    assert old.expires_at == new.starts_at == later
    assert old.grant.expires_at == later and old.replaced_by == new
    # No overlap: at any moment one holding and one grant of the tool in the CLP.
    for moment in (later - timedelta(seconds=1), later, later + timedelta(days=30)):
        assert Holding.unscoped.active(moment).filter(user=member, tool=canvassing).count() == 1
        grants = Grant.all_objects.active(moment).filter(user=member, role=Role.CANVASSER)
        assert grants.filter(constituency=anytown.constituency).count() == 1
    assert not Holding.unscoped.active(later + timedelta(days=30)).filter(pk=old.pk).exists()

    ending = first.decisions.get(outcome=Decision.Outcome.RENEWED)
    assert ending.by == regional_officer and f"request {renewal.pk}" in ending.note
    assert f"{was_due:%Y}" in ending.note
    assert AuditEvent.objects.filter(action="access.holding.renewed", object_id=str(old.pk)).exists()
    assert AuditEvent.objects.filter(action="access.grant.renewed", object_id=str(old.grant_id)).exists()
    approval = AuditEvent.objects.get(action="access.request.approve", object_id=str(renewal.pk))
    assert approval.detail["replaces"] == [old.pk]
    # The expiry sweep does not record the replaced holding as expired.
    assert holdings_record_expired(now=later + timedelta(days=30)) == 0

    client.force_login(member)
    page = client.get(reverse("access:request", args=[first.pk])).content.decode()
    assert "when <a href" in page and "its renewal</a> started" in page
    assert "Ended early: replaced by a renewal" in page


def test_a_renewal_also_ends_an_office_given_grant_of_the_same_role_there(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    office = grant_create(
        user=member,
        role=Role.CANVASSER,
        area=anytown.constituency,
        expires_at=timezone.now() + timedelta(days=10),
    )
    renewal = submit(canvassing, member, anytown.constituency)
    endorse(renewal, anytown_endorser)
    approve(renewal, regional_officer)
    office.refresh_from_db()
    assert not Grant.all_objects.active().filter(pk=office.pk).exists()
    assert Grant.objects.filter(user=member, role=Role.CANVASSER).count() == 1
