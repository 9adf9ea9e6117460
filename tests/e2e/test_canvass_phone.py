"""The canvassing page held in one hand on a 360 x 740 phone (issue 14, item 9), in Debian's
chromium: a compact header, Save always under the thumb without hiding what is typed, voting
intention first, and a saved answer still queued offline and sent once."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import Visit
from campaigns.services import survey_revise
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.conftest import sign_in
from tests.e2e.axe import assert_accessible
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREEN = 740
# The stated budget: the site's bar and the sync line together take at most 12% of the screen at
# the top of the page; scrolled, only the sync line stays, at most 6%.
HEADER_SHARE = 0.12
STICKY_SHARE = 0.06


@pytest.fixture
def pack(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    homes = [
        PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road", house_number=n)
        for n in range(1, 4)
    ]
    for home in homes:
        for first in ("Ann", "Bob", "Cat"):  # three people at each door
            ElectorFactory(home=home, surname="Anytownson", first_names=f"{first}{home.house_number}")
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    return pack


def open_pack(page, pack):
    page.goto(reverse("campaigns:pack_canvass", args=[pack.pk]))
    page.wait_for_selector("#canvass[data-offline-ready=true]")
    page.wait_for_selector("button.door")


def rect(page, selector):
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, height: r.height}; }",
        selector,
    )


def uncovered(page, locator):
    """Is `locator` itself what a finger at its centre touches (not a sticky bar over it)?"""
    return locator.evaluate(
        "(node) => { const r = node.getBoundingClientRect();"
        " const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        " return r.top >= 0 && r.bottom <= innerHeight && (hit === node || node.contains(hit)"
        " || (hit && hit.control === node) || (hit && hit.contains(node))); }"
    )


def test_the_header_is_compact_and_the_sync_status_is_one_line(
    browser_context, live_server, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)

    header = rect(page, ".site-header")["height"] + rect(page, ".queue-bar")["height"]
    assert header <= HEADER_SHARE * SCREEN, f"header and sync block take {header:.0f} px of {SCREEN}"
    line = page.locator("#queue-count")
    assert line.inner_text() == "Nothing to send"
    line_height = page.evaluate(
        "parseFloat(getComputedStyle(document.getElementById('queue-count')).lineHeight)"
    )
    assert line.bounding_box()["height"] <= line_height * 1.2  # one line
    expect(page.locator("#sync-details")).to_be_hidden()  # receipts and notes fold away...
    page.get_by_role("button", name="Details").click()  # ...one tap away
    expect(page.locator("#offline-ready")).to_have_text("Ready to work offline.")
    expect(page.get_by_role("button", name="Details")).to_have_attribute("aria-expanded", "true")


def test_a_whole_door_is_one_screen(browser_context, live_server, anytown_canvasser, pack):
    """The door outcome comes first: everyone to speak to and "Not in" on the first screen."""
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    page.locator("button.door").first.click()
    spoke = page.get_by_role("button", name=re.compile(r"^Spoke to "))
    expect(spoke).to_have_count(3)
    for target in [*spoke.all(), page.get_by_role("button", name="Not in", exact=True)]:
        box = target.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN, f"{target.inner_text()} is off screen"


def test_save_is_always_within_reach_and_covers_no_field(
    browser_context, live_server, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    page.locator("button.door").first.click()
    page.get_by_role("button", name=re.compile(r"^Spoke to ")).first.click()
    save = page.get_by_role("button", name="Save")

    # Voting intention is the first question.
    assert page.locator("fieldset.question").first.get_attribute("data-kind") == "intention"

    # Save is on the screen, and nothing covers it, at every scroll position of the survey.
    bottom = page.evaluate("document.documentElement.scrollHeight - innerHeight")
    assert bottom > SCREEN  # the survey is longer than a screen: the test means something
    for y in [*range(0, bottom, 37), bottom]:
        page.evaluate("(y) => window.scrollTo(0, y)", y)
        box = save.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN, f"Save off screen at scroll {y}"
        assert uncovered(page, save), f"Save covered at scroll {y}"
        if y > 100:  # scrolled: the site's bar has gone, the one-line sync status stays on top
            bar = rect(page, ".queue-bar")
            assert bar["top"] <= 1 and bar["height"] <= STICKY_SHARE * SCREEN, f"sync bar {bar} at {y}"

    # Every field, reached as a keyboard or a phone's "next" reaches it, is not under a sticky bar.
    fields = page.locator("form.survey").locator("input, select, textarea")
    for index in range(fields.count()):
        field = fields.nth(index)
        field.focus()
        assert uncovered(page, field), f"field {index} ({field.get_attribute('name')}) is covered"

    # The last field can be tapped, filled and seen.
    page.evaluate("window.scrollTo(0, 0)")
    notes = page.locator("textarea[name=notes]")
    notes.click()  # Playwright refuses to click an element another one covers
    notes.fill("Dog in the garden")
    assert uncovered(page, notes)
    assert rect(page, "textarea[name=notes]")["bottom"] <= rect(page, ".save-bar")["top"]

    # A saved answer is queued offline and sent once.
    page.locator("input[name=q-vi][value=L]").check()
    browser_context.set_offline(True)
    save.click()
    page.get_by_text("✓ recorded").wait_for()
    expect(page.locator("#queue-count")).to_have_text("1 door waiting to send (no signal)")
    browser_context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    expect(page.locator("#queue-count")).to_contain_text("All sent at")
    [visit] = Visit.unscoped.all()
    assert visit.notes == "Dog in the garden"
    assert visit.answers.get(question__key="vi").intention.code == "L"


def test_intention_comes_first_whatever_the_surveys_order(
    browser_context, live_server, anytown_canvasser, pack
):
    survey = pack.walk_list.campaign.surveys.get()
    survey_revise(
        survey=survey,
        questions=[
            {"key": "poster", "kind": "yes_no", "text": "Will you display a poster?"},
            {"key": "issues", "kind": "issues", "text": "What matters most?"},
            {"key": "vi", "kind": "intention", "text": "How will you vote?"},
        ],
    )
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    page.locator("button.door").first.click()
    page.get_by_role("button", name=re.compile(r"^Spoke to ")).first.click()
    keys = page.locator("fieldset.question").evaluate_all("(nodes) => nodes.map((n) => n.dataset.key)")
    assert keys == ["vi", "poster", "issues"]


@pytest.mark.parametrize("size", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}])
def test_the_canvassing_screens_pass_axe(browser_context, live_server, anytown_canvasser, pack, size):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    page.set_viewport_size(size)
    open_pack(page, pack)
    page.get_by_role("button", name="Details").click()
    assert_accessible(page)
    page.locator("button.door").first.click()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Spoke to ")).first.click()
    assert_accessible(page)
