"""The pages: request form and status, queues, transparency, reports, audit."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessRequest, Status
from access.services import holding_revoke, request_decide
from labourhub.models import Grant, Role
from labourhub.services import audit_record
from tests.access.factories import ToolFactory, make_eligible, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _member(anytown, n):
    user = UserFactory(email=f"m{n}@anytown.example", full_name=f"Member{n} Anytownson")
    return make_eligible(user, anytown.constituency)


def _endorse(access_request, by):
    request_decide(
        access_request_id=access_request.pk, user=by, decision="endorse", expected_status=Status.ENDORSEMENT
    )


def test_rules_page_is_public(client, canvassing):
    response = client.get(reverse("access:rules"))
    assert response.status_code == 200
    assert (
        b"Canvassing" in response.content
        and b"data-protection training in the last 24 months" in response.content
    )


def test_request_form_sends_a_request(client, member, canvassing, anytown):
    client.force_login(member)
    assert client.get(reverse("access:request_new")).status_code == 200
    needed = timezone.localdate() + timedelta(days=3)
    data = {
        "tool": canvassing.pk,
        "constituency": anytown.constituency.pk,
        "reason": "Saturday sessions",
        "needed_by": needed,
    }
    response = client.post(reverse("access:request_new"), data)
    access_request = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "access:request", args=[access_request.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for the CLP" in page
    assert "CLP secretary of Anytown" in page  # who decides
    assert "Member in good standing: met" in page

    again = client.post(reverse("access:request_new"), data)  # the second click
    assert again.status_code == 200 and "already has an open request" in again.content.decode()
    assert AccessRequest.objects.count() == 1


def test_request_form_refuses_a_past_date_with_a_clear_message(client, member, canvassing, anytown):
    client.force_login(member)
    data = {
        "tool": canvassing.pk,
        "constituency": anytown.constituency.pk,
        "reason": "x",
        "needed_by": timezone.localdate() - timedelta(days=2),
    }
    response = client.post(reverse("access:request_new"), data)
    assert response.status_code == 200 and "is in the past" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_request_form_offers_only_ones_own_clps(client, member, anytown, otherton):
    client.force_login(member)
    form = client.get(reverse("access:request_new")).context["form"]
    assert list(form.fields["constituency"].queryset) == [anytown.constituency]


def test_conditions_partial_shows_what_is_met(client, anytown, canvassing):
    officer = anytown.user(Role.CLP_OFFICER)
    client.force_login(officer)
    response = client.get(
        reverse("access:conditions"), {"tool": canvassing.pk, "constituency": anytown.constituency.pk}
    )
    page = response.content.decode()
    assert 'class="met"' in page and "Belongs to Anytown" in page
    assert 'class="unmet"' in page and "no training recorded" in page


def test_status_page_is_not_for_other_clps(client, member, canvassing, anytown, otherton):
    access_request = submit(canvassing, member, anytown.constituency)
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert client.get(reverse("access:request", args=[access_request.pk])).status_code == 404
    response = client.post(reverse("access:decide", args=[access_request.pk]), {"decision": "endorse"})
    assert response.status_code == 404


def test_decide_through_the_pages_and_the_late_decider_is_told(
    client, member, canvassing, anytown, regional_officer
):
    access_request = submit(canvassing, member, anytown.constituency)
    url = reverse("access:decide", args=[access_request.pk])
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    client.post(url, {"decision": "endorse", "expected_status": Status.ENDORSEMENT})
    client.force_login(anytown.user(Role.CLP_OFFICER))
    response = client.post(url, {"decision": "endorse", "expected_status": Status.ENDORSEMENT}, follow=True)
    assert "Someone decided first" in response.content.decode()

    client.force_login(regional_officer)
    response = client.post(
        url, {"decision": "approve", "expected_status": Status.REVIEW, "duration_days": 30}, follow=True
    )
    assert "Decision recorded" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == Status.APPROVED


def test_decider_sees_the_requesters_current_roles(client, anytown, canvassing):
    teller = anytown.user(Role.TELLER)
    access_request = submit(canvassing, teller, anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("access:request", args=[access_request.pk])).content.decode()
    assert "roles now" in page and "Teller for Anytown" in page


def test_refusal_without_reason_is_refused_clearly(client, member, canvassing, anytown):
    access_request = submit(canvassing, member, anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("access:decide", args=[access_request.pk]),
        {"decision": "refuse", "expected_status": Status.ENDORSEMENT},
        follow=True,
    )
    assert "Give a reason" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == Status.ENDORSEMENT


def test_refusal_without_reason_keeps_the_form_with_the_error_by_the_reason(
    client, member, canvassing, anytown
):
    """Issue #14 item 2: the form comes back (not a redirect to a fresh one with "Endorse" chosen),
    refuse still chosen, the error next to the reason and the duration typed kept."""
    access_request = submit(canvassing, member, anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("access:decide", args=[access_request.pk]),
        {"decision": "refuse", "expected_status": Status.ENDORSEMENT, "note": "  "},
    )
    assert response.status_code == 400
    form = response.context["decision_form"]
    assert form.errors == {"note": ["Give a reason: the requester sees it."]}
    page = response.content.decode()
    assert 'id="id_note_error"' in page and 'aria-describedby="id_note_helptext id_note_error"' in page
    assert 'value="refuse" id="id_decision_1" required checked' in page.replace('checked=""', "checked")
    assert page.count(" checked") == 1


def test_no_decision_is_an_error_next_to_the_choice_and_nothing_is_chosen(
    client, member, canvassing, anytown
):
    access_request = submit(canvassing, member, anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("access:decide", args=[access_request.pk]),
        {"expected_status": Status.ENDORSEMENT, "note": "Which sessions?"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_decision_error"' in page and "Choose a decision" in page
    assert " checked" not in page
    assert "Which sessions?</textarea>" in page
    access_request.refresh_from_db()
    assert access_request.status == Status.ENDORSEMENT and access_request.decisions.count() == 1


def test_the_status_page_chooses_no_decision(client, member, canvassing, anytown):
    access_request = submit(canvassing, member, anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("access:request", args=[access_request.pk])).content.decode()
    assert 'name="decision"' in page and " checked" not in page


@pytest.mark.parametrize("count", [3, 30])
def test_endorser_queue_has_a_fixed_number_of_queries(
    client, anytown, canvassing, django_assert_max_num_queries, count
):
    for n in range(count):
        submit(
            canvassing, _member(anytown, n), anytown.constituency, now=timezone.now() - timedelta(minutes=n)
        )
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("access:endorser_queue"))
    rows = response.context["rows"]
    assert len(rows) == count
    page = response.content.decode()
    assert all(row["req"].requester.full_name in page for row in rows)  # the rows are on the page
    deadlines = [row["req"].step_due_at for row in rows]
    assert deadlines == sorted(deadlines)
    assert rows[0]["standing"].in_good_standing and rows[0]["all_met"]


@pytest.mark.parametrize("count", [3, 30])
def test_reviewer_queue_has_a_fixed_number_of_queries(
    client, anytown, canvassing, regional_officer, django_assert_max_num_queries, count
):
    secretary = anytown.user(Role.CLP_SECRETARY)
    for n in range(count):
        _endorse(submit(canvassing, _member(anytown, n), anytown.constituency), secretary)
    client.force_login(regional_officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("access:reviewer_queue"))
    assert len(response.context["rows"]) == count
    page = response.content.decode()
    assert all(row["req"].requester.full_name in page for row in response.context["rows"])


def test_queue_search(client, anytown, canvassing):
    submit(canvassing, _member(anytown, 1), anytown.constituency)
    submit(canvassing, _member(anytown, 2), anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.get(reverse("access:endorser_queue"), {"q": "member2"})
    assert [row["req"].requester.full_name for row in response.context["rows"]] == ["Member2 Anytownson"]


def test_queues_are_for_deciders_only(client, anytown, otherton, canvassing, member):
    submit(canvassing, member, anytown.constituency)
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(reverse("access:endorser_queue")).status_code == 403
    assert client.get(reverse("access:reviewer_queue")).status_code == 403
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert client.get(reverse("access:endorser_queue")).context["rows"] == []


def test_register_shows_names_and_roles_to_the_clps_members_only(client, member, anytown, otherton):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    submit(tool, member, anytown.constituency)
    viewer = _member(anytown, 9)  # a plain member, no roles
    client.force_login(viewer)
    page = client.get(reverse("access:register", args=[anytown.constituency.pk])).content.decode()
    assert "Morgan Anytownson" in page and "Doorstep" in page
    assert "CLP secretary of Anytown" in page  # roles given by the office too
    assert member.email not in page and "@anytown.example" not in page  # no contact details
    client.force_login(otherton.user(Role.CANVASSER))
    assert client.get(reverse("access:register", args=[anytown.constituency.pk])).status_code == 404


def test_why_can_this_person_see_this(client, member, anytown, otherton):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    grant = submit(tool, member, anytown.constituency).holding.grant
    client.force_login(_member(anytown, 9))
    page = client.get(reverse("access:grant_why", args=[grant.pk])).content.decode()
    assert "Knock doors and make calls" in page and "Search the register" not in page  # issue 10, item 12
    assert "Approved automatically" in page
    assert "Casework" not in page
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert client.get(reverse("access:grant_why", args=[grant.pk])).status_code == 404


def test_revoke_from_the_status_page(client, member, anytown):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    holding = submit(tool, member, anytown.constituency).holding
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("access:revoke", args=[holding.pk]), {"reason": "Left the party"}, follow=True
    )
    assert "Revoked" in response.content.decode()
    assert not Grant.objects.filter(user=member).exists()
    client.force_login(member)
    home = client.get(reverse("home")).content.decode()
    assert "Canvasser" not in home


def test_renew_in_one_click(client, member, anytown, anytown_endorser, regional_officer, canvassing):
    access_request = submit(canvassing, member, anytown.constituency)
    _endorse(access_request, anytown_endorser)
    request_decide(
        access_request_id=access_request.pk,
        user=regional_officer,
        decision="approve",
        expected_status=Status.REVIEW,
        duration_days=10,
    )
    client.force_login(member)
    url = reverse("access:renew", args=[access_request.holding.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    renewal = AccessRequest.objects.exclude(pk=access_request.pk).get()
    assert response["Location"] == reverse("access:request", args=[renewal.pk])
    assert "Renewal of Canvassing" in renewal.reason


def test_delegation_page(client, anytown_endorser, member):
    client.force_login(anytown_endorser)
    today = timezone.localdate()
    response = client.post(
        reverse("access:delegations"),
        {"delegate_email": member.email, "starts_on": today, "ends_on": today + timedelta(days=7)},
        follow=True,
    )
    assert "Delegation saved" in response.content.decode()
    response = client.post(
        reverse("access:delegations"),
        {"delegate_email": "nobody@nowhere.example", "starts_on": today, "ends_on": today},
    )
    assert "Nobody in your CLPs or region uses nobody@nowhere.example" in response.content.decode()


def test_reports_time_to_decision_backlog_and_refusals(client, anytown, canvassing, regional_officer):
    start = timezone.now() - timedelta(hours=12)  # the secretary's role began a day ago
    secretary = anytown.user(Role.CLP_SECRETARY)
    for n, hours in enumerate([10, 20, 30, 40]):
        access_request = submit(canvassing, _member(anytown, n), anytown.constituency, now=start)
        request_decide(
            access_request_id=access_request.pk,
            user=secretary,
            decision="refuse",
            expected_status=Status.ENDORSEMENT,
            note=f"Reason {n}",
            now=start + timedelta(hours=hours),
        )
    submit(canvassing, _member(anytown, 8), anytown.constituency, now=start - timedelta(days=3))  # overdue
    client.force_login(regional_officer)
    response = client.get(reverse("access:reports"))
    [row] = response.context["times"]
    assert row["decided"] == 4 and row["refused"] == 4
    assert row["median_hours"] == pytest.approx(25.0)
    assert row["p90_hours"] == pytest.approx(37.0)
    [backlog] = response.context["backlog"]
    assert backlog["open"] == 1 and backlog["overdue"] == 1
    assert "Reason 3" in response.content.decode()
    assert response.context["chart"] == [
        {"tool": "Canvassing", "region": "Westland", "median": 25.0, "p90": 37.0}
    ]
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get(reverse("access:reports")).status_code == 403


def test_audit_search_and_export_for_regional_staff(client, anytown, regional_officer, otherton):
    audit_record(action="test.formula", constituency=anytown.constituency, detail={"note": "=HYPERLINK(1)"})
    audit_record(action="elsewhere.event", detail={"note": "no region"})
    client.force_login(regional_officer)
    response = client.get(reverse("access:audit"), {"q": "test.formula"})
    assert response.status_code == 200
    assert [e.action for e in response.context["page"]] == ["test.formula"]
    export = client.get(reverse("access:audit_export"), {"q": "test.formula"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][2] == "action" and rows[1][2] == "test.formula"
    assert len(rows) == 2
    assert (
        client.get(reverse("access:audit"), {"q": "access.audit.export"}).context["page"].paginator.count == 1
    )
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get(reverse("access:audit")).status_code == 403
    assert client.get(reverse("access:audit_export")).status_code == 403


def test_csv_cells_that_look_like_formulas_are_escaped():
    from labourhub.csv_export import safe_cell

    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@SUM") == "'@SUM" and safe_cell("plain") == "plain"


def test_revoked_holding_is_shown_as_revoked(client, member, anytown, regional_officer):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    access_request = submit(tool, member, anytown.constituency)
    holding_revoke(holding_id=access_request.holding.pk, user=regional_officer, reason="Anytown review")
    client.force_login(member)
    page = client.get(reverse("access:request", args=[access_request.pk])).content.decode()
    assert "Revoked on" in page and "Anytown review" in page


@pytest.mark.parametrize("count", [2, 20])
def test_register_has_a_fixed_number_of_queries(client, anytown, django_assert_max_num_queries, count):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    for n in range(count):
        submit(tool, _member(anytown, n), anytown.constituency)
    client.force_login(_member(anytown, 99))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("access:register", args=[anytown.constituency.pk]))
    assert len(response.context["holdings"]) == count


def test_withdraw_and_answer_from_the_status_page(client, member, canvassing, anytown, anytown_endorser):
    access_request = submit(canvassing, member, anytown.constituency)
    request_decide(
        access_request_id=access_request.pk,
        user=anytown_endorser,
        decision="info",
        expected_status=Status.ENDORSEMENT,
        note="Which Anytown ward?",
    )
    client.force_login(member)
    page = client.get(reverse("access:request", args=[access_request.pk])).content.decode()
    assert "Which Anytown ward?" in page and "Send answer" in page
    response = client.post(
        reverse("access:answer", args=[access_request.pk]), {"note": "Castle"}, follow=True
    )
    assert "back with the deciders" in response.content.decode()
    response = client.post(reverse("access:withdraw", args=[access_request.pk]), follow=True)
    assert "Request withdrawn" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == Status.WITHDRAWN
    again = client.post(reverse("access:withdraw", args=[access_request.pk]), follow=True)
    assert "This request is closed (withdrawn); nothing was changed." in again.content.decode()


def test_officer_asks_on_a_members_behalf_through_the_form(
    client, member, canvassing, anytown, anytown_endorser
):
    client.force_login(anytown_endorser)
    data = {
        "tool": canvassing.pk,
        "constituency": anytown.constituency.pk,
        "for_email": member.email,
        "reason": "New volunteer",
        "needed_by": timezone.localdate() + timedelta(days=2),
    }
    client.post(reverse("access:request_new"), data)
    access_request = AccessRequest.objects.get()
    assert access_request.requester == member and access_request.submitted_by == anytown_endorser
    data["for_email"] = "nobody@nowhere.example"
    response = client.post(reverse("access:request_new"), data)
    assert "Nobody of Anytown uses nobody@nowhere.example" in response.content.decode()


def test_conditions_for_the_member_an_officer_names(client, member, canvassing, anytown, otherton):
    params = {"tool": canvassing.pk, "constituency": anytown.constituency.pk, "for_email": member.email}
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("access:conditions"), params).content.decode()
    assert "Conditions for Morgan Anytownson" in page and "unmet" not in page
    client.force_login(member)  # not an officer: sees their own conditions, never someone else's
    assert "Your conditions" in client.get(reverse("access:conditions"), params).content.decode()


def test_officer_sees_no_conditions_of_other_clps_people(client, member, canvassing, otherton):
    params = {"tool": canvassing.pk, "constituency": otherton.constituency.pk, "for_email": member.email}
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    page = client.get(reverse("access:conditions"), params).content.decode()
    assert "is not a member of Otherton" in page and "training" not in page
