"""The register's writes: the clock kept by the services, the rules on each change, the timeline
and the audit log."""

import datetime

import pytest
from django.utils import timezone

from labourhub.dataprotection import clock, services
from labourhub.dataprotection.models import RequestKind, RequestStatus, SubjectRequest
from labourhub.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _create(anytown, received_on, **kwargs):
    return services.subject_request_create(
        user=anytown.user(Role.DATA_PROTECTION_LEAD),
        constituency=anytown.constituency,
        kind=kwargs.pop("kind", RequestKind.ACCESS),
        received_on=received_on,
        requester_name="Anne Anytown",
        **kwargs,
    )


def test_a_logged_request_is_due_by_the_ico_rule_and_audited(anytown):
    received = TODAY() - datetime.timedelta(days=2)
    created = _create(anytown, received)
    assert created.due_on == clock.due_date(received, nation="ENG")
    assert created.reference == f"DSR-{received.year}-{created.pk:05d}"
    assert [e.what for e in created.events.all()] == ["Received"]
    event = AuditEvent.objects.get(action="dataprotection.request.create")
    assert event.constituency == anytown.constituency and event.object_id == str(created.pk)


def test_a_request_cannot_be_received_in_the_future(anytown):
    with pytest.raises(services.DataProtectionError, match="in the future"):
        _create(anytown, TODAY() + datetime.timedelta(days=1))


def test_waiting_for_id_pauses_the_clock_and_the_due_date_moves_by_the_paused_days(anytown):
    received = TODAY() - datetime.timedelta(days=20)
    created = _create(anytown, received)
    user = anytown.user(Role.DATA_PROTECTION_LEAD)
    paused_on = received + datetime.timedelta(days=1)
    services.subject_request_set_status(
        user=user, subject_request=created, status=RequestStatus.AWAITING_ID, on=paused_on
    )
    # Clarification asked too while paused: still one pause.
    services.subject_request_set_status(
        user=user,
        subject_request=created,
        status=RequestStatus.AWAITING_CLARIFICATION,
        on=paused_on + datetime.timedelta(days=3),
    )
    resumed_on = paused_on + datetime.timedelta(days=9)
    services.subject_request_set_status(
        user=user, subject_request=created, status=RequestStatus.IN_PROGRESS, on=resumed_on
    )
    created.refresh_from_db()
    assert created.paused_days == 9 and created.paused_since is None
    assert created.due_on == clock.due_date(received, nation="ENG", paused_days=9)
    assert [e.to_status for e in created.events.all()] == [
        "received",
        "awaiting_id",
        "awaiting_clarification",
        "in_progress",
    ]
    assert AuditEvent.objects.filter(action="dataprotection.request.status").count() == 3


def test_a_paused_request_is_not_overdue(anytown):
    received = TODAY() - datetime.timedelta(days=60)
    created = _create(anytown, received)
    assert SubjectRequest.unscoped.overdue(TODAY()).filter(pk=created.pk).exists()
    services.subject_request_set_status(
        user=anytown.user(Role.CLP_SECRETARY),
        subject_request=created,
        status=RequestStatus.AWAITING_CLARIFICATION,
    )
    assert not SubjectRequest.unscoped.overdue(TODAY()).filter(pk=created.pk).exists()


def test_answering_needs_what_was_sent_and_closes_the_request(anytown):
    created = _create(anytown, TODAY() - datetime.timedelta(days=5))
    user = anytown.user(Role.DATA_PROTECTION_LEAD)
    with pytest.raises(services.DataProtectionError, match="what was sent"):
        services.subject_request_set_status(user=user, subject_request=created, status=RequestStatus.ANSWERED)
    services.subject_request_set_status(
        user=user, subject_request=created, status=RequestStatus.ANSWERED, what_was_sent="Export emailed"
    )
    created.refresh_from_db()
    assert created.closed_on == TODAY() and created.what_was_sent == "Export emailed"
    assert created.days_to_answer() == 6  # received 5 days ago is day one
    with pytest.raises(services.DataProtectionError, match="already answered"):
        services.subject_request_set_status(
            user=user, subject_request=created, status=RequestStatus.IN_PROGRESS
        )


@pytest.mark.parametrize("status", [RequestStatus.REFUSED, RequestStatus.WITHDRAWN])
def test_refusing_or_withdrawing_needs_a_reason(anytown, status):
    created = _create(anytown, TODAY())
    user = anytown.user(Role.DATA_PROTECTION_LEAD)
    with pytest.raises(services.DataProtectionError, match="Say why"):
        services.subject_request_set_status(user=user, subject_request=created, status=status, reason="  ")
    services.subject_request_set_status(
        user=user, subject_request=created, status=status, reason="Manifestly unfounded"
    )
    created.refresh_from_db()
    assert created.status == status and created.status_reason == "Manifestly unfounded"


def test_an_extension_within_the_first_month_adds_two_months(anytown):
    received = TODAY() - datetime.timedelta(days=10)
    created = _create(anytown, received)
    services.subject_request_extend(
        user=anytown.user(Role.DATA_PROTECTION_LEAD), subject_request=created, reason="Numerous requests"
    )
    created.refresh_from_db()
    assert created.extended_on == TODAY() and created.extension_reason == "Numerous requests"
    assert created.due_on == clock.due_date(received, nation="ENG", extended=True)
    with pytest.raises(services.DataProtectionError, match="Already extended"):
        services.subject_request_extend(
            user=anytown.user(Role.DATA_PROTECTION_LEAD), subject_request=created, reason="Again"
        )


def test_an_extension_after_the_first_month_is_refused(anytown):
    created = _create(anytown, TODAY() - datetime.timedelta(days=45))
    with pytest.raises(services.DataProtectionError, match="within the first month"):
        services.subject_request_extend(
            user=anytown.user(Role.DATA_PROTECTION_LEAD), subject_request=created, reason="Complex"
        )
    created.refresh_from_db()
    assert created.extended_on is None


def test_an_extension_needs_a_reason(anytown):
    created = _create(anytown, TODAY())
    with pytest.raises(services.DataProtectionError, match="reason"):
        services.subject_request_extend(
            user=anytown.user(Role.CLP_SECRETARY), subject_request=created, reason=""
        )


def test_identity_verified_is_in_the_timeline(anytown):
    created = _create(anytown, TODAY() - datetime.timedelta(days=1))
    services.subject_request_update(
        user=anytown.user(Role.CLP_SECRETARY),
        subject_request=created,
        changes={"identity_verified_on": TODAY(), "identity_verified_how": "Passport seen"},
    )
    created.refresh_from_db()
    assert created.identity_verified_how == "Passport seen"
    assert created.events.last().what == "Identity verified"
    with pytest.raises(services.DataProtectionError, match="cannot be changed here"):
        services.subject_request_update(
            user=anytown.user(Role.CLP_SECRETARY), subject_request=created, changes={"due_on": TODAY()}
        )


def test_a_breach_decision_needs_a_reason_and_reporting_needs_the_decision(anytown):
    user = anytown.user(Role.DATA_PROTECTION_LEAD)
    found = timezone.now() - datetime.timedelta(hours=5)
    values = {
        "what_happened": "Laptop stolen",
        "found_at": found,
        "found_by": "Treasurer",
        "kinds_of_data": "Members' names",
        "risk": "risk",
    }
    breach = services.breach_record(user=user, constituency=anytown.constituency, values=values)
    assert breach.report_deadline == found + datetime.timedelta(hours=72)
    assert 66.9 < breach.hours_left() < 67.1
    with pytest.raises(services.DataProtectionError, match="reason for the decision"):
        services.breach_update(user=user, breach=breach, values={"decision": "report"})
    with pytest.raises(services.DataProtectionError, match="needs the decision"):
        services.breach_update(user=user, breach=breach, values={"reported_at": timezone.now()})
    services.breach_update(
        user=user,
        breach=breach,
        values={"decision": "report", "decision_reason": "Risk to members", "reported_at": timezone.now()},
    )
    breach.refresh_from_db()
    assert breach.clock_stopped
    assert AuditEvent.objects.filter(action__startswith="dataprotection.breach").count() == 2


def test_a_breach_cannot_be_found_before_it_happened(anytown):
    now = timezone.now()
    with pytest.raises(services.DataProtectionError, match="after it was found"):
        services.breach_record(
            user=anytown.user(Role.DATA_PROTECTION_LEAD),
            constituency=anytown.constituency,
            values={
                "what_happened": "x",
                "found_at": now - datetime.timedelta(hours=2),
                "happened_at": now - datetime.timedelta(hours=1),
                "found_by": "me",
                "kinds_of_data": "names",
                "risk": "risk",
            },
        )


def test_a_status_change_cannot_be_dated_in_the_future_or_before_receipt(anytown):
    created = _create(anytown, TODAY() - datetime.timedelta(days=2))
    user = anytown.user(Role.DATA_PROTECTION_LEAD)
    for on, message in (
        (TODAY() + datetime.timedelta(days=1), "in the future"),
        (TODAY() - datetime.timedelta(days=3), "before"),
    ):
        with pytest.raises(services.DataProtectionError, match=message):
            services.subject_request_set_status(
                user=user, subject_request=created, status=RequestStatus.IN_PROGRESS, on=on
            )
