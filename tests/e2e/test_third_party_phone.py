"""In real Chromium at 360 px (pages9's walk-through): a caseworker reaches a case from the office's
list, adds someone acting for the constituent, trips on a wrong date after choosing the signed form,
is told to choose the file again (it used to be dropped silently, then refused), and withdraws the
authority only after saying yes to what it will do. No sideways scroll on any page of it."""

import pytest
from playwright.sync_api import expect

from casework.models import ThirdParty
from tests.casework.factories import case_in, office_of
from tests.casework.mail import PDF
from tests.conftest import sign_in
from tests.e2e.axe import SIZES

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def casework_files(settings, tmp_path):
    settings.CASEWORK_FILES_DIR = tmp_path / "casework-files"


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"], page.url


def test_a_caseworker_adds_and_withdraws_a_third_party_on_a_phone(browser_page, live_server, anytown):
    page = browser_page
    page.set_viewport_size(SIZES["phone"])
    made = office_of(anytown)
    case = case_in(anytown)
    sign_in(page.context, live_server, made["worker"])
    page.goto(f"/casework/offices/{made['office'].pk}/")
    page.get_by_role("link", name=case.reference).first.click()
    page.get_by_role("link", name="Add someone acting for them").click()
    _fits(page)
    page.get_by_label("Name").fill("Pat Solicitor")
    page.get_by_label("Relationship").select_option("solicitor")
    page.get_by_label("Authority given on").fill("31/02/2026")
    upload = {"name": "signed.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.get_by_label("Or upload the signed form").set_input_files(upload)
    page.get_by_role("button", name="Add them to the case").click()
    expect(page.get_by_text("there is no day 31 in February 2026")).to_be_visible()
    expect(page.get_by_text("Choose the signed form again")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Pat Solicitor")
    _fits(page)
    page.get_by_label("Authority given on").fill("20/11/2026")
    page.get_by_label("Or upload the signed form").set_input_files(upload)
    page.get_by_role("button", name="Add them to the case").click()
    expect(page.get_by_text("Pat Solicitor can act for the constituent")).to_be_visible()
    _fits(page)
    page.get_by_text("Authority withdrawn…").click()
    expect(page.get_by_text("Record that Pat Solicitor's authority was withdrawn today?")).to_be_visible()
    assert ThirdParty.unscoped.get(case=case).withdrawn_on is None  # opening the question changed nothing
    page.get_by_role("button", name="Yes, record it withdrawn").click()
    expect(page.get_by_text("Pat Solicitor's authority is withdrawn")).to_be_visible()
    assert ThirdParty.unscoped.get(case=case).withdrawn_on is not None
