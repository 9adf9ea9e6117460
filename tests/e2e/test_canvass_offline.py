"""The canvasser's page in a real browser (Debian chromium, phone viewport): a whole session with
no signal, a reload while offline, and every answer arriving exactly once."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import LatestIntention, PackDownload, SyncProblem, Visit
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.conftest import PHONE, sign_in
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests flush the tables a data migration filled: put the codes back."""
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture
def pack(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    homes = [
        PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road", house_number=n)
        for n in range(1, 8)
    ]
    for home in homes:
        ElectorFactory(home=home, surname="Anytownson", first_names=f"Voter{home.house_number}")
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    return pack


def open_pack(page, pack):
    page.goto(reverse("campaigns:pack_canvass", args=[pack.pk]))
    page.wait_for_selector("#canvass[data-offline-ready=true]")
    page.wait_for_selector("button.door")


def record_door(page, door_index, code="L"):
    page.locator("button.door").nth(door_index).click()
    page.get_by_role("button", name=re.compile(r"^Spoke to ")).first.click()
    page.locator(f"input[name=q-vi][value={code}]").check()
    page.locator("input[name=q-vi-strength][value=soft]").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("✓ recorded").wait_for()
    page.get_by_role("button", name="← All doors").click()


def waiting(page):
    return int(page.locator("#queue-count").get_attribute("data-waiting"))


def test_a_whole_session_offline_arrives_exactly_once(
    browser_context, live_server, anytown, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)

    browser_context.set_offline(True)
    for door in range(5):
        record_door(page, door)
    expect(page.locator("#queue-count")).to_have_attribute("data-doors", "5")
    assert "5 doors waiting to send" in page.locator("#queue-count").inner_text()

    page.reload()  # offline: the service worker serves the page, IndexedDB still holds the answers
    page.wait_for_selector("button.door")
    assert waiting(page) == 5
    assert Visit.unscoped.count() == 0

    browser_context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    assert "safe on the server" in page.locator("#receipt").inner_text()
    # The receipt counts what the counter counted: doors, not answers (issue 14, item 12).
    assert "Sent 5 doors" in page.locator("#receipt").inner_text()

    visits = Visit.unscoped.select_related("elector")
    assert visits.count() == 5
    assert len({v.client_uuid for v in visits}) == 5
    assert Contact.unscoped.filter(channel="door").count() == 5
    assert {li.display for li in LatestIntention.unscoped.all()} == {"L soft"}
    sign_in(browser_context, live_server, anytown.user(Role.ORGANISER))  # elector pages need MFA roles
    for visit in visits:  # the single view of each voter shows the door contact at once
        page.goto(reverse("voters:elector", args=[visit.elector_id]))
        history = page.content()
        assert "Spoke" in history and pack.walk_list.campaign.name in history


def test_two_canvassers_on_the_same_door_both_arrive(
    browser_context, live_server, anytown, anytown_canvasser, pack
):
    second_canvasser = anytown.user(Role.ORGANISER)  # organisers canvass too
    sign_in(browser_context, live_server, anytown_canvasser)
    other_context = browser_context.browser.new_context(base_url=live_server.url, **PHONE)
    try:
        sign_in(other_context, live_server, second_canvasser)
        first, second = browser_context.new_page(), other_context.new_page()
        open_pack(first, pack)
        open_pack(second, pack)
        browser_context.set_offline(True)
        other_context.set_offline(True)
        record_door(first, 0, code="L")
        record_door(second, 0, code="G")
        other_context.set_offline(False)
        expect(second.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
        browser_context.set_offline(False)
        expect(first.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)

        visits = Visit.unscoped.order_by("received_at")
        assert [v.canvasser for v in visits] == [second_canvasser, anytown_canvasser]
        # The later arrival (server time) is the elector's latest intention.
        assert LatestIntention.unscoped.get().display == "L soft"
        first.reload()
        first.wait_for_selector("button.door")
        assert "Knocked today by" in first.locator("button.door").first.inner_text()
    finally:
        other_context.close()


def test_my_doors_knocked_earlier_today_show_as_done_on_a_second_phone(
    browser_context, live_server, anytown_canvasser, pack
):
    """Issue 14, item 12: the server knows my knocks today, so a second phone shows them done."""
    sign_in(browser_context, live_server, anytown_canvasser)
    first = browser_context.new_page()
    open_pack(first, pack)
    record_door(first, 0)
    expect(first.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    assert Visit.unscoped.count() == 1

    other_phone = browser_context.browser.new_context(base_url=live_server.url, **PHONE)
    try:
        sign_in(other_phone, live_server, anytown_canvasser)
        second = other_phone.new_page()
        open_pack(second, pack)
        door = second.locator("button.door").first
        expect(door).to_contain_text("Done by you at")
        expect(door).to_have_class(re.compile(r"\bdone\b"))
        assert "Knocked today by" not in door.inner_text()
        assert "done" not in (second.locator("button.door").nth(1).get_attribute("class") or "").split()
    finally:
        other_phone.close()


def test_a_pack_reopened_marks_a_door_contacted_since_as_contacted_recently_skip(
    browser_context, live_server, anytown, anytown_canvasser, pack
):
    """Issue 14, item 6: the contact-frequency rule on a pack already on the phone. Someone rang the
    voter at door 2 after the pack was downloaded: re-opened, the door says to skip it."""
    from voters.services import contact_record

    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    expect(page.locator("button.door").nth(1)).not_to_contain_text("Contacted recently")
    called = pack.doors.get(position=2).property.electors.get()
    contact_record(elector=called, channel="phone", user=anytown.user(Role.ORGANISER))
    page.reload()
    page.wait_for_selector("button.door")
    door = page.locator("button.door").nth(1)
    expect(door).to_contain_text("Contacted recently, skip")
    assert "Contacted recently" not in page.locator("button.door").nth(0).inner_text()
    door.click()
    expect(page.locator(".person .skip")).to_contain_text(
        f"contacted recently ({timezone.localtime():%-d %b}), skip"
    )


def test_going_online_signed_out_says_the_answers_are_waiting(
    browser_context, live_server, anytown_canvasser, pack
):
    """Issue 14, item 12: back in signal but signed out, the page says answers are waiting and
    how to send them, and nothing is lost."""
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    browser_context.set_offline(True)
    record_door(page, 0)
    record_door(page, 1)
    browser_context.clear_cookies()  # signed out (the session ended) while out of signal
    browser_context.set_offline(False)

    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text("Sign in again to send", timeout=30_000)
    expect(receipt).to_contain_text("2 doors are waiting")
    expect(page.locator("#queue-count")).to_contain_text("2 doors waiting to send")
    expect(receipt.get_by_role("link", name="Sign in")).to_be_visible()
    assert Visit.unscoped.count() == 0


def test_a_pack_link_opened_without_a_grant_is_refused(browser_context, live_server, otherton, pack):
    sign_in(browser_context, live_server, otherton.user(Role.CANVASSER))
    page = browser_context.new_page()
    response = page.goto(reverse("campaigns:pack_shared", args=[pack.share_token]))
    assert response.status == 403
    assert "not open to you" in page.content()
    assert "Anytown" not in page.content()
    response = page.goto(reverse("campaigns:pack_data", args=[pack.pk]))
    assert response.status == 404


def test_a_pack_link_signed_out_goes_to_sign_in(browser_page, pack):
    browser_page.goto(reverse("campaigns:pack_shared", args=[pack.share_token]))
    assert "/accounts/login/" in browser_page.url


def test_answers_recorded_before_a_revocation_still_arrive_and_the_pack_leaves_the_phone(
    browser_context, live_server, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    browser_context.set_offline(True)
    record_door(page, 0)
    record_door(page, 1)
    grant_revoke(grant=Grant.objects.get(user=anytown_canvasser), revoked_by=None, reason="Left the party")

    browser_context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    # Let in because the phone downloaded the pack (the server's token) before the revocation.
    assert [v.flags for v in Visit.unscoped.all()] == [["grant_ended"], ["grant_ended"]]
    assert not AuditEvent.objects.filter(action="canvass.late_refused").exists()

    page.reload()  # the server now refuses the pack: the cached shell opens, the pack is removed
    expect(page.locator("#view")).to_have_attribute("data-screen", "missing")
    assert page.locator("button.door").count() == 0
    assert "Anytownson" not in page.content()


def test_answers_arriving_long_after_a_revocation_are_refused_and_stay_on_the_phone(
    browser_context, live_server, anytown_canvasser, pack
):
    sign_in(browser_context, live_server, anytown_canvasser)
    page = browser_context.new_page()
    open_pack(page, pack)
    browser_context.set_offline(True)
    record_door(page, 0)
    # The phone stays offline for days: the pack was downloaded, and the grant revoked, long ago.
    grant = Grant.objects.get(user=anytown_canvasser)
    grant_revoke(grant=grant, revoked_by=None, reason="Left the party")
    long_ago = timezone.now() - timedelta(hours=100)
    Grant.all_objects.filter(pk=grant.pk).update(starts_at=long_ago - timedelta(days=1), revoked_at=long_ago)
    PackDownload.objects.update(issued_at=long_ago - timedelta(hours=1))

    browser_context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "0", timeout=30_000)
    expect(page.locator("#refused")).to_contain_text("72 hours")  # kept on the phone, and said why
    assert Visit.unscoped.count() == 0
    [problem] = SyncProblem.unscoped.all()
    assert "72 hours" in problem.message
    assert problem.payload["download"]  # the phone sent the token it was given with the pack
    assert AuditEvent.objects.filter(action="canvass.late_refused", user=anytown_canvasser).count() == 1
