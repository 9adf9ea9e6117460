"""The subject access and erasure buttons on the elector's page (issue 16, items 2 and 3), in Debian's
chromium at 360 px and 1280 px with axe: the export downloads a zip in one click; erasing asks first,
says what will go, and then says what went."""

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from labourhub.models import Role
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, assert_accessible
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory
from voters.models import Contact

pytestmark = pytest.mark.e2e


@pytest.fixture
def voter(anytown):
    home = PropertyFactory(
        polling_district=anytown.polling_district, address="4 Rowan Close, Anytown", postcode="AT14RC"
    )
    elector = ElectorFactory(home=home, first_names="Rosa", surname="Rowan")
    ContactFactory(elector=elector, channel="phone", notes="Wants a postal vote")
    return elector


@pytest.mark.parametrize("size", list(SIZES))
def test_export_and_erase_from_the_elector_page(size, browser_page, live_server, anytown, voter):
    page = browser_page
    page.set_viewport_size(SIZES[size])
    sign_in(page.context, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto(f"/voters/electors/{voter.pk}/")
    expect(page.get_by_role("heading", name="Data protection")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download everything held (subject access)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    data = json.loads(archive.read("data.json"))
    contacts = next(s for s in data["sections"] if s["key"] == "contacts")["records"]
    assert [c["notes"] for c in contacts] == ["Wants a postal vote"]

    page.get_by_role("link", name="Erase, or record an objection…").click()
    expect(page.get_by_text("contacts: 1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert_accessible(page)
    page.get_by_label("Erasure: remove what the party holds on them").check()
    page.get_by_label("Reason, for the record").fill("Email of 2 March")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Erased")).to_be_visible()
    assert_accessible(page)
    assert not Contact.unscoped.filter(elector=voter).exists()
