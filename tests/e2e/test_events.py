"""In real Chromium: someone signs up to a canvass session from its public page on a phone, confirms
from the link in their day-before email, and the organiser checks them in and hands out a pack;
axe-core on each page at 360 px and 1280 px (issue 17)."""

import datetime
import email
import re
from email import policy

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import events_services
from campaigns.models import Signup
from labourhub.models import Role
from tests.campaigns.event_factories import event_with_shift, local
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.conftest import sign_in
from tests.e2e.axe import assert_accessible, at_sizes
from tests.voters.factories import PropertyFactory

pytestmark = pytest.mark.e2e


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_sign_up_confirm_from_the_email_and_check_in_with_a_pack(
    browser_page, live_server, anytown, smtp_server, settings
):
    settings.SITE_URL = live_server.url
    page = browser_page
    organiser = anytown.user(Role.ORGANISER)
    campaign = campaign_with_survey(anytown.constituency)
    pack = pack_with_doors(campaign, [PropertyFactory(polling_district=anytown.polling_district)])
    day = timezone.localdate() + datetime.timedelta(days=4)
    event, shift = event_with_shift(
        anytown.constituency,
        title="Saturday doors in Anytown",
        starts_at=local(day, 10, 30),
        contact=organiser,
        walk_list=pack.walk_list,
        accessibility="Step-free meeting point; short routes available.",
    )

    # The public page, signed out, on a phone.
    page.goto(f"/campaigns/e/{event.token}/")
    expect(page.get_by_role("heading", name="Saturday doors in Anytown")).to_be_visible()
    _fits_the_phone(page)
    for _size in at_sizes(page):
        assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/campaigns/e/{event.token}/")

    # Missing consent: told what and where, nothing saved.
    page.get_by_label("Your name").fill("Robin <b>Anytown</b>")
    page.locator("#id_email").fill("robin@anytown.example")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Tick the email box")).to_be_visible()
    assert not Signup.unscoped.exists()
    assert_accessible(page)

    page.get_by_label("Email me about this event").check()
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#booking-status")).to_have_text("Booked")
    expect(
        page.get_by_text("See you there, Robin <b>Anytown</b>.")
    ).to_be_visible()  # shown as typed, not markup
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    _fits_the_phone(page)
    assert_accessible(page)
    signup = Signup.unscoped.get()

    # The day before at 11:00 (time moved forward): the reminder, with its one-click links.
    Signup.unscoped.filter(pk=signup.pk).update(booked_at=local(day - datetime.timedelta(days=3), 9))
    events_services.event_reminders_send(now=local(day - datetime.timedelta(days=1), 11, 0))
    message = email.message_from_bytes(smtp_server.messages[-1]["data"], policy=policy.default)
    assert message["Subject"] == "Tomorrow: Saturday doors in Anytown"
    body = message.get_body(preferencelist=("plain",)).get_content()
    confirm = re.search(r"Yes, I'm coming: (\S+)", body).group(1)
    page.goto(confirm)
    assert_accessible(page)
    page.get_by_role("button", name="Yes, I'm coming").click()
    expect(page.locator("#link-result")).to_contain_text("you are confirmed")
    signup.refresh_from_db()
    assert signup.confirmed_at is not None

    # The organiser's event page, then check-in on the phone with a pack handed out.
    context = page.context
    context.clear_cookies()
    sign_in(context, live_server, organiser)
    page.goto(f"/campaigns/events/{event.pk}/")
    expect(page.get_by_role("heading", name="Saturday doors in Anytown")).to_be_visible()
    _fits_the_phone(page)
    for _size in at_sizes(page):
        assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/campaigns/events/")
    row = page.get_by_role("row").filter(has_text="Saturday doors in Anytown")
    expect(row).to_contain_text("1")
    assert_accessible(page)

    page.goto(f"/campaigns/events/{event.pk}/check-in/")
    _fits_the_phone(page)
    assert_accessible(page)
    page.get_by_label("Pack").select_option(str(pack.pk))
    page.get_by_role("button", name="Here, give the pack").click()
    expect(page.get_by_text(f"Attended · pack {pack.sheet_id}")).to_be_visible()
    signup.refresh_from_db()
    assert (signup.attendance, signup.pack_id) == ("attended", pack.pk)
    for _size in at_sizes(page):
        assert_accessible(page)
