"""Setting up polling day in a real browser, outside the admin: the CLP secretary creates the
election from the polling-day index, imports the council's station list, adds the main committee
room running two districts' boxes, and opens its board. Each setup page passes axe-core."""

import datetime
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from gotv.models import CommitteeRoom, Election
from labourhub.models import Role
from tests.conftest import sign_in
from tests.e2e.axe import axe_problems
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import RegisterPublicationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
FILES = Path(__file__).resolve().parent.parent / "gotv" / "files"


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


def test_a_secretary_sets_up_polling_day_from_the_office_pages(browser_page, live_server, anytown):
    for code in ("AN2", "AN3", "AN4"):
        PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code=code)
    anytown.polling_district.code = "AN1"
    anytown.polling_district.save(update_fields=["code"])
    RegisterPublicationFactory(constituency=anytown.constituency, published_on=datetime.date(2026, 12, 1))
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page.context, live_server, anytown.user(Role.CLP_SECRETARY))
    problems = []

    page.goto("/polling-day/")
    page.get_by_role("link", name="Set up an election").click()
    problems += axe_problems(page)
    poll_day = timezone.localdate() + datetime.timedelta(days=20)
    page.get_by_label("CLP").select_option(label="Anytown")
    page.get_by_label("Kind of election").select_option(label="General election")
    page.get_by_label("Name").fill("General election 2029")
    page.get_by_label("Polling day").fill(poll_day.isoformat())
    page.get_by_label("Register it uses").select_option(label="Anytown register of 1 December 2026")
    page.get_by_role("button", name="Set up the election").click()
    expect(
        page.get_by_text("General election 2029 set up. Next: import its polling stations.")
    ).to_be_visible()
    election = Election.unscoped.get()
    assert election.poll_date == poll_day and (election.polls_open, election.polls_close) == (
        datetime.time(7),
        datetime.time(22),
    )

    page.get_by_role("link", name="Import polling stations from the council's list").click()
    problems += axe_problems(page)
    page.get_by_label("What the file is").select_option(label="One row per ballot box")
    page.get_by_label("File:", exact=True).set_input_files(FILES / "box_list.csv")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    assert election.boxes.count() == 3

    page.get_by_role("link", name="General election 2029").click()
    page.get_by_role("link", name="Add a committee room").click()
    problems += axe_problems(page)
    page.get_by_label("Name").fill("Labour Hall")
    page.get_by_label("Contact number").fill("07700 900444")
    page.get_by_label("The main committee room").check()
    page.get_by_label("AN1", exact=True).check()
    page.get_by_label("AN2", exact=True).check()
    page.get_by_role("button", name="Add the committee room").click()
    expect(page.get_by_text("Labour Hall added, running 2 boxes.")).to_be_visible()
    room = CommitteeRoom.unscoped.get()
    assert room.is_main and sorted(room.boxes.values_list("label", flat=True)) == ["Box 1", "Box 2"]
    problems += axe_problems(page)

    page.get_by_role("link", name="Labour Hall").click()
    expect(page.get_by_role("heading", name="Boxes and districts")).to_be_visible()
    expect(page.locator("tr.board-box")).to_have_count(2)
    assert not problems, "\n".join(problems)
