"""Issue 14, item 12: the smaller things a new user tripped over."""

import re

from django.contrib.staticfiles import finders
from django.urls import reverse

from labourhub.models import Role
from tests.members.factories import MemberFactory
from voters.models import RegisterImport


def test_every_page_names_a_favicon_that_exists(client, anytown_secretary):
    for page in (client.get(reverse("home")),):
        [href] = re.findall(r'<link rel="icon" href="([^"]+)"', page.text)
        assert finders.find(href.removeprefix("/static/")), href
    client.force_login(anytown_secretary)
    admin = client.get(reverse("admin:index")).text
    assert '<link rel="icon" href="/static/favicon.svg"' in admin


def test_pages_say_they_are_in_british_english(client, db):
    assert '<html lang="en-GB">' in client.get(reverse("home")).text


def test_my_membership_says_sms_not_sms_in_title_case(client, anytown):
    user = anytown.user(Role.CANVASSER)
    MemberFactory(constituency=anytown.constituency, user=user, email=user.email, consent_sms=False)
    client.force_login(user)
    page = client.get(reverse("members:me")).text
    assert "SMS: <strong>no</strong>" in page and "Allow SMS" in page
    assert "Sms" not in page and "Allow sms" not in page


def _import(anytown, status):
    return RegisterImport.unscoped.create(
        constituency=anytown.constituency,
        kind=RegisterImport.Kind.UPDATE,
        file_name="anytown.csv",
        status=status,
        rows_done=20,
        rows_total=20,
        errors=[{"line": 3, "column": "Elector Number", "value": "x", "reason": "not a number"}],
        rejected=1,
    )


def test_a_rejected_import_shows_no_full_progress_bar(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    for status in (RegisterImport.Status.REJECTED, RegisterImport.Status.FAILED):
        record = _import(anytown, status)
        page = client.get(reverse("voters:import_progress", args=[record.pk])).text
        assert "<progress" not in page, status
        assert record.get_status_display() in page
    done = _import(anytown, RegisterImport.Status.DONE)
    page = client.get(reverse("voters:import_progress", args=[done.pk])).text
    assert 'value="100"' in page  # a finished import still shows its full bar
