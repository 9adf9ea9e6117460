"""The data protection pages in Debian's chromium, as the CLP's data protection lead uses them on a
phone: log a request through the form (a day-first date), move it on, record a breach and watch its
72-hour clock count down; every page passes axe at 360 px and 1280 px and fits a phone's width."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from labourhub.dataprotection.models import Breach, SubjectRequest
from labourhub.models import Role
from tests.conftest import sign_in
from tests.dataprotection.factories import SubjectRequestFactory
from tests.e2e.axe import at_sizes, axe_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    "dataprotection:requests",
    "dataprotection:overdue",
    "dataprotection:request_new",
    "dataprotection:report",
    "dataprotection:breaches",
    "dataprotection:breach_new",
    "dataprotection:records",
]


def _wider_than_screen(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def test_a_lead_logs_a_request_and_a_breach_on_a_phone(browser_context, live_server, anytown):
    lead = anytown.user(Role.DATA_PROTECTION_LEAD)
    SubjectRequestFactory(
        constituency=anytown.constituency,
        requester_name="Olivia Overdue",
        reference="DSR-2026-00009",
        received_on=timezone.localdate() - datetime.timedelta(days=50),
        due_on=timezone.localdate() - datetime.timedelta(days=15),
    )
    sign_in(browser_context, live_server, lead)
    page = browser_context.new_page()

    page.goto(reverse("home"))
    page.get_by_role("link", name="Data-subject requests").click()
    expect(page.get_by_text("Olivia Overdue")).to_be_visible()  # waits for the list to load
    page.get_by_role("link", name="Log a request").click()
    page.get_by_label("Type of request").select_option("objection")
    received = timezone.localdate() - datetime.timedelta(days=5)
    page.get_by_label("Received on").fill(
        f"{received.day}/{received.month}/{received.year}"
    )  # day first, unpadded
    page.get_by_label("Requester's name").fill("Rita Requester")
    page.get_by_role("button", name="Log the request").click()
    page.wait_for_url("**/data-protection/requests/*/")
    created = SubjectRequest.unscoped.get(requester_name="Rita Requester")
    assert page.get_by_text(
        f"{created.due_on:%A} {created.due_on.day} {created.due_on:%B %Y}"
    ).first.is_visible()
    assert not axe_problems(page)
    assert not _wider_than_screen(page)

    page.get_by_label("New status").select_option("awaiting_id")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("the clock is paused")).to_be_visible()  # waits for the new page

    page.goto(reverse("dataprotection:breach_new"))
    found = timezone.localtime() - datetime.timedelta(hours=3)
    page.get_by_label("What happened").fill("Canvass sheets left in a café")
    page.get_by_label("When it was found").fill(found.strftime("%d/%m/%Y %H:%M"))
    page.get_by_label("Who found it").fill("A canvasser")
    page.get_by_label("Kinds of data (e.g. names, addresses, voting intentions)").fill("Names, intentions")
    page.get_by_label("Risk to people").select_option("risk")
    page.get_by_role("button", name="Record the breach").click()
    page.wait_for_url("**/data-protection/breaches/*/")
    assert Breach.unscoped.filter(found_by="A canvasser").exists()
    # The live clock (static/dataprotection/breach_clock.js) has replaced the server's text.
    clock = page.locator(".breach-clock").first
    assert " h " in clock.inner_text() and "min left" in clock.inner_text()
    assert clock.inner_text().startswith(("68 h", "69 h"))


def test_every_data_protection_page_passes_axe_at_both_sizes(browser_context, live_server, anytown):
    from tests.dataprotection.factories import BreachFactory

    request = SubjectRequestFactory(constituency=anytown.constituency, requester_name="Anne Anytown")
    breach = BreachFactory(constituency=anytown.constituency)
    sign_in(browser_context, live_server, anytown.user(Role.DATA_PROTECTION_LEAD))
    page = browser_context.new_page()
    urls = [reverse(name) for name in PAGES] + [
        reverse("dataprotection:request", args=[request.pk]),
        reverse("dataprotection:breach", args=[breach.pk]),
    ]
    problems = []
    for url in urls:
        page.goto(url)
        assert page.title() and "Server Error" not in page.title()
        for size in at_sizes(page):
            problems += axe_problems(page)
            if size == "phone" and _wider_than_screen(page):
                problems.append(f"{url} is wider than a 360 px phone")
    assert not problems, "\n".join(problems)
