"""An organiser on a 360px phone finds a voter, reads their page and records a call (canvassers,
who sign in without MFA, do not search the register: issue 10, item 12)."""

import uuid

import pytest
from playwright.sync_api import expect

from campaigns.services import canvass_record_visit
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, assert_accessible
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory

pytestmark = pytest.mark.e2e


def test_find_a_voter_and_record_a_contact_on_a_phone(browser_page, live_server, anytown):
    page = browser_page
    home = PropertyFactory(
        polling_district=anytown.polling_district,
        address="12 Anytown Road, Anytown",
        street="Anytown Road",
        house_number=12,
        postcode="AT12AB",
        postcode_display="AT1 2AB",
    )
    ElectorFactory(
        home=home, polling_district=anytown.polling_district, surname="Anytownson", first_names="Ann"
    )
    ElectorFactory(
        home=home, polling_district=anytown.polling_district, surname="Anytownson", first_names="Bob"
    )
    sign_in(page.context, live_server, anytown.user(Role.ORGANISER))

    page.goto("/voters/")
    page.get_by_label("Name, address, postcode or elector number").fill("ann anytownson")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Anytownson, Ann").click()
    expect(page.get_by_role("heading", name="Household")).to_be_visible()
    expect(page.get_by_role("link", name="Bob Anytownson")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Outcome").fill("spoke")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Contact recorded.")).to_be_visible()
    expect(page.get_by_text("Contacted 1 time in the last 30 days")).to_be_visible()
    assert page.locator("table").last.inner_text().count("Phone") == 1


LONG_ADDRESS = (
    "Flat 12B The Old Cordwainers' Almshouse Annexe, 1234 Anytown-upon-the-Long-Water Ringway, "
    "Lower Anytownsbury-with-Netherwhittlesfield"
)


def test_find_a_voter_fits_a_phone_with_long_names_and_addresses(browser_page, live_server, anytown):
    page = browser_page
    for n in range(3):
        home = PropertyFactory(
            polling_district=anytown.polling_district,
            address=f"{LONG_ADDRESS} {n}",
            street="Anytown-upon-the-Long-Water Ringway",
            postcode="AT12AB",
            postcode_display="AT1 2AB",
        )
        elector = ElectorFactory(
            home=home,
            polling_district=anytown.polling_district,
            surname="Anytownson-Fotheringham-Featherstonehaugh",
            first_names="Maximilienne Ottoline Wilhelmina",
            elector_number_raw=f"{anytown.polling_district.code}-1234{n}/10",
        )
        ContactFactory(
            elector=elector,
            by=anytown.user(Role.CANVASSER),
            campaign_label="Anytown Autumn Doorstep Blitz for the Netherwhittlesfield By-election",
            outcome="not-in-left-a-leaflet-through-the-side-door",
        )
    sign_in(page.context, live_server, anytown.user(Role.ORGANISER))

    page.goto("/voters/?q=AT1+2AB")
    expect(page.get_by_text("3 found.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Nothing scrolls sideways inside the page either: every result can be read without swiping.
    assert page.evaluate("document.querySelector('.table-wrap').scrollWidth") <= 360
    page.get_by_role("link", name="Anytownson-Fotheringham-Featherstonehaugh, Maximilienne").first.click()
    expect(page.get_by_text("Anytown Autumn Doorstep Blitz")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert (
        page.evaluate("Math.max(...[...document.querySelectorAll('.table-wrap')].map(t => t.scrollWidth))")
        <= 360
    )


def test_the_office_sees_what_the_door_learnt_at_both_sizes(browser_page, live_server, anytown):
    """Issue 14, item 4: the latest intention at the top, the answers on each contact, the summary in
    search results; readable on a phone and a desktop, and no serious or critical axe finding."""
    page = browser_page
    home = PropertyFactory(
        polling_district=anytown.polling_district,
        address="7 Anytown Lane, Anytown",
        street="Anytown Lane",
        house_number=7,
        postcode="AT12AB",
        postcode_display="AT1 2AB",
    )
    voter = ElectorFactory(
        home=home, polling_district=anytown.polling_district, surname="Anytownson", first_names="Ann"
    )
    campaign = campaign_with_survey(anytown.constituency, name="Anytown spring doorstep")
    canvass_record_visit(
        canvasser=anytown.user(Role.CANVASSER),
        campaign=campaign,
        elector=voter,
        outcome="spoke",
        client_uuid=uuid.uuid4(),
        answers={
            "vi": {"code": "L", "strength": "soft"},
            "labour-0-10": 7,
            "issues": {"codes": ["housing"], "other": "the bus to Anytown market"},
            "volunteer": True,
        },
        survey_version=campaign.current_survey_version(),
    )
    sign_in(page.context, live_server, anytown.user(Role.ORGANISER))

    for size in SIZES.values():
        page.set_viewport_size(size)
        page.goto("/voters/?q=Anytownson")
        result = page.get_by_role("row").filter(has_text="Anytownson, Ann")
        expect(result).to_contain_text("Labour (L), soft")
        page.get_by_role("link", name="Anytownson, Ann").click()
        learnt = page.get_by_role("region", name="What we know from contacts")
        expect(learnt).to_contain_text("Voting intention: Labour (L), soft")
        expect(learnt).to_contain_text("Door · by")
        expect(learnt).to_contain_text("7 out of 10")
        expect(learnt).to_contain_text("Housing, also: the bus to Anytown market")
        history = page.get_by_role("region", name="Contact history")
        expect(history).to_contain_text("Spoke")
        expect(history).to_contain_text("Labour (L), soft")
        expect(history.locator("dd").filter(has_text="7 out of 10")).to_be_visible()
        expect(history).to_contain_text("Would you help the campaign?")
        width = size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page)
