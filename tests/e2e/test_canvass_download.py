"""Packs downloaded for offline from the canvasser's pack list (issue 14, item 10), in Debian's
chromium at 360 px: packs never opened before open with no signal, an answer from one arrives once
(let in by the download's server-issued token after the canvasser's access ended), "On this phone"
says what the phone holds, and removing them or signing out wipes them from IndexedDB and Cache
Storage."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from campaigns.models import PackDownload, Visit
from labourhub.models import Grant
from labourhub.services import grant_revoke
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.conftest import sign_in
from tests.e2e.axe import assert_accessible
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STORED = """async () => ({
  databases: (await indexedDB.databases()).map((d) => d.name),
  caches: await Promise.all((await caches.keys()).map(async (name) => [name,
    (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname)])),
})"""
PACKS_IN_DB = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("labourhub-canvass");
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("packs")) { db.close(); resolve([]); return; }
    const all = db.transaction("packs").objectStore("packs").getAllKeys();
    all.onsuccess = () => { db.close(); resolve(all.result); };
    all.onerror = () => reject(all.error);
  };
})"""


@pytest.fixture
def two_packs(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    made = []
    for street in ("North Street", "South Street"):
        homes = [
            PropertyFactory(polling_district=anytown.polling_district, street=street, house_number=n)
            for n in range(1, 4)
        ]
        for home in homes:
            ElectorFactory(
                home=home, surname="Anytownson", first_names=f"{street.split()[0]}{home.house_number}"
            )
        pack = pack_with_doors(campaign, homes)
        pack.assigned_to = anytown_canvasser
        pack.save(update_fields=["assigned_to"])
        made.append(pack)
    return made


def download_all(page):
    page.goto(reverse("campaigns:index"))
    page.get_by_role("button", name="Download my packs for offline").click()
    expect(page.locator("#offline-packs")).to_have_attribute("data-state", "done", timeout=30_000)


def pack_pages(stored):
    return [
        path for _, paths in stored["caches"] for path in paths if re.search(r"/packs/\d+/canvass/$", path)
    ]


def test_packs_downloaded_online_open_offline_sync_once_and_sign_out_wipes_them(
    browser_context, live_server, anytown_canvasser, two_packs
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    page.goto(reverse("campaigns:index"))
    for pack in two_packs:  # each pack's size before downloading it
        expect(page.locator(f"[data-sheet='{pack.sheet_id}']")).to_contain_text(
            re.compile(r"3 doors · about \d+ KB")
        )
    expect(page.locator("#on-phone")).to_contain_text("No packs")
    download_all(page)
    on_phone = page.locator("#on-phone")
    for pack in two_packs:
        expect(on_phone).to_contain_text(
            re.compile(rf"{pack.sheet_id} · {pack.name} — 3 doors, \d+ KB, downloaded \d\d:\d\d")
        )
    # Through the server's PackDownload, as opening a pack is: one token per pack, to this canvasser.
    assert sorted(PackDownload.objects.values_list("pack", "user")) == sorted(
        (pack.pk, anytown_canvasser.pk) for pack in two_packs
    )
    assert len(pack_pages(page.evaluate(STORED))) == 2  # and each pack's page, for no signal

    browser_context.set_offline(True)
    probe = browser_context.new_page()
    with pytest.raises(PlaywrightError):  # really offline, the service worker's fetches too
        probe.goto(reverse("campaigns:relations"))
    probe.close()
    page.goto(reverse("campaigns:index"))  # the list of what is on the phone opens offline too
    for pack in two_packs:
        expect(page.locator("#on-phone")).to_contain_text(f"{pack.sheet_id} · {pack.name} — 3 doors")
    for pack in two_packs:  # neither was ever opened: both open from what was downloaded
        page.goto(reverse("campaigns:pack_canvass", args=[pack.pk]))
        page.wait_for_selector("button.door")
        expect(page.locator("#canvass")).to_have_attribute("data-offline-ready", "true")
        assert page.locator("button.door").count() == 3
        expect(page.locator("h1")).to_contain_text(pack.sheet_id)
    for pack in two_packs:  # and each pack's map, never opened either
        page.goto(reverse("campaigns:pack_map", args=[pack.pk]))
        expect(page.locator("#map-note")).to_contain_text("No signal: showing the doors kept on this phone")
        expect(page.locator("#door-list li")).to_have_count(3)
    page.goto(reverse("campaigns:pack_canvass", args=[two_packs[-1].pk]))
    page.wait_for_selector("button.door")
    page.locator("button.door").first.click()
    page.get_by_role("button", name=re.compile(r"^Spoke to ")).first.click()
    page.locator("input[name=q-vi][value=L]").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("✓ recorded").wait_for()
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "1")
    # Access ends while the phone is out of signal: the answer is let in only because the phone
    # downloaded the pack (the server's token) while the canvasser still held the role.
    grant_revoke(grant=Grant.objects.get(user=anytown_canvasser), revoked_by=None, reason="Left")

    browser_context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    [visit] = Visit.unscoped.all()
    assert visit.pack == two_packs[1] and visit.flags == ["grant_ended"]
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # another round: nothing new
    page.wait_for_timeout(1500)
    assert Visit.unscoped.count() == 1

    page.goto(reverse("campaigns:index"))
    before = page.evaluate(STORED)
    assert "labourhub-canvass" in before["databases"] and len(pack_pages(before)) == 2
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: "/campaigns/" not in url)
    after = page.evaluate(STORED)
    assert not [name for name in after["databases"] if name.startswith("labourhub-")], after
    assert not [name for name, _ in after["caches"] if name.startswith("lh-")], after


def test_remove_from_this_phone_deletes_the_packs_and_their_pages(
    browser_context, live_server, anytown_canvasser, two_packs
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    page.goto(reverse("campaigns:index"))
    page.evaluate(  # a pack taken back from me since an earlier download
        """() => new Promise((resolve) => {
          const open = indexedDB.open("labourhub-canvass", 1);
          open.onupgradeneeded = () => {
            open.result.createObjectStore("packs");
            open.result.createObjectStore("queue", {keyPath: "uuid"}).createIndex("state", "state");
          };
          open.onsuccess = () => {
            const tx = open.result.transaction("packs", "readwrite");
            tx.objectStore("packs").put({pack: {id: 999999, sheet: "T-OLD", name: "Old"}, doors: [], at: new Date().toISOString()}, 999999);
            tx.oncomplete = () => { open.result.close(); resolve(); };
          };
        })"""
    )
    download_all(page)
    # Mine are on the phone; the one no longer mine has left it.
    assert sorted(page.evaluate(PACKS_IN_DB)) == sorted(pack.pk for pack in two_packs)
    page.get_by_role("button", name="Remove packs from this phone").click()
    expect(page.locator("#download-status")).to_contain_text("Removed from this phone")
    expect(page.locator("#on-phone")).to_contain_text("No packs")
    assert page.evaluate(PACKS_IN_DB) == []
    assert pack_pages(page.evaluate(STORED)) == []


def test_sign_out_with_answers_waiting_asks_first(browser_context, live_server, anytown_canvasser, two_packs):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    download_all(page)
    page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("labourhub-canvass");
          open.onsuccess = () => {
            const tx = open.result.transaction("queue", "readwrite");
            tx.objectStore("queue").put({uuid: "u-1", state: "waiting", pack: 1, door: 1});
            tx.oncomplete = () => { open.result.close(); resolve(); };
          };
        })"""
    )
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_timeout(1000)
    assert "1 entry is still waiting to send" in asked[0]
    assert "/campaigns/" in page.url  # still signed in, nothing deleted
    assert len(page.evaluate(PACKS_IN_DB)) == 2

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: "/campaigns/" not in url)
    assert not [n for n in page.evaluate(STORED)["databases"] if n.startswith("labourhub-")]


@pytest.mark.parametrize("size", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}])
def test_the_pack_list_passes_axe(browser_context, live_server, anytown_canvasser, two_packs, size):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    page.set_viewport_size(size)
    download_all(page)
    assert_accessible(page)
