"""The retention preview, its records, the privacy notice (public and its edit page) and the canvassing
page with the line read out, in chromium at 360x740 and 1280x800: axe finds no serious or critical
problem and nothing is wider than the phone (issue 16, items 4 and 5)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from labourhub.models import Role
from labourhub.services import privacy_notice_update
from tests.campaigns.factories import PackFactory, WalkListFactory, campaign_with_survey
from tests.conftest import sign_in
from tests.e2e.axe import SIZES, at_sizes, axe_problems
from tests.labourhub.test_privacy_notice import DETAILS, SCRIPT
from tests.labourhub.test_retention import records  # noqa: F401 (a fixture: records either side of each period)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


def _wider_than_the_phone(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return width > SIZES["phone"]["width"] + 1


def test_data_protection_pages_pass_axe_on_a_phone_and_a_desktop(
    browser_context,
    live_server,
    anytown,
    records,  # noqa: F811 (the fixture imported above)
):
    lead = anytown.user(Role.DATA_PROTECTION_LEAD)
    privacy_notice_update(user=lead, constituency=anytown.constituency, **DETAILS)
    canvasser = anytown.user(Role.CANVASSER)
    campaign = campaign_with_survey(anytown.constituency)
    pack = PackFactory(walk_list=WalkListFactory(campaign=campaign), assigned_to=canvasser)
    pk, gss = anytown.constituency.pk, anytown.constituency.gss_code
    pages = [
        (lead, reverse("retention_preview", args=[pk]), "Retention: Anytown"),
        (lead, reverse("retention_records", args=[pk, "lapsed_members"]), "Lapsed members"),
        (lead, reverse("privacy_notice_edit", args=[pk]), "Privacy notice: Anytown"),
        (None, reverse("privacy_notice", args=[gss]), "Anytown and District CLP"),
        (canvasser, reverse("campaigns:pack_canvass", args=[pack.pk]), SCRIPT),
    ]
    problems, checked = [], 0
    for user, url, expected in pages:
        context = browser_context.browser.new_context(base_url=live_server.url)
        if user is not None:
            sign_in(context, live_server, user)
        page = context.new_page()
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert expected in page.content(), url
        for size in at_sizes(page):
            if size == "phone" and _wider_than_the_phone(page):
                problems.append(f"{url} is wider than the phone")
            problems += axe_problems(page)
            checked += 1
        context.close()
    assert checked == 2 * len(pages)
    assert not problems, "\n".join(problems)
