"""In real Chromium, at 360 px and at 1280 px: a caseworker opens a case by hand, sends the agency
referral from its template (printed), sees the case go overdue and the chaser set on it, sends the
chaser by email, and closes the case with its outcome; axe finds nothing serious on any page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework import services
from casework.models import Case, Chaser, Letter, Status
from tests.casework.factories import AgencyFactory, office_of
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_caseworker_refers_chases_and_closes_a_case(browser_page, live_server, anytown, size):
    page = browser_page
    page.set_viewport_size(SIZES[size])
    made = office_of(anytown)
    agency = AgencyFactory(
        name="Anytown Council housing", contact_route="housing@anytown.example", response_working_days=10
    )
    sign_in(page.context, live_server, made["worker"])

    # Open the case by hand.
    page.goto(f"/casework/offices/{made['office'].pk}/open/")
    page.locator("#id_name").fill("Ada Anytown")
    page.locator("#id_address").fill("1 Anytown Road")
    page.locator("#id_postcode").fill("AT1 1AA")
    page.locator("#id_summary").fill("Damp in the flat, council not answering")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Anytown")
    case = Case.unscoped.get(name="Ada Anytown")
    assert_accessible(page)

    # The referral, from the template, printed.
    page.get_by_label("Letter", exact=True).select_option("referral")
    page.get_by_role("button", name="Write it").click()
    page.get_by_label("Agency", exact=True).first.select_option(label="Anytown Council housing")
    page.get_by_role("button", name="Fill in from the template").click()
    body = page.locator("#id_body")
    expect(body).to_contain_text("has consented to")
    expect(body).to_contain_text("Ada Anytown, 1 Anytown Road, AT1 1AA")
    assert_accessible(page)
    page.get_by_label("Printed letter").check()
    page.get_by_label("Their address (for a letter)").fill("Housing Department\nAnytown Town Hall")
    page.get_by_role("button", name="Print it or send it").click()
    letter = page.get_by_role("article", name="The letter")
    expect(letter.locator("address.to")).to_contain_text("Anytown Town Hall")
    expect(letter).to_contain_text(f"Our ref: {case.reference}")
    expect(letter).to_contain_text("Yours sincerely,")
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print the letter")).to_be_hidden()
    expect(letter).to_be_visible()
    page.emulate_media(media="screen")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_AGENCY and case.agency == agency and case.due_on is not None

    # Time passes: the agency misses its date, and the nightly check sets the chaser.
    Case.unscoped.filter(pk=case.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    assert services.chasers_create() == 1
    page.goto("/casework/")
    chasers = page.get_by_role("region", name="Chasers to send on my cases")
    expect(chasers).to_contain_text(case.reference)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert_accessible(page)
    page.get_by_role("link", name=case.reference).first.click()
    expect(page.get_by_text("overdue", exact=True)).to_be_visible()
    page.get_by_role("link", name="Write the chaser").click()

    # The chaser, by email (the agency's contact route is an address).
    expect(page.get_by_label("Their email address (for an email)")).to_have_value("housing@anytown.example")
    expect(page.locator("#id_body")).to_contain_text("I have not yet received one")
    assert_accessible(page)
    page.get_by_role("button", name="Print it or send it").click()
    expect(page.get_by_text("The email to housing@anytown.example is queued")).to_be_visible()
    expect(page.get_by_text("Email to Anytown Council housing")).to_be_visible()
    assert Chaser.unscoped.get(case=case).done_at is not None
    assert Letter.unscoped.filter(case=case, kind="chaser", medium="email", state="queued").exists()
    expect(page.get_by_text("Chaser to send")).to_have_count(0)

    # Closed with its outcome.
    page.get_by_label("Status").select_option("closed")
    page.get_by_label("Outcome").select_option("resolved")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Status changed.")).to_be_visible()
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.CLOSED, Case.Outcome.RESOLVED)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert_accessible(page)
