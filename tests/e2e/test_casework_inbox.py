"""A caseworker uploads emails on the office's Inbox page in a real browser, at 360 px and 1280 px:
a reply lands on its case, a new message opens a case, a malformed one is kept with its problem;
then a file is attached on the case page. Each page fits the screen and passes axe."""

import pytest
from playwright.sync_api import expect

from casework.models import Case, TimelineEntry
from casework.models_mail import Attachment
from tests.casework.factories import case_in, office_of
from tests.casework.mail import PDF, email_bytes
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def casework_files(settings, tmp_path):
    settings.CASEWORK_FILES_DIR = tmp_path / "casework-files"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_upload_emails_and_attach_a_file(browser_page, live_server, anytown, size):
    page = browser_page
    page.set_viewport_size(SIZES[size])
    made = office_of(anytown)
    case = case_in(anytown)
    sign_in(page.context, live_server, made["worker"])

    page.goto(f"/casework/offices/{made['office'].pk}/")
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email files (.eml), one or many").set_input_files(
        [
            {"name": "reply.eml", "mimeType": "message/rfc822",
             "buffer": email_bytes(subject=f"Re: {case.reference}", text="<script>alert(1)</script> the dates")},
            {"name": "new.eml", "mimeType": "message/rfc822",
             "buffer": email_bytes(subject="Bins not collected", sender="Cy Person <cy@example.org>")},
            {"name": "broken.eml", "mimeType": "message/rfc822", "buffer": b"not an email at all"},
        ]
    )  # fmt: skip
    page.get_by_role("button", name="Upload and file").click()
    results = page.get_by_role("status")
    expect(results).to_contain_text("reply.eml: attached to")
    expect(results).to_contain_text("new.eml: opened a new case in triage")
    expect(results).to_contain_text("broken.eml: Not filed")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert_accessible(page)

    new = Case.unscoped.get(summary="Bins not collected")
    results.get_by_role("link", name=new.reference).click()
    expect(page.get_by_role("heading", name=f"{new.reference}: Cy Person")).to_be_visible()
    expect(page.get_by_text("Triage", exact=True)).to_be_visible()

    page.goto(f"/casework/cases/{case.pk}/")
    expect(page.get_by_text("<script>alert(1)</script> the dates")).to_be_visible()  # shown as text
    assert TimelineEntry.unscoped.filter(case=case, kind="email_in").count() == 1
    page.get_by_label("Attach a file").set_input_files(
        {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.get_by_text("Attached.")).to_be_visible()
    expect(page.get_by_role("link", name="letter.pdf")).to_be_visible()
    assert Attachment.unscoped.get().case == case
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert_accessible(page)
