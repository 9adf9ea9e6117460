"""The public status page in chromium at 360 px and desktop: axe finds nothing serious, nothing is
wider than the phone, and the states the checks recorded are what a visitor reads."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from labourhub.status import services
from labourhub.status.models import Component, Incident, IncidentUpdate, Maintenance
from labourhub.status.probes import Probe
from tests.e2e.axe import at_sizes, axe_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _record_states(now):
    for _ in range(2):  # two failed rounds: down
        services._component_record(
            component=Component.MEMBER_EMAILS,
            found=[Probe("Email server", False, detail="Email server: no answer")],
            now=now,
            maintenance=False,
        )
    services._component_record(
        component=Component.SIGN_IN, found=[Probe("p", True)], now=now, maintenance=False
    )


def test_status_page_reads_at_phone_and_desktop_sizes_without_axe_problems(browser_page):
    now = timezone.now()
    with transaction.atomic():
        _record_states(now)
    incident = Incident.objects.create(
        title="Member emails not sending", components=[Component.MEMBER_EMAILS]
    )
    IncidentUpdate.objects.create(
        incident=incident, status=Incident.Status.INVESTIGATING, body="Looking into it.", at=now
    )
    Maintenance.objects.create(
        title="Upgrade",
        components=[Component.API],
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
    )

    browser_page.goto("/status")
    problems = []
    for size in at_sizes(browser_page):
        problems += axe_problems(browser_page)
        wide = browser_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wide <= 0, f"{size}: the page is {wide} px wider than the screen"
        emails = browser_page.locator("#component-member_emails .state")
        assert emails.inner_text() == "Down"
        assert browser_page.locator("#component-sign_in .state").inner_text() == "Working"
        assert browser_page.get_by_text("Looking into it.").is_visible()
    assert not problems, "\n".join(problems)
