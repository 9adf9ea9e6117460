"""In real Chromium, at 360 px and at 1280 px (issue 15's browser flow): a constituent's email is
uploaded on the office's Inbox page and opens a case in triage; the caseworker opens that case from
the inbox, sends the agency referral from its template (printed), sees the case go overdue and the
chaser set on it, sends the chaser by email, and closes the case with its outcome; axe finds nothing
serious on any page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework import services
from casework.models import Case, Chaser, Letter, Status
from tests.casework.factories import AgencyFactory, office_of
from tests.casework.mail import email_bytes
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(autouse=True)
def casework_files(settings, tmp_path):
    settings.CASEWORK_FILES_DIR = tmp_path / "casework-files"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_caseworker_refers_chases_and_closes_a_case(browser_page, live_server, anytown, size):
    page = browser_page
    page.set_viewport_size(SIZES[size])
    made = office_of(anytown)
    agency = AgencyFactory(
        name="Anytown Council housing", contact_route="housing@anytown.example", response_working_days=10
    )
    sign_in(page.context, live_server, made["worker"])

    # The constituent's email comes in (uploaded as .eml on the Inbox page) and opens a case.
    page.goto(f"/casework/offices/{made['office'].pk}/")
    page.get_by_role("link", name="Inbox").click()
    page.get_by_label("Email files (.eml), one or many").set_input_files(
        {"name": "damp.eml", "mimeType": "message/rfc822",
         "buffer": email_bytes(subject="Damp in the flat, council not answering", sender="Ada Anytown <ada@example.org>",
                               text="The council has not fixed the damp in my flat at 1 Anytown Road.")}
    )  # fmt: skip
    page.get_by_role("button", name="Upload and file").click()
    results = page.get_by_role("status")
    expect(results).to_contain_text("damp.eml: opened a new case in triage")
    case = Case.unscoped.get(summary="Damp in the flat, council not answering")
    assert (case.name, case.email, case.status) == ("Ada Anytown", "ada@example.org", Status.TRIAGE)
    results.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{case.reference}: Ada Anytown")
    expect(page.get_by_text("The council has not fixed the damp in my flat")).to_be_visible()
    assert_accessible(page)

    # The referral, from the template, printed.
    page.get_by_label("Letter", exact=True).select_option("referral")
    page.get_by_role("button", name="Write it").click()
    page.get_by_label("Agency", exact=True).first.select_option(label="Anytown Council housing")
    page.get_by_role("button", name="Fill in from the template").click()
    body = page.locator("#id_body")
    expect(body).to_contain_text("has consented to")
    expect(body).to_contain_text("Ada Anytown")
    expect(body).to_contain_text(case.reference)
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
