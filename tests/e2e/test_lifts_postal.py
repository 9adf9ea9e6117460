"""Lifts and the postal chase used as their users use them, in a real browser: an organiser takes a
lift request, adds a driver and assigns the lift; the driver, on a 360 px phone, sees it on My lifts
and marks it picked up and done. A canvasser finds the postal chase from the polling-day index,
reads the law, logs a call; an organiser prints the labels."""

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import expect

from gotv.models import Driver, LiftRequest, PostalChaseContact
from labourhub.models import Role
from tests.conftest import sign_in
from tests.gotv.factories import canvassed, enter, polling_day
from tests.gotv.factories_ops import mark_postal
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _new_phone(browser_context, live_server, user):
    context = browser_context.browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    sign_in(context, live_server, user)
    return context.new_page()


def test_an_organiser_assigns_a_lift_and_the_driver_does_it_from_a_phone(
    browser_context, browser_page, live_server, anytown
):
    polling_day(anytown, name="Anytown general election")
    organiser, driver_user = anytown.user(Role.ORGANISER), anytown.user(Role.CANVASSER)
    page = browser_page
    sign_in(page.context, live_server, organiser)
    page.goto("/polling-day/")
    page.get_by_role("link", name="Anytown general election").click()
    page.get_by_role("link", name="Lifts and drivers").click()

    # Two forms on one page, each label naming its own field (no ids shared between them).
    assert page.evaluate(
        "new Set([...document.querySelectorAll('[id]')].map(e => e.id)).size"
    ) == page.evaluate("document.querySelectorAll('[id]').length")
    lift_form = page.locator("form", has_text="Someone needs a lift")
    driver_form = page.locator("form", has_text="Add a driver")
    # A request with a mistake: the window ends before it starts. What was typed stays.
    page.get_by_label("Who needs the lift").fill("Len Lift")
    page.get_by_label("Pick-up address").fill("9 Mill Lane")
    page.get_by_label("Their phone number").fill("07700 900222")
    page.get_by_label("Ready from").fill("15:00")
    lift_form.get_by_label("Until").fill("14:00")
    page.get_by_label("Travels in a wheelchair").check()
    page.get_by_role("button", name="Add lift").click()
    expect(page.get_by_text("14:00 is before the start of the window (15:00).")).to_be_visible()
    expect(page.get_by_label("Who needs the lift")).to_have_value("Len Lift")
    expect(page.get_by_label("Travels in a wheelchair")).to_be_checked()
    assert not LiftRequest.unscoped.exists()
    lift_form.get_by_label("Until").fill("16:00")
    page.get_by_role("button", name="Add lift").click()
    expect(page.get_by_text("Lift for Len Lift added.")).to_be_visible()

    driver_form.get_by_label("Name").fill("Dee Driver")
    page.get_by_label("Their LabourHub email").fill(driver_user.email)
    page.get_by_role("button", name="Add driver").click()
    expect(page.get_by_text("Dee Driver is driving.")).to_be_visible()

    # Assigning: nothing is chosen for the organiser; they pick the driver.
    card = page.locator("li.card", has_text="Len Lift")
    expect(card.get_by_label("Driver")).to_have_value("")
    card.get_by_label("Driver").select_option(label="Dee Driver (3 seats)")
    card.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Lift for Len Lift: given to Dee Driver.")).to_be_visible()
    lift = LiftRequest.unscoped.get()
    assert (lift.status, lift.driver) == ("assigned", Driver.unscoped.get(user=driver_user))

    # The driver's phone: only this lift, with a call button; picked up, then done.
    phone = _new_phone(browser_context, live_server, driver_user)
    phone.goto("/")
    phone.get_by_role("link", name="Polling day: my lifts (drivers)").click()
    expect(phone.get_by_role("heading", name="Len Lift")).to_be_visible()
    expect(phone.get_by_text("Ready 15:00–16:00")).to_be_visible()
    expect(phone.get_by_role("link", name="Call 07700 900222")).to_have_attribute("href", "tel:07700900222")
    _fits_the_phone(phone)
    phone.get_by_role("button", name="Picked up").click()
    expect(phone.get_by_text("Picked up ")).to_be_visible()
    phone.get_by_role("button", name="Done: they have voted").click()
    expect(phone.get_by_text("No lifts for you right now.")).to_be_visible()
    expect(phone.get_by_text("Len Lift: Taken to vote")).to_be_visible()
    lift.refresh_from_db()
    assert lift.status == "done" and lift.picked_up_at and lift.done_at
    phone.context.close()


def test_cancelling_a_lift_asks_first(browser_page, live_server, anytown):
    day = polling_day(anytown, name="Anytown general election")
    LiftRequest.unscoped.create(election=day.election, name="Olive Open", address="10 Mill Lane")
    page = browser_page
    sign_in(page.context, live_server, anytown.user(Role.ORGANISER))
    page.goto(f"/polling-day/{day.election.pk}/lifts/")
    cancel = page.get_by_role("button", name="Yes, cancel Olive Open's lift")
    expect(cancel).to_be_hidden()  # one tap does not cancel: the question opens first
    page.get_by_text("Cancel lift…").click()
    page.get_by_label("Why (optional)").fill("Her son is taking her")
    cancel.click()
    expect(page.get_by_text("Lift for Olive Open: cancelled.")).to_be_visible()
    lift = LiftRequest.unscoped.get()
    assert lift.status == "cancelled" and "Her son is taking her" in lift.notes


def test_a_canvasser_chases_postal_voters_and_an_organiser_prints_labels(
    browser_context, browser_page, live_server, anytown
):
    day = polling_day(anytown, name="Anytown general election")
    day.election.democracy_club_id = "parl.anytown.today"
    day.election.save(update_fields=["democracy_club_id"])
    people = {}
    for n, (surname, postal, ours) in enumerate(
        [("Postman", True, True), ("Boothby", False, True), ("Otherside", True, False)], start=1
    ):
        home = PropertyFactory(polling_district=anytown.polling_district, address=f"{n} Elm Road, Northfield",
                               postcode="AT11AA", postcode_display="AT1 1AA")  # fmt: skip
        people[surname] = ElectorFactory(home=home, surname=surname, first_names="Pat", elector_number=n)
        enter(day.election.publication, people[surname])
        if ours:
            canvassed(people[surname], "L", "hard")
        if postal:
            mark_postal(day.election, people[surname])

    page = browser_page
    sign_in(page.context, live_server, anytown.user(Role.CANVASSER))
    page.goto("/polling-day/")
    page.get_by_role("link", name="Postal chase").click()
    expect(page.get_by_role("heading", name="The law, in plain words")).to_be_visible()
    expect(page.get_by_text("Never collect, carry or handle anyone else's postal vote")).to_be_visible()
    expect(page.get_by_text("no per-voter return data before the close of poll")).to_be_visible()
    expect(page.locator("ul.postal > li")).to_have_count(1)  # postal AND a promise
    expect(page.get_by_text("Pat Postman")).to_be_visible()
    expect(page.get_by_role("link", name="Address labels")).to_have_count(0)  # labels are an export
    _fits_the_phone(page)

    voter = page.locator("ul.postal > li", has_text="Pat Postman")
    voter.get_by_label("How").select_option(label="Phone")
    voter.get_by_label("What they said").select_option(label="Still at home")
    voter.get_by_label("Notes (optional)").fill("Will post it tonight")
    voter.get_by_role("button", name="Log").click()
    expect(page.get_by_text("Last: Still at home")).to_be_visible()
    contact = PostalChaseContact.unscoped.get()
    assert (contact.elector, contact.channel, contact.outcome, contact.notes) == (
        people["Postman"],
        "phone",
        "at_home",
        "Will post it tonight",
    )

    office = browser_context.browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}
    )
    sign_in(office, live_server, anytown.user(Role.ORGANISER))
    labels = office.new_page()
    labels.goto(f"/polling-day/{day.election.pk}/postal/")
    labels.get_by_role("link", name="Address labels").click()
    expect(labels.locator(".label")).to_have_count(1)
    expect(labels.locator(".label")).to_contain_text("Pat Postman")
    expect(labels.locator(".label")).to_contain_text("AT1 1AA")
    office.close()
