"""Issue 14, item 11: the pack's map in a real browser at 360 px. Forty doors on two postcodes are
forty markers with a count on each postcode, a door answered turns "done" (from another phone, and
queued on this one with no signal), and the map reloads offline with every door."""

import math
import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.services import canvass_record_visit
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.conftest import sign_in
from tests.e2e.axe import assert_accessible
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POINTS = {"High Street": ((52.40001, -1.50002), "AB1 1AA"), "Mill Lane": ((52.40301, -1.49602), "AB1 2BB")}


@pytest.fixture
def pack(anytown, anytown_canvasser):
    """40 doors, 20 on each of two postcodes, every door of a postcode at its postcode's point."""
    campaign = campaign_with_survey(anytown.constituency)
    homes = []
    for street, ((lat, lng), postcode) in POINTS.items():
        for n in range(1, 21):
            home = PropertyFactory(
                polling_district=anytown.polling_district,
                street=street,
                house_number=n,
                postcode=postcode.replace(" ", ""),
                postcode_display=postcode,
                latitude=lat,
                longitude=lng,
            )
            ElectorFactory(home=home, surname="Anytownson", first_names=f"Voter{n}")
            homes.append(home)
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    return pack


def open_map(page, pack):
    page.goto(reverse("campaigns:pack_map", args=[pack.pk]))
    page.wait_for_selector("#door-map-page[data-ready=true]")


def markers(page):
    """Each door marker's (door id, state, centre on screen)."""
    return page.eval_on_selector_all(
        ".leaflet-marker-pane .door-pin",
        """pins => pins.map(p => { const r = p.getBoundingClientRect();
             return [p.dataset.door, p.dataset.state, Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)]; })""",
    )


def state_of(page, door_id):
    return page.locator(f".leaflet-marker-pane .door-pin[data-door='{door_id}']").get_attribute("data-state")


def test_forty_doors_on_two_postcodes_are_forty_markers_with_their_counts(
    browser_context, live_server, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_map(page, pack)
    box = page.locator("#map").bounding_box()

    # The whole pack in view: 40 dots, none on another, round their postcodes' points.
    expect(page.locator("#map")).to_have_attribute("data-mode", "compact")
    pins = markers(page)
    assert len(pins) == 40
    assert len({(x, y) for _, _, x, y in pins}) == 40
    for _, _, x, y in pins:
        assert box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]
    assert {state for _, state, _, _ in pins} == {"todo"}
    labels = page.locator(".leaflet-marker-pane .place-label")
    expect(labels).to_have_count(2)
    assert labels.all_inner_texts() == ["20 doors", "20 doors"]
    expect(page.locator("#map-status")).to_have_text("0 of 40 doors done.")
    assert_accessible(page)

    # Tapping a postcode's count zooms in to its doors: numbered pins, none covering another.
    page.get_by_role("button", name="20 doors at AB1 1AA, 0 done: show them").click()
    expect(page.locator("#map")).to_have_attribute("data-mode", "full")
    high_street = {str(door.property_id) for door in pack.doors.filter(property__street="High Street")}
    shown = [
        (x, y) for door, _, x, y in markers(page)
        if door in high_street and box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]
    ]  # fmt: skip
    assert len(shown) == 20
    assert min(math.dist(a, b) for i, a in enumerate(shown) for b in shown[i + 1 :]) >= 24
    # Each door says where it is: its pin's name, and its popup when tapped.
    first = pack.doors.order_by("position").first().property
    pin = page.locator(f".door-pin[data-door='{first.pk}']")
    expect(pin).to_have_attribute("aria-label", "1. 1 High Street, AB1 1AA: not done yet")
    expect(pin).to_have_text("1")
    pin.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("1. 1 High Street")
    # The key says done / not done in words and shapes, not by colour alone.
    legend = page.locator("#map-legend").inner_text()
    assert "Not done yet: white circle with its number" in legend
    assert "Done: dark square, its number and a tick" in legend
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)


def test_a_door_answered_turns_done_and_the_map_reloads_offline(
    browser_context, live_server, anytown, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_map(page, pack)  # the map alone, never the canvassing page: it keeps the pack itself
    page.wait_for_selector("#door-map-page[data-offline-ready=true]")
    doors = [door.property for door in pack.doors.order_by("position")]

    # Answered from another phone: the server says so.
    canvass_record_visit(
        canvasser=anytown_canvasser,
        campaign=pack.walk_list.campaign,
        pack=pack,
        elector=doors[1].electors.get(),
        outcome="not_in",
        client_uuid=uuid.uuid4(),
    )
    page.reload()
    page.wait_for_selector("#door-map-page[data-ready=true]")
    assert state_of(page, doors[1].pk) == "done"
    assert state_of(page, doors[0].pk) == "todo"
    expect(page.locator("#map-status")).to_have_text("1 of 40 doors done.")

    # No signal: the map reloads from the phone and still shows every door.
    browser_context.set_offline(True)
    page.reload()
    page.wait_for_selector("#door-map-page[data-ready=true]")
    assert len(markers(page)) == 40
    assert state_of(page, doors[1].pk) == "done"
    expect(page.locator("#map-note")).to_contain_text("No signal: showing the doors kept on this phone")
    expect(page.locator("#map-note")).to_contain_text("No map tile server is set up here")

    # A door recorded with no signal on the canvassing page (opened once with signal) is done on
    # the map, waiting to send.
    browser_context.set_offline(False)
    page.goto(reverse("campaigns:pack_canvass", args=[pack.pk]))
    page.wait_for_selector("#canvass[data-offline-ready=true]")
    browser_context.set_offline(True)
    page.locator("button.door").first.click()
    page.get_by_role("button", name=re.compile(r"^Spoke to ")).first.click()
    page.locator("input[name=q-vi][value=L]").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("✓ recorded").wait_for()
    page.goto(reverse("campaigns:pack_map", args=[pack.pk]))
    page.wait_for_selector("#door-map-page[data-ready=true]")
    assert state_of(page, doors[0].pk) == "waiting"
    expect(page.locator("#map-status")).to_have_text(
        "2 of 40 doors done (1 waiting to send from this phone)."
    )
    item = page.locator(f"#door-list li[data-door='{doors[0].pk}']")
    expect(item).to_contain_text("done on this phone, waiting to send")

    # Signal back: the answer is sent by the canvassing page and the map shows it done.
    browser_context.set_offline(False)
    page.goto(reverse("campaigns:pack_canvass", args=[pack.pk]))
    expect(page.locator("#receipt")).to_contain_text("Sent 1 door", timeout=30_000)
    open_map(page, pack)
    assert state_of(page, doors[0].pk) == "done"
    expect(page.locator("#map-status")).to_have_text("2 of 40 doors done.")
