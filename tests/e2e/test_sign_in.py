"""A CLP secretary signs in through the real pages in a real browser, is made to set up MFA,
and then sees only their own CLP in the office admin."""

import re

import pytest
from allauth.mfa.totp.internal.auth import hotp_value
from playwright.sync_api import expect

from labourhub.mfa_enrolment import SESSION_KEY as ENROLMENT_SESSION_KEY
from labourhub.models import Role
from tests.factories import PASSWORD, GrantFactory, UserFactory

pytestmark = pytest.mark.e2e


def _totp_code(secret):
    import time

    return f"{hotp_value(secret, int(time.time()) // 30):06d}"


def _emailed_code(context):
    """The code the page emailed (its delivery by the worker is tested in test_mfa_and_pages)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    [cookie] = [c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    return SessionStore(session_key=cookie["value"])[ENROLMENT_SESSION_KEY]["code"]


def test_secretary_signs_in_sets_up_mfa_and_sees_only_anytown(browser_page, live_server, anytown, otherton):
    page = browser_page
    secretary = UserFactory(email="sam@anytown.example", full_name="Sam Anytown")
    GrantFactory(user=secretary, role=Role.CLP_SECRETARY, constituency=anytown.constituency)

    page.goto("/admin/")
    page.get_by_label("Email").fill("sam@anytown.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.get_by_text("We emailed a code to sam@anytown.example")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(_totp_code(secret))
    page.get_by_label("Code we emailed you").fill(_emailed_code(page.context))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()

    page.goto("/admin/labourhub/pollingdistrict/")
    table = page.locator("#result_list")
    assert "AN1" in table.inner_text()
    assert "Otherton" not in page.content()
    assert "OT1" not in page.content()


def test_wrong_password_is_refused_with_a_clear_message(browser_page, live_server, anytown):
    page = browser_page
    UserFactory(email="cal@anytown.example")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("cal@anytown.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()


def test_home_page_fits_a_360px_phone(browser_page, live_server, anytown):
    from tests.conftest import sign_in

    sign_in(browser_page.context, live_server, anytown.user(Role.CANVASSER))
    browser_page.goto("/")
    expect(browser_page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()
    overflow = browser_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
