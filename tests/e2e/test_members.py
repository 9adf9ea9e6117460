"""In real Chromium on a phone-sized screen: the secretary finds members in arrears, opens one, looks
at the membership chart and the printable letters; a member stops email from their own page."""

import pytest
from playwright.sync_api import expect

from labourhub.models import Role
from tests.conftest import sign_in
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.e2e


def test_secretary_finds_arrears_and_reads_the_chart_on_a_phone(browser_page, live_server, anytown):
    page = browser_page
    MemberFactory(
        constituency=anytown.constituency, first_name="Ann", last_name="Anytownley", status="arrears"
    )
    MemberFactory(constituency=anytown.constituency, first_name="Bob", last_name="Anytownby")
    MemberFactory(
        constituency=anytown.constituency,
        first_name="Cat",
        last_name="Anytowner",
        email="",
        address_line1="1 Road",
    )
    sign_in(page.context, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto("/members/")
    page.get_by_role("link", name="In arrears").click()
    page.get_by_role("link", name="Anytownley, Ann").wait_for()
    expect(page.get_by_role("link", name="Anytownby, Bob")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Anytownley, Ann").click()
    page.get_by_text("In arrears").first.wait_for()

    page.goto("/members/chart/")
    page.wait_for_function("typeof Chart !== 'undefined' && Chart.getChart('members-chart') !== undefined")

    page.goto("/members/letters/")
    page.get_by_text("Dear Cat,").wait_for()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()


def test_member_stops_email_from_their_own_page(browser_page, live_server, anytown):
    page = browser_page
    user = anytown.user(Role.CANVASSER)
    member = MemberFactory(constituency=anytown.constituency, user=user, consent_email=True)
    sign_in(page.context, live_server, user)
    page.goto("/members/me/")
    page.get_by_role("button", name="Stop email").click()
    page.get_by_role("button", name="Allow email").wait_for()
    member.refresh_from_db()
    assert member.consent_email is False


def test_send_asks_first_with_the_count_and_audience_and_can_be_cancelled(browser_page, live_server, anytown):
    """Issue #14 item 3: one click on Send mailed everyone. Now it asks "Send to 3 lapsed members in
    Anytown?", going back sends nothing, and a started send can be cancelled before its batches run."""
    from members import services
    from members.models import EmailRecipient, EmailSend

    page = browser_page
    for name in ("Ann", "Bob", "Cat"):
        MemberFactory(constituency=anytown.constituency, first_name=name, status="lapsed")
    MemberFactory(constituency=anytown.constituency, first_name="Dee", status="current")
    secretary = anytown.user(Role.CLP_SECRETARY)
    send = services.email_send_save(
        constituency=anytown.constituency,
        user=secretary,
        subject="We miss you, {{first_name}}",
        body="Come back to **Anytown Labour**.",
        audience={"status": "lapsed"},
        frequency_cap=3,
    )
    sign_in(page.context, live_server, secretary)
    page.goto(f"/members/email/{send.pk}/")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Send to 3 lapsed members in Anytown?")).to_be_visible()
    assert EmailSend.unscoped.get(pk=send.pk).state == EmailSend.State.DRAFT  # asking sent nothing
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()
    assert EmailSend.unscoped.get(pk=send.pk).state == EmailSend.State.DRAFT

    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_role("button", name="Yes, send to 3 members").click()
    expect(page.get_by_text("Sending now.")).to_be_visible()
    assert EmailSend.unscoped.get(pk=send.pk).state == EmailSend.State.SENDING

    page.get_by_role("button", name="Cancel this send").click()
    expect(page.get_by_text("Cancelled: nothing was sent.")).to_be_visible()
    send.refresh_from_db()
    assert send.state == EmailSend.State.CANCELLED and send.stopped_by == secretary
    assert not EmailRecipient.unscoped.filter(send=send, state=EmailRecipient.State.SENT).exists()
