"""The knocker's pack with no signal, in a real browser (Debian chromium, 360 px phone): outcomes
tapped offline (one "needs a lift") survive a reload while offline, arrive exactly once when signal
returns (sent twice, stored once), and the refresh then drops a voter told at the station meanwhile."""

import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gotv.models import KnockUpOutcome, LiftRequest, VoteRecord
from gotv.services import telling_record
from labourhub.models import Role
from tests.conftest import sign_in
from tests.e2e.test_knockup import reference_data, round_out  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parent.parent.parent / ".data" / "screenshots"


def tap(page, surname, outcome):
    page.locator("form[data-elector]", has_text=surname).get_by_role("button", name=outcome).click()


def waiting(page):
    return page.locator("#queue-count")


def test_outcomes_tapped_offline_arrive_once_and_the_refresh_drops_a_voter(
    browser_context,
    live_server,
    anytown,
    round_out,  # noqa: F811
):
    day, made, people = round_out
    sign_in(browser_context, live_server, anytown.user(Role.CANVASSER))
    page = browser_context.new_page()
    pack = made.walk_list.packs.get()
    page.goto(reverse("gotv:knockup_pack", args=[pack.pk]))
    page.wait_for_selector("#knockup[data-offline-ready=true]")
    expect(page.locator(".knockup-person")).to_have_count(5)

    browser_context.set_offline(True)
    tap(page, "Knockson1", "Not in")
    tap(page, "Knockson2", "Needs a lift")
    tap(page, "Knockson4", "Voted")
    tap(page, "Knockson5", "Not in")
    tap(page, "Knockson5", "Will vote")  # changed their mind at the door: both are kept, the latest shows
    expect(waiting(page)).to_have_attribute("data-waiting", "5")
    assert "5 outcomes waiting to send (no signal)" in waiting(page).inner_text()
    expect(page.locator(".knockup-person")).to_have_count(4)  # "voted": off the list on the phone
    expect(page.locator("form", has_text="Knockson4")).to_contain_text("Voted at")
    expect(page.locator("form", has_text="Knockson4").get_by_role("button", name="Not in")).to_be_hidden()
    expect(page.locator("form", has_text="Knockson5")).to_contain_text("Will vote at")
    expect(page.locator("#stale")).to_contain_text("No signal")

    page.reload()  # offline: the service worker serves the pack, IndexedDB still holds the queue
    expect(waiting(page)).to_have_attribute("data-waiting", "5")
    expect(page.locator(".knockup-person")).to_have_count(4)
    expect(page.locator("form", has_text="Knockson2")).to_contain_text("Needs a lift at")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "knockup-offline-360.png"))
    page.screenshot(path=str(SHOTS / "knockup-offline-360-full.png"), full_page=True)
    assert KnockUpOutcome.unscoped.count() == 0

    # Meanwhile Knockson3 votes: the teller at the station types the number.
    told = telling_record(teller=anytown.user(Role.TELLER), election=day.election, box=day.box, raw_number="3",
                          client_uuid=uuid.uuid4())  # fmt: skip
    assert told.status == "found"

    browser_context.set_offline(False)
    expect(waiting(page)).to_have_attribute("data-waiting", "0", timeout=30_000)
    assert "safe on the server" in page.locator("#receipt").inner_text()
    arrived = sorted(KnockUpOutcome.unscoped.values_list("elector__surname", "outcome"))
    assert arrived == [("Knockson1", "not_in"), ("Knockson2", "needs_lift"), ("Knockson4", "voted"),
                       ("Knockson5", "not_in"), ("Knockson5", "will_vote")]  # fmt: skip
    assert LiftRequest.unscoped.filter(elector=people[1]).count() == 1
    assert VoteRecord.unscoped.filter(elector=people[3], source="knock_up").count() == 1

    # The phone sends everything again (say it never heard the answer): nothing new is stored.
    page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("labourhub-knockup", 1);
        open.onsuccess = () => {
            const tx = open.result.transaction("queue", "readwrite");
            const store = tx.objectStore("queue");
            store.getAll().onsuccess = (e) => e.target.result.forEach((r) => store.put({...r, state: "waiting"}));
            tx.oncomplete = () => { open.result.close(); resolve(); };
        };
    })""")
    page.reload()
    expect(waiting(page)).to_have_attribute("data-waiting", "0", timeout=30_000)
    assert KnockUpOutcome.unscoped.count() == 5
    assert LiftRequest.unscoped.count() == 1
    assert VoteRecord.unscoped.filter(elector=people[3]).count() == 1

    # The refresh with signal: Knockson3 (told) and Knockson4 (voted at the door) are gone.
    with page.expect_navigation():  # not the load state: the old page is loaded when the click returns
        page.locator("#refresh").click()
    expect(page.locator(".knockup-person")).to_have_count(3)
    expect(page.get_by_text("Knockson3")).to_have_count(0)
    expect(page.get_by_text("Knockson4")).to_have_count(0)
    expect(page.locator("form", has_text="Knockson1")).to_contain_text("Not in at")
    expect(page.locator("form", has_text="Knockson1")).to_contain_text("sent")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "knockup-pack-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / "knockup-pack-1280.png"), full_page=True)
