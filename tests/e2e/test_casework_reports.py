"""In real Chromium at 360 px and 1280 px: the office lead reads the reports (charts drawn, figures in
tables, nothing wider than the phone, no serious axe violation), turns on sharing with the CLP, and
hands a leaving caseworker's cases over after the page says what it will do; the CLP secretary then
sees the suppressed counts (issue 15, items 5 and 7)."""

import pytest
from playwright.sync_api import expect

from casework.models import Case
from labourhub.models import Role
from tests.casework.factories import AgencyFactory, case_in, office_of
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, axe_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _cells(page, caption, row):
    """The figures of the row headed `row` in the table captioned `caption`."""
    table = page.locator("table", has=page.locator("caption", has_text=caption))
    return table.locator("tr", has=page.locator(f"th:text-is('{row}')")).locator("td")


def _fits_and_passes_axe(page):
    problems = []
    for size in ("phone", "desktop"):
        page.set_viewport_size({"width": SIZES[size]["width"], "height": SIZES[size]["height"]})
        if size == "phone":
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= SIZES["phone"]["width"] + 1, f"{page.url} is {width} px wide on a phone"
        problems += axe_problems(page)
    assert not problems, "\n".join(problems)


def test_lead_reads_reports_shares_counts_and_hands_cases_over(browser_page, live_server, anytown):
    page = browser_page
    made = office_of(anytown)
    office = made["office"]
    housing = office.topics.get(name="Housing")
    dwp = AgencyFactory(name="DWP")
    leaving = [case_in(anytown, topic=housing, ward=anytown.ward, agency=dwp) for _ in range(6)]
    sign_in(page.context, live_server, made["lead"])

    page.set_viewport_size({"width": SIZES["phone"]["width"], "height": SIZES["phone"]["height"]})
    page.goto(f"/casework/offices/{office.pk}/reports/")
    page.wait_for_function("typeof Chart !== 'undefined' && Chart.getChart('month-chart') !== undefined")
    page.wait_for_function("Chart.getChart('topic-chart') !== undefined")
    expect(_cells(page, "Cases by topic", "Housing")).to_have_text(["6", "6", "0"])
    _fits_and_passes_axe(page)

    page.goto(f"/casework/offices/{office.pk}/settings/")
    page.get_by_label("Share anonymised counts with the CLP").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The office's settings are saved.").wait_for()
    _fits_and_passes_axe(page)

    page.goto(f"/casework/offices/{office.pk}/handover/")
    page.get_by_label("Cases worked by").select_option(label=str(made["worker"]))
    page.get_by_label("Hand over to").select_option(label=str(made["mine"]))
    page.get_by_role("button", name="Show what this will do").click()
    page.get_by_text("This will hand 6 cases worked by").wait_for()
    assert Case.unscoped.filter(owner=made["worker"]).count() == 6  # asked first: nothing done yet
    _fits_and_passes_axe(page)
    page.get_by_role("button", name="Hand over 6 cases").click()
    page.get_by_text(f"6 cases handed over to {made['mine']}.").wait_for()
    assert Case.unscoped.filter(owner=made["mine"], pk__in=[c.pk for c in leaving]).count() == 6

    page.goto(f"/casework/offices/{office.pk}/retention/")
    page.get_by_text("No case is due in the next 31 days.").wait_for()
    _fits_and_passes_axe(page)

    secretary_context = page.context.browser.new_context()
    try:
        clp_page = secretary_context.new_page()
        clp_page.set_default_timeout(20_000)
        sign_in(secretary_context, live_server, anytown.user(Role.CLP_SECRETARY))
        clp_page.goto(f"{live_server.url}/casework/clp/{anytown.constituency.pk}/?topic=Housing")
        table = "Housing cases by ward"
        expect(_cells(clp_page, table, anytown.ward.name)).to_have_text(["6"])
        expect(_cells(clp_page, table, "Ward not known")).to_have_text(["<5"])
        expect(_cells(clp_page, table, "Total")).to_have_text(["at least 6"])
        assert leaving[0].name not in clp_page.content()
        _fits_and_passes_axe(clp_page)
    finally:
        secretary_context.close()
