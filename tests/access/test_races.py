"""Access races on two real database connections: revoke against approve, revoke against renew,
two sweeps at once. No double grant, no grant left after a revoke that won, one decision row each.

Where the order matters, the first party runs its service inside an outer transaction held open
(so its row locks stay taken) until the second party is seen waiting on a lock in PostgreSQL."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from access.models import Decision, Holding, Status
from access.services import access_sweep, holding_revoke, request_decide
from labourhub.models import AuditEvent, Grant, Role
from tests.access.factories import ToolFactory, canvassing_tool, make_eligible, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
Outcome = Decision.Outcome


def _in_thread(work):
    """Run `work` on its own thread (its own connection); returns (thread, outcome list)."""
    outcome = []

    def run():
        try:
            outcome.append(("ok", work()))
        except Exception as error:  # noqa: BLE001 (reported by the test)
            outcome.append(("error", error))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_until_someone_waits_on_a_lock(timeout=20):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second party never waited for the first one's lock")


def _first_holds_its_locks_while(first, second):
    """`first` runs and keeps its transaction open until `second` (started after it) waits on a lock;
    then `first` commits and `second` goes on. Returns both outcomes."""
    done_first, release = threading.Event(), threading.Event()

    def held():
        with transaction.atomic():
            result = first()
            done_first.set()
            release.wait(timeout=30)
        return result

    first_thread, first_outcome = _in_thread(held)
    assert done_first.wait(timeout=30), first_outcome
    second_thread, second_outcome = _in_thread(second)
    try:
        _wait_until_someone_waits_on_a_lock()
    finally:
        release.set()
        first_thread.join(timeout=30)
        second_thread.join(timeout=30)
    return first_outcome, second_outcome


def _active_grants(user, role, constituency):
    return Grant.all_objects.active().filter(user=user, role=role, constituency=constituency)


def _holder(anytown, email):
    return make_eligible(UserFactory(email=email, full_name="Kim Anytownson"), anytown.constituency)


@pytest.fixture
def renewal_under_review(anytown, regional_officer):
    """Kim holds a people-decided tool ending in 20 days, and asked to renew it (endorsed, in review)."""
    tool = ToolFactory(name="Contact data", slug="contact-data", role=Role.ORGANISER, default_days=20)
    kim = _holder(anytown, "kim@anytown.example")
    first = submit(tool, kim, anytown.constituency)
    secretary = anytown.user(Role.CLP_SECRETARY)
    for by, decision, status in (
        (secretary, "endorse", Status.ENDORSEMENT),
        (regional_officer, "approve", Status.REVIEW),
    ):
        request_decide(access_request_id=first.pk, user=by, decision=decision, expected_status=status)
    renewal = submit(tool, kim, anytown.constituency)
    request_decide(
        access_request_id=renewal.pk, user=secretary, decision="endorse", expected_status=Status.ENDORSEMENT
    )
    return {"tool": tool, "kim": kim, "old": Holding.unscoped.get(request=first), "renewal": renewal}


def test_revoke_that_wins_against_an_approved_renewal_is_not_renewed_over(
    anytown, regional_officer, renewal_under_review
):
    r = renewal_under_review
    revoked, approved = _first_holds_its_locks_while(
        lambda: holding_revoke(
            holding_id=r["old"].pk, user=anytown.user(Role.CLP_SECRETARY), reason="Left the CLP"
        ),
        lambda: request_decide(
            access_request_id=r["renewal"].pk,
            user=regional_officer,
            decision="approve",
            expected_status=Status.REVIEW,
        ),
    )
    assert revoked[0][0] == "ok" and approved[0][0] == "ok", (revoked, approved)
    old = Holding.unscoped.get(pk=r["old"].pk)
    assert old.revoked_at is not None and old.replaced_by is None  # revoked, not "renewed" after it
    assert not old.request.decisions.filter(outcome=Outcome.RENEWED).exists()
    assert Grant.all_objects.get(pk=old.grant_id).revoked_at is not None
    new = Holding.unscoped.get(request=r["renewal"])
    assert list(_active_grants(r["kim"], Role.ORGANISER, anytown.constituency)) == [
        new.grant
    ]  # no double grant
    assert r["renewal"].decisions.filter(outcome=Outcome.APPROVED).count() == 1


def test_approve_that_wins_against_a_revoke_leaves_one_grant_and_one_decision_each(
    anytown, regional_officer, renewal_under_review
):
    r = renewal_under_review
    approved, revoked = _first_holds_its_locks_while(
        lambda: request_decide(
            access_request_id=r["renewal"].pk,
            user=regional_officer,
            decision="approve",
            expected_status=Status.REVIEW,
        ),
        lambda: holding_revoke(
            holding_id=r["old"].pk, user=anytown.user(Role.CLP_SECRETARY), reason="Left the CLP"
        ),
    )
    assert approved[0][0] == "ok" and revoked[0][0] == "ok", (approved, revoked)
    new = Holding.unscoped.get(request=r["renewal"])
    old = Holding.unscoped.get(pk=r["old"].pk)
    assert old.replaced_by == new
    assert old.request.decisions.filter(outcome=Outcome.RENEWED).count() == 1
    assert r["renewal"].decisions.filter(outcome=Outcome.APPROVED).count() == 1
    assert list(_active_grants(r["kim"], Role.ORGANISER, anytown.constituency)) == [new.grant]


def test_a_renewal_racing_a_revoke_that_won_gives_no_grant(anytown):
    """Canvassing is approved automatically: a click on the reminder's renew link while the secretary
    revokes must not hand the access straight back."""
    tool = canvassing_tool(auto_approve=True, default_days=20)
    kim = _holder(anytown, "kim@anytown.example")
    old = Holding.unscoped.get(request=submit(tool, kim, anytown.constituency))
    assert _active_grants(kim, Role.CANVASSER, anytown.constituency).count() == 1
    revoked, renewed = _first_holds_its_locks_while(
        lambda: holding_revoke(
            holding_id=old.pk, user=anytown.user(Role.CLP_SECRETARY), reason="Left the CLP"
        ),
        lambda: submit(tool, kim, anytown.constituency),
    )
    assert revoked[0][0] == "ok", revoked
    assert not _active_grants(kim, Role.CANVASSER, anytown.constituency).exists(), renewed
    assert not Holding.unscoped.active().filter(user=kim).exists()
    assert renewed[0][0] == "ok", renewed
    renewal = renewed[0][1]
    renewal.refresh_from_db()
    assert renewal.status == Status.ENDORSEMENT  # asked for, and left for people to decide
    assert not renewal.decisions.filter(outcome=Outcome.AUTO_APPROVED).exists()


def test_two_sweeps_at_once_escalate_and_record_each_thing_once(anytown, regional_officer):
    tool = ToolFactory(name="Contact data", slug="contact-data", role=Role.ORGANISER, default_days=20)
    people = [_holder(anytown, f"p{n}@anytown.example") for n in range(24)]
    waiting = [submit(tool, person, anytown.constituency) for person in people[:12]]
    held = []
    for person in people[12:]:
        access_request = submit(tool, person, anytown.constituency)
        for by, decision, status in (
            (anytown.user(Role.CLP_SECRETARY), "endorse", Status.ENDORSEMENT),
            (regional_officer, "approve", Status.REVIEW),
        ):
            request_decide(
                access_request_id=access_request.pk, user=by, decision=decision, expected_status=status
            )
        held.append(Holding.unscoped.get(request=access_request))
    later = timezone.now() + timedelta(days=21)  # every request overdue, every holding ended
    start = threading.Barrier(2)

    def sweep():
        start.wait(timeout=30)
        return access_sweep(now=later)

    sweeps = [_in_thread(sweep) for _ in range(2)]
    for thread, _ in sweeps:
        thread.join(timeout=60)
    outcomes = [outcome[0] for _, outcome in sweeps]
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert sum(result["escalated"] for _, result in outcomes) == 12
    assert sum(result["expired"] for _, result in outcomes) == 12
    for access_request in waiting:
        assert access_request.decisions.filter(outcome=Outcome.ESCALATED).count() == 1
    for holding in held:
        assert (
            AuditEvent.objects.filter(action="access.holding.expire", object_id=str(holding.pk)).count() == 1
        )
