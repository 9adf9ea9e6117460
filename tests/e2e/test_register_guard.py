"""In real Chromium, with a real worker: a 20-row file uploaded as the full register over a register
of 1,000 shows how many electors it would take off and asks; nothing changes until the secretary
confirms (issue #14, item 1)."""

import pytest
from django.core.files import File
from playwright.sync_api import expect

from labourhub.models import Role
from tests.conftest import sign_in
from voters.models import Elector, RegisterImport
from voters.register_files import synthetic_people, write_register
from voters.services import register_import_create, register_import_run

pytestmark = pytest.mark.e2e


def test_a_short_full_register_shows_the_removals_and_waits_for_confirmation(
    browser_page, live_server, celery_worker, anytown, tmp_path
):
    people = list(synthetic_people(1000, pds=[anytown.polling_district.code], town="Anytown"))
    with open(write_register(tmp_path / "register.csv", people), "rb") as f:
        first = register_import_create(
            constituency=anytown.constituency, kind="full", file=File(f, name="register.csv")
        )
    first = register_import_run(register_import=first)
    assert first.status == "done", first.errors
    short = write_register(tmp_path / "twenty.csv", people[:20])
    before = sorted(Elector.unscoped.values_list("pk", "on_register", "updated_at"))

    page = browser_page
    sign_in(page.context, live_server, anytown.user(Role.CLP_SECRETARY))
    page.goto("/voters/imports/")
    expect(page.get_by_role("radio", name="Full register")).not_to_be_checked()  # no kind chosen for you
    page.get_by_label("Constituency (CLP)").select_option(str(anytown.constituency.pk))
    page.get_by_label("File").set_input_files(str(short))
    page.get_by_role("button", name="Upload and import").click()
    # Not sent: the browser asks for a kind first (the server's own error is tested in
    # tests/voters/test_register_guard.py).
    assert page.get_by_role("radio", name="Full register").evaluate("e => e.validity.valueMissing")
    expect(page).to_have_url(f"{live_server.url}/voters/imports/")
    assert not RegisterImport.unscoped.exclude(pk=first.pk).exists()

    page.get_by_role("radio", name="Full register").check()
    page.get_by_label("File").set_input_files(str(short))  # a browser never keeps a chosen file
    page.get_by_role("button", name="Upload and import").click()
    expect(
        page.get_by_text("This import would take 980 of the 1,000 electors on the register off it")
    ).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Nothing has been changed yet.", exact=False)).to_be_visible()
    confirm = page.get_by_role("button", name="Yes, this is the whole register: take 980 electors off it")
    expect(confirm).to_be_visible()
    assert sorted(Elector.unscoped.values_list("pk", "on_register", "updated_at")) == before
    assert Elector.unscoped.filter(on_register=True).count() == 1000

    confirm.click()
    expect(page.get_by_text("Confirmed: the import is being applied.")).to_be_visible()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=60_000)
    expect(page.locator("#import-progress")).to_contain_text("removed 980")
    assert Elector.unscoped.filter(on_register=True).count() == 20
