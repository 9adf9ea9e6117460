"""A knocker's pack in a real browser on a 360 px phone: a voter told at the station meanwhile
drops off when the knocker refreshes; the stamp moves on; an outcome recorded from the page
sticks; the page fits the screen. Screenshots of the pack and the board are kept for review."""

import importlib
import os
import uuid

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import Campaign
from gotv.models import KnockUpOutcome
from gotv.services import knock_up_round_create, telling_record
from labourhub.models import Role
from tests.conftest import sign_in
from tests.gotv.factories import canvassed, enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOTS_DIR")


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture
def round_out(anytown):
    day = polling_day(anytown, name="Anytown general election")
    day.election.campaign = Campaign.unscoped.create(
        constituency=anytown.constituency, name="Anytown polling day", starts_on=day.election.poll_date
    )
    day.election.save(update_fields=["campaign"])
    people = []
    for n in range(1, 6):
        home = PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road", house_number=n,
                               address=f"{n} Anytown Road", latitude=52.0 + n / 1000, longitude=-1.5)  # fmt: skip
        elector = ElectorFactory(home=home, elector_number=n, surname=f"Knockson{n}", first_names="Pat")
        enter(day.election.publication, elector)
        canvassed(elector, "L", campaign=day.election.campaign)
        people.append(elector)
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    return day, made, people


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_a_knockers_pack_refreshes_and_drops_a_voter_told_meanwhile(
    browser_page, live_server, anytown, round_out
):
    day, made, people = round_out
    page = browser_page
    sign_in(page.context, live_server, anytown.user(Role.CANVASSER))
    pack = made.walk_list.packs.get()
    page.goto(live_server.url + reverse("gotv:knockup_pack", args=[pack.pk]))
    expect(page.locator(".knockup-person")).to_have_count(5)
    expect(page.get_by_text("Knockson3")).to_be_visible()
    stamp_before = page.locator("#stamp strong").inner_text()
    _fits_the_phone(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/knockup-pack-360.png", full_page=True)

    # Knockson3 votes: the teller at the station types the number.
    told = telling_record(teller=anytown.user(Role.TELLER), election=day.election, box=day.box, raw_number="3",
                          client_uuid=uuid.uuid4())  # fmt: skip
    assert told.status == "found"
    page.locator("#refresh").click()
    expect(page.locator(".knockup-person")).to_have_count(4)
    expect(page.get_by_text("Knockson3")).to_have_count(0)
    assert page.locator("#stamp strong").inner_text() >= stamp_before

    # The knocker records "Voted" at Knockson1's door: it sticks, and that person drops too.
    page.locator(".knockup-person", has_text="Knockson1").get_by_role("button", name="Voted").click()
    expect(page.locator(".knockup-person")).to_have_count(3)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0")  # queued, then sent
    assert KnockUpOutcome.unscoped.get(elector=people[0]).outcome == "voted"
    _fits_the_phone(page)


def test_the_board_at_phone_and_desktop_size(browser_context, live_server, anytown, round_out):
    day, made, people = round_out
    page = browser_context.new_page()
    sign_in(page.context, live_server, anytown.user(Role.ORGANISER))
    page.goto(live_server.url + reverse("gotv:board", args=[day.election.pk, day.room.pk]))
    expect(page.locator('[data-figure="to_get_out"]')).to_have_text("5")
    _fits_the_phone(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/board-360.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{SHOTS}/board-1280.png", full_page=True)
    # Live: a telling arrives and the board's next refresh shows it without a reload.
    telling_record(teller=anytown.user(Role.TELLER), election=day.election, box=day.box, raw_number="2",
                   client_uuid=uuid.uuid4())  # fmt: skip
    expect(page.locator('[data-figure="to_get_out"]')).to_have_text("4", timeout=30_000)
