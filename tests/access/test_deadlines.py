"""Escalation, delegation, reminders and expiry, with time moved forward through `now=`."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from access.models import Decision, Delegation, EscalationContact, Notification, Status, Tier
from access.services import (
    AccessError,
    access_sweep,
    delegation_create,
    holdings_record_expired,
    holdings_remind_expiring,
    notification_send,
    request_decide,
    requests_escalate_overdue,
)
from access.tasks import access_sweep_task
from labourhub.models import AuditEvent, Role
from labourhub.scoping import Action, can
from tests.access.factories import ToolFactory, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_overdue_endorsement_escalates_to_the_region_and_both_levels_are_told(
    member, canvassing, anytown, anytown_endorser, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    assert requests_escalate_overdue(now=timezone.now() + timedelta(hours=47)) == 0

    later = timezone.now() + timedelta(hours=49)
    assert requests_escalate_overdue(now=later) == 1
    assert requests_escalate_overdue(now=later) == 0  # once only
    access_request.refresh_from_db()
    assert access_request.escalation_level == 1 and access_request.tier == Tier.APPROVERS
    assert access_request.decisions.last().outcome == Decision.Outcome.ESCALATED
    assert AuditEvent.objects.filter(
        action="access.request.escalate", object_id=str(access_request.pk)
    ).exists()
    told = set(
        Notification.objects.filter(request=access_request, subject__startswith="Overdue").values_list(
            "to", flat=True
        )
    )
    assert {anytown_endorser.pk, regional_officer.pk} <= told

    # The region may now decide without the endorsement.
    request_decide(
        access_request_id=access_request.pk,
        user=regional_officer,
        decision="approve",
        expected_status=Status.ENDORSEMENT,
    )
    assert can(member, Action.CANVASS, anytown.constituency)


def test_overdue_review_escalates_to_the_regional_director(
    member, canvassing, anytown, anytown_endorser, regional_officer, westland
):
    director = UserFactory(email="director@westland.example", full_name="Dana Director")
    EscalationContact.objects.create(region=westland, user=director)
    access_request = submit(canvassing, member, anytown.constituency)
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="endorse",
        expected_status=Status.ENDORSEMENT,
    )
    with pytest.raises(AccessError, match="may not decide"):
        request_decide(
            access_request_id=access_request.pk,
            user=director,
            decision="approve",
            expected_status=Status.REVIEW,
        )
    requests_escalate_overdue(now=timezone.now() + timedelta(hours=49))
    assert Notification.objects.filter(to=director, subject__startswith="Overdue").exists()
    assert Notification.objects.filter(to=regional_officer, subject__startswith="Overdue").exists()
    request_decide(
        access_request_id=access_request.pk, user=director, decision="approve", expected_status=Status.REVIEW
    )
    access_request.refresh_from_db()
    assert access_request.status == Status.APPROVED


def test_beat_runs_the_sweep(settings, member, canvassing, anytown):
    assert settings.CELERY_BEAT_SCHEDULE["access-sweep"]["task"] == "access.tasks.access_sweep_task"
    submit(canvassing, member, anytown.constituency)
    assert access_sweep_task.run() == {"escalated": 0, "reminded": 0, "expired": 0, "emails_caught_up": 0}
    assert access_sweep(now=timezone.now() + timedelta(days=3))["escalated"] == 1


def test_delegate_decides_while_the_endorser_is_away(member, canvassing, anytown, anytown_endorser):
    stand_in = UserFactory(email="stand-in@anytown.example", full_name="Stella Anytown")
    today = timezone.localdate()
    delegation_create(
        delegator=anytown_endorser, delegate=stand_in, starts_on=today, ends_on=today + timedelta(days=10)
    )
    access_request = submit(canvassing, member, anytown.constituency)
    assert Notification.objects.filter(request=access_request, to=stand_in).exists()
    request_decide(
        access_request_id=access_request.pk,
        user=stand_in,
        decision="endorse",
        expected_status=Status.ENDORSEMENT,
    )
    endorsement = access_request.decisions.get(outcome=Decision.Outcome.ENDORSED)
    assert endorsement.by == stand_in and endorsement.on_behalf_of == anytown_endorser


def test_delegation_outside_its_dates_gives_nothing(member, canvassing, anytown, anytown_endorser):
    stand_in = UserFactory(email="stand-in@anytown.example", full_name="Stella Anytown")
    tomorrow = timezone.localdate() + timedelta(days=1)
    Delegation.objects.create(
        delegator=anytown_endorser, delegate=stand_in, starts_on=tomorrow, ends_on=tomorrow
    )
    access_request = submit(canvassing, member, anytown.constituency)
    with pytest.raises(AccessError, match="may not decide"):
        request_decide(
            access_request_id=access_request.pk,
            user=stand_in,
            decision="endorse",
            expected_status=Status.ENDORSEMENT,
        )


def test_delegate_still_cannot_decide_their_own_request(member, canvassing, anytown, anytown_endorser):
    today = timezone.localdate()
    delegation_create(delegator=anytown_endorser, delegate=member, starts_on=today, ends_on=today)
    access_request = submit(canvassing, member, anytown.constituency)
    with pytest.raises(AccessError, match="Nobody may decide their own request"):
        request_decide(
            access_request_id=access_request.pk,
            user=member,
            decision="endorse",
            expected_status=Status.ENDORSEMENT,
        )


def test_delegation_bad_input(anytown_endorser, member):
    today = timezone.localdate()
    with pytest.raises(AccessError, match="on or after the first"):
        delegation_create(
            delegator=anytown_endorser, delegate=member, starts_on=today, ends_on=today - timedelta(days=1)
        )
    with pytest.raises(AccessError, match="Only endorsers and reviewers"):
        delegation_create(delegator=member, delegate=anytown_endorser, starts_on=today, ends_on=today)
    assert not Delegation.objects.exists()


def _approved(member, anytown, regional_officer, anytown_endorser, days):
    tool = ToolFactory(name="Canvassing", slug="canvassing", role=Role.CANVASSER)
    access_request = submit(tool, member, anytown.constituency)
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="endorse",
        expected_status=Status.ENDORSEMENT,
    )
    request_decide(
        access_request_id=access_request.pk,
        user=regional_officer,
        decision="approve",
        expected_status=Status.REVIEW,
        duration_days=days,
    )
    return access_request.holding


def test_reminder_fourteen_days_before_expiry_to_holder_and_endorser(
    member, anytown, regional_officer, anytown_endorser
):
    holding = _approved(member, anytown, regional_officer, anytown_endorser, days=60)
    assert holdings_remind_expiring(now=timezone.now() + timedelta(days=45)) == 0
    assert holdings_remind_expiring(now=timezone.now() + timedelta(days=47)) == 1
    assert holdings_remind_expiring(now=timezone.now() + timedelta(days=48)) == 0  # once only
    reminders = Notification.objects.filter(subject__contains="ends on")
    assert {n.to for n in reminders} == {member, anytown_endorser}
    assert f"/access/holdings/{holding.pk}/renew/" in reminders.first().body


def test_expiry_is_recorded_once_and_the_grant_stops(member, anytown, regional_officer, anytown_endorser):
    holding = _approved(member, anytown, regional_officer, anytown_endorser, days=30)
    later = timezone.now() + timedelta(days=31)
    assert holdings_record_expired(now=later) == 1
    assert holdings_record_expired(now=later) == 0
    assert AuditEvent.objects.filter(action="access.holding.expire", object_id=str(holding.pk)).exists()
    assert not holding.grant.__class__.objects.active(later).filter(pk=holding.grant_id).exists()


def test_notification_is_sent_once(member, canvassing, anytown):
    submit(canvassing, member, anytown.constituency)
    notification = Notification.objects.first()
    mail.outbox.clear()
    assert notification_send(notification_id=notification.pk) is True
    assert notification_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [notification.to.email]
    assert "/access/requests/" in mail.outbox[0].body


def test_sweep_sends_emails_the_broker_never_took(member, canvassing, anytown):
    submit(canvassing, member, anytown.constituency)  # in this test on_commit never fires: nothing queued
    mail.outbox.clear()
    assert access_sweep(now=timezone.now() + timedelta(minutes=5))["emails_caught_up"] == 0
    assert access_sweep(now=timezone.now() + timedelta(minutes=11))["emails_caught_up"] == 2
    assert len(mail.outbox) == 2
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


# --- The escalation chain: endorsers → approvers → regional director → national contact ---


@pytest.fixture
def chain(westland):
    director = UserFactory(email="director@westland.example", full_name="Dana Director")
    national = UserFactory(email="national@labour.example", full_name="Nia National")
    EscalationContact.objects.create(region=westland, user=director)
    EscalationContact.objects.create(
        level=EscalationContact.Level.NATIONAL, user=national, title="National access officer"
    )
    return director, national


def _escalations(access_request):
    return list(
        access_request.decisions.filter(outcome=Decision.Outcome.ESCALATED).values_list("tier", flat=True)
    )


def _told(access_request, subject="Overdue"):
    return set(
        Notification.objects.filter(request=access_request, subject__startswith=subject).values_list(
            "to", flat=True
        )
    )


def _may_decide(user, access_request):
    from access.deciders import decider_capacity

    access_request.refresh_from_db()
    return decider_capacity(user, access_request, timezone.now()) is not None


def test_an_endorsement_climbs_every_level_one_deadline_at_a_time(
    member, canvassing, anytown, anytown_endorser, regional_officer, chain
):
    director, national = chain
    start = timezone.now()
    access_request = submit(canvassing, member, anytown.constituency, now=start)
    assert not _may_decide(regional_officer, access_request)

    steps = [
        (49, Tier.APPROVERS, regional_officer),
        (49 + 49, Tier.REGIONAL, director),
        (49 + 49 + 49, Tier.NATIONAL, national),
    ]
    for hours, tier, newcomer in steps:
        assert not _may_decide(newcomer, access_request)
        assert newcomer.pk not in _told(access_request)
        # Just before this level's deadline nothing happens.
        assert requests_escalate_overdue(now=start + timedelta(hours=hours - 2)) == 0
        assert requests_escalate_overdue(now=start + timedelta(hours=hours)) == 1
        assert requests_escalate_overdue(now=start + timedelta(hours=hours)) == 0  # once per level
        access_request.refresh_from_db()
        assert access_request.tier == tier
        assert _escalations(access_request)[-1] == tier
        assert newcomer.pk in _told(access_request) and anytown_endorser.pk in _told(access_request)
        assert _may_decide(newcomer, access_request) and _may_decide(anytown_endorser, access_request)
        assert AuditEvent.objects.filter(
            action="access.request.escalate", object_id=str(access_request.pk)
        ).count() == len(_escalations(access_request))

    # The national contact is the last resort: nothing climbs further.
    assert requests_escalate_overdue(now=start + timedelta(days=30)) == 0
    assert _escalations(access_request) == [Tier.APPROVERS, Tier.REGIONAL, Tier.NATIONAL]
    request_decide(
        access_request_id=access_request.pk,
        user=national,
        decision="approve",
        expected_status=Status.ENDORSEMENT,
    )
    assert can(member, Action.CANVASS, anytown.constituency)


def test_a_review_climbs_to_the_director_then_the_national_contact(
    member, canvassing, anytown, anytown_endorser, regional_officer, chain
):
    director, national = chain
    start = timezone.now()
    access_request = submit(canvassing, member, anytown.constituency, now=start)
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="endorse",
        expected_status=Status.ENDORSEMENT,
        now=start + timedelta(hours=1),
    )
    assert requests_escalate_overdue(now=start + timedelta(hours=50)) == 1
    assert _may_decide(director, access_request) and not _may_decide(national, access_request)
    assert requests_escalate_overdue(now=start + timedelta(hours=99)) == 1
    assert _may_decide(national, access_request)
    assert _escalations(access_request) == [Tier.REGIONAL, Tier.NATIONAL]
    assert {director.pk, national.pk, regional_officer.pk} <= _told(access_request)
    assert anytown_endorser.pk not in _told(access_request)  # the endorsement is done
    assert requests_escalate_overdue(now=start + timedelta(days=30)) == 0
    # The endorser cannot approve, however late it is.
    with pytest.raises(AccessError, match="may not decide"):
        request_decide(
            access_request_id=access_request.pk,
            user=anytown_endorser,
            decision="approve",
            expected_status=Status.REVIEW,
        )
    # The national contact sees it in their queue.
    from access.deciders import reviewer_queue

    assert access_request in reviewer_queue(national)


def test_a_fresh_step_starts_again_at_its_first_level(
    member, canvassing, anytown, anytown_endorser, regional_officer, chain
):
    director, _ = chain
    start = timezone.now()
    access_request = submit(canvassing, member, anytown.constituency, now=start)
    requests_escalate_overdue(now=start + timedelta(hours=49))
    requests_escalate_overdue(now=start + timedelta(hours=98))
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="endorse",
        expected_status=Status.ENDORSEMENT,
        now=start + timedelta(hours=99),
    )
    access_request.refresh_from_db()
    assert access_request.escalation_level == 0 and access_request.next_escalation_at is None
    assert access_request.tier == Tier.APPROVERS
    assert not _may_decide(director, access_request)


def test_a_regional_contact_needs_a_region_and_a_national_one_none(westland):
    from django.db import IntegrityError, transaction

    user = UserFactory(email="misfiled@labour.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationContact.objects.create(user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationContact.objects.create(region=westland, user=user, level=EscalationContact.Level.NATIONAL)
