"""In real Chromium on a phone-sized screen: a member asks to canvass, the CLP endorses, the region
approves, the new canvasser opens their CLP's canvassing page; access is revoked and the next
page load shows nothing of it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labourhub.models import Role
from tests.access.factories import canvassing_tool, make_eligible
from tests.campaigns.factories import CampaignFactory
from tests.conftest import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def _as(page, live_server, user):
    page.context.clear_cookies()
    sign_in(page.context, live_server, user)


def _fits_the_phone(page):
    """No horizontal scroll at 360px: nothing is wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_request_endorse_approve_canvass_revoke(browser_page, live_server, anytown, regional_officer):
    page = browser_page
    canvassing_tool()
    CampaignFactory(constituency=anytown.constituency, name="Anytown spring campaign")
    member = make_eligible(
        UserFactory(email="robin@anytown.example", full_name="Robin Anytownson"), anytown.constituency
    )

    # The member asks, on their phone.
    _as(page, live_server, member)
    page.goto("/access/request/")
    page.get_by_label("What do you need?").select_option(label="Canvassing")
    page.get_by_label("Through which CLP?").select_option(label="Anytown")
    page.get_by_text("Member in good standing").wait_for()  # conditions shown before sending
    _fits_the_phone(page)  # the form with its conditions and who decides
    page.get_by_label("Why do you need it?").fill("Saturday sessions in Castle ward")
    page.get_by_label("Needed by").fill(f"{timezone.localdate() + timezone.timedelta(days=5):%Y-%m-%d}")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/access/requests/\d+/$"))
    status_url = page.url
    expect(page.get_by_text("Waiting for the CLP's endorsement", exact=True)).to_be_visible()
    _fits_the_phone(page)

    # The CLP secretary endorses from their queue.
    _as(page, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto("/access/queue/endorse/")
    page.get_by_role("link", name="Robin Anytownson").click()
    page.get_by_label("Endorse").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Waiting for the region's review", exact=True)).to_be_visible()

    # Regional staff approve for 30 days.
    _as(page, live_server, regional_officer)
    page.goto("/access/queue/review/")
    page.get_by_role("link", name="Robin Anytownson").click()
    page.get_by_label("Approve").check()
    page.get_by_label("Duration (days)").fill("30")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    page.goto("/access/reports/")
    assert page.evaluate("!!window.Chart && !!Chart.getChart(document.getElementById('times-chart'))")

    # The new canvasser sees their CLP's canvassing page and their new role.
    _as(page, live_server, member)
    page.goto(status_url)
    expect(page.get_by_text("Approved", exact=True).first).to_be_visible()
    _fits_the_phone(page)  # the status page with the access given and the whole history
    for url in ("/access/", "/access/rules/"):
        page.goto(url)
        _fits_the_phone(page)
    page.goto("/campaigns/")
    expect(page.get_by_text("Anytown spring campaign")).to_be_visible()
    page.goto("/")
    expect(page.get_by_text("Canvasser").first).to_be_visible()

    # The secretary revokes it.
    _as(page, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto(status_url)
    page.get_by_label("Reason for revoking").fill("Moved to another CLP")
    page.get_by_role("button", name="Revoke now").click()
    expect(page.get_by_text("Revoked: Canvassing for Robin Anytownson.")).to_be_visible()

    # The member's very next page load no longer shows the campaign.
    _as(page, live_server, member)
    page.goto("/campaigns/")
    expect(page.get_by_text("No campaigns yet.")).to_be_visible()
    assert page.get_by_text("Anytown spring campaign").count() == 0


def test_refusing_without_a_reason_keeps_the_form_and_never_approves(
    browser_page, live_server, anytown, regional_officer
):
    """Issue #14 item 2: a refusal with no reason came back with "Approve" selected and the note
    cleared, so typing the reason and submitting again approved. Now nothing is pre-selected, the
    error sits next to the reason, what was typed is kept, and the second submit refuses."""
    from access.models import AccessRequest, Status
    from tests.access.factories import submit

    page = browser_page
    tool = canvassing_tool()
    member = make_eligible(
        UserFactory(email="robin@anytown.example", full_name="Robin Anytownson"), anytown.constituency
    )
    access_request = submit(tool, member, anytown.constituency)
    _as(page, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto(f"/access/requests/{access_request.pk}/")
    page.get_by_label("Endorse").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Waiting for the region's review", exact=True)).to_be_visible()

    _as(page, live_server, regional_officer)
    page.goto(f"/access/requests/{access_request.pk}/")
    for label in ("Approve", "Refuse", "Ask for more information"):
        expect(page.get_by_label(label)).not_to_be_checked()  # no decision made for the reviewer
    page.get_by_label("Duration (days)").fill("45")
    page.get_by_label("Refuse").check()
    page.get_by_role("button", name="Record decision").click()

    error = page.locator("#id_note_error")
    expect(error).to_contain_text("Give a reason")
    expect(page.get_by_label("Reason or question")).to_have_attribute(
        "aria-describedby", re.compile("id_note_error")
    )
    expect(page.get_by_label("Refuse")).to_be_checked()  # what was chosen is kept ...
    expect(page.get_by_label("Approve")).not_to_be_checked()  # ... and nothing else chosen for them
    expect(page.get_by_label("Duration (days)")).to_have_value("45")  # everything typed is kept
    access_request.refresh_from_db()
    assert access_request.status == Status.REVIEW

    page.get_by_label("Reason or question").fill("Training has lapsed: please redo it first.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    access_request = AccessRequest.objects.get(pk=access_request.pk)
    assert access_request.status == Status.REFUSED
    assert (
        access_request.decisions.order_by("-pk").first().note == "Training has lapsed: please redo it first."
    )


def test_no_decision_is_made_for_the_decider(browser_page, live_server, anytown):
    """Sending the form without choosing records nothing (it used to endorse: the default), and the
    note typed stays. The server's own answer to a missing choice is in tests/access/test_pages.py."""
    from access.models import Status
    from tests.access.factories import submit

    page = browser_page
    member = make_eligible(
        UserFactory(email="robin@anytown.example", full_name="Robin Anytownson"), anytown.constituency
    )
    access_request = submit(canvassing_tool(), member, anytown.constituency)
    _as(page, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto(f"/access/requests/{access_request.pk}/")
    page.get_by_label("Reason or question").fill("Which sessions do you mean?")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_timeout(500)  # time enough for a submit, had the browser sent one
    expect(page.get_by_label("Reason or question")).to_have_value("Which sessions do you mean?")
    access_request.refresh_from_db()
    assert access_request.status == Status.ENDORSEMENT and access_request.decisions.count() == 1  # submitted
