"""Issue 14, item 12: date boxes read day first in a US-English browser as in a British one.

Chromium draws <input type="date"> in the browser's own language (measured: mm/dd/yyyy in en-US,
dd/mm/yyyy in en-GB, whatever the page's lang), so the site's dates are text boxes typed dd/mm/yyyy.
Each case launches Debian's chromium with that language (LANG/LANGUAGE; en-GB needs Debian's
chromium-l10n, without which the browser falls back to en-US and the case still holds)."""

import datetime
import os

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from labourhub.models import Role
from tests.conftest import CHROMIUM_ARGS, PHONE, playwright_for_test, sign_in
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_in(transactional_db, live_server, settings, monkeypatch):
    with playwright_for_test(settings, monkeypatch) as (playwright, path):
        opened = []

        def launch(language):
            env = {
                **os.environ,
                "LANG": f"{language.replace('-', '_')}.UTF-8",
                "LANGUAGE": language.replace("-", "_"),
            }
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, env=env)
            context = browser.new_context(base_url=live_server.url, locale=language, **PHONE)
            context.set_default_timeout(15_000)
            opened.append(browser)
            return context.new_page()

        yield launch
        for browser in opened:
            browser.close()


@pytest.mark.parametrize("language", ["en-US", "en-GB"])
def test_a_date_typed_day_first_saves_that_day_and_a_wrong_one_says_why(
    browser_in, live_server, anytown, language
):
    page = browser_in(language)
    assert page.evaluate("navigator.language") == language
    sign_in(page.context, live_server, anytown.user(Role.ORGANISER))
    page.goto("/campaigns/new/")
    starts = page.get_by_label("Starts on")
    expect(starts).to_have_attribute("type", "text")
    expect(starts).to_have_attribute("placeholder", "dd/mm/yyyy")
    expect(starts).to_have_value(datetime.date.today().strftime("%d/%m/%Y"))
    assert_accessible(page)

    page.get_by_label("Name").fill(f"Anytown winter doorstep {language}")
    page.get_by_label("CLP").select_option(str(anytown.constituency.pk))
    starts.fill("01/31/2027")  # month first, as a US form would take it
    page.get_by_role("button", name="Create the campaign").click()
    field = page.locator("div").filter(has=page.get_by_label("Starts on")).last
    expect(field).to_contain_text("there is no month 31 (the day comes first)")
    expect(page.get_by_label("Starts on")).to_have_value("01/31/2027")
    assert not Campaign.unscoped.filter(name__startswith="Anytown winter doorstep").exists()

    page.get_by_label("Starts on").fill("31/01/2027")
    page.get_by_role("button", name="Create the campaign").click()
    expect(page.get_by_role("heading", name=f"Anytown winter doorstep {language}")).to_be_visible()
    campaign = Campaign.unscoped.get(name=f"Anytown winter doorstep {language}")
    assert campaign.starts_on == datetime.date(2027, 1, 31)
