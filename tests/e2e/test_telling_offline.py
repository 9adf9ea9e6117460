"""The teller's page in a real browser (Debian chromium, 360 px phone): numbers typed with no
signal, a reload while offline, and every telling arriving exactly once."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from gotv.models import Telling, TellingUndo, VoteRecord
from labourhub.models import Role
from tests.conftest import sign_in
from tests.gotv.factories import polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parent.parent.parent / ".data" / "screenshots"


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests flush the tables a data migration filled: put the codes back."""
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture
def day(anytown):
    electors = [
        ElectorFactory(
            home=PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road"),
            elector_number=n,
            first_names=f"Voter{n}",
            surname="Anytownson",
        )
        for n in range(1, 41)
    ]
    return polling_day(anytown, electors=electors)


def open_box(page, day):
    page.goto(reverse("gotv:telling_box", args=[day.election.pk, day.box.pk]))
    page.wait_for_selector("#telling[data-offline-ready=true]")


def key_in(page, text):
    """Type on the page's own keypad, as a teller does (letters through the ABC toggle)."""
    letters_open = False
    for char in text:
        if char.isalpha() and not letters_open:
            page.locator("#letters-toggle").click()
            letters_open = True
        page.locator(f'button.key[data-key="{char}"]').click()
    if letters_open:
        page.locator("#letters-toggle").click()
    page.get_by_role("button", name="Enter").click()


def type_in(page, text):
    page.locator("#number").fill(text)
    page.locator("#number").press("Enter")


def test_forty_numbers_offline_arrive_exactly_once(browser_context, live_server, anytown, day):
    sign_in(browser_context, live_server, anytown.user(Role.TELLER))
    page = browser_context.new_page()
    open_box(page, day)

    browser_context.set_offline(True)
    key_in(page, "1")
    key_in(page, "2/0")  # suffix 0 is no suffix
    key_in(page, "1A2")  # letters in the number: refused on the phone, never queued
    expect(page.locator("#answer")).to_contain_text("letters in the number")
    for number in range(3, 38):
        type_in(page, str(number))
    type_in(page, "999")  # well formed, not on the register: the server says so when it arrives
    type_in(page, "38")
    expect(page.locator("#entries li")).to_have_count(12)
    assert page.locator("#entries li").first.get_attribute("data-status") == "waiting"
    # 40 numbers typed: 38 on the register, one with letters, one unknown. Undo two of the last five.
    for number in ("38", "37"):
        page.locator("#entries li", has_text=f"{number}:").get_by_role("button", name="Undo").click()
        expect(page.locator("#entries li", has_text=f"{number}: undone")).to_have_count(1)
    # 39 numbers and 2 undos queued on the phone (the counter follows the IndexedDB write: wait for it)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", str(39 + 2))
    expect(page.locator("#queue-count")).to_contain_text("41 entries waiting to send (no signal)")

    page.reload()  # offline: the service worker serves the page, IndexedDB still holds the queue
    page.wait_for_selector("#entries li")
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "41")
    assert Telling.unscoped.count() == 0

    browser_context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    assert "safe on the server" in page.locator("#receipt").inner_text()

    assert Telling.unscoped.count() == 38
    assert len(set(Telling.unscoped.values_list("client_uuid", flat=True))) == 38
    assert set(TellingUndo.unscoped.values_list("telling__raw_number", flat=True)) == {"37", "38"}
    voted = set(VoteRecord.unscoped.values_list("elector__elector_number", flat=True))
    assert voted == set(range(1, 37))
    assert set(VoteRecord.unscoped.values_list("source", flat=True)) == {"telling"}
    unknown = page.locator("#entries li", has_text="999")
    expect(unknown).to_have_attribute("data-status", "not_on_box")
    expect(unknown).to_contain_text("No 999 on this box's register")

    # With signal, the answer is immediate and names the voter; a second telling says so.
    type_in(page, "5")
    expect(page.locator("#answer")).to_contain_text("Voter5 Anytownson: already told")
    assert Telling.unscoped.count() == 39 and VoteRecord.unscoped.count() == 36


def test_the_page_fits_a_phone_and_a_desktop(browser_context, live_server, anytown, day):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(browser_context, live_server, anytown.user(Role.TELLER))
    page = browser_context.new_page()
    open_box(page, day)
    type_in(page, "7")
    expect(page.locator("#answer")).to_contain_text("Voter7 Anytownson")
    enter_box = page.get_by_role("button", name="Enter").bounding_box()
    assert enter_box["y"] + enter_box["height"] <= 740, "Enter must be on the first screen, no scrolling"
    page.locator("#letters-toggle").click()
    for summary in page.locator("summary").all():
        summary.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "telling-360.png"))
    page.screenshot(path=str(SHOTS / "telling-360-full.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / "telling-1280.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
