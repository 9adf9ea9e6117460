"""What a knocker's phone asks of the server on each refresh, in a real browser (Debian chromium):
once the service worker keeps the pack page, opening it renders the page once (the check that the
pack is still theirs is a HEAD request, not a second copy of 300 doors); and when the pack is no
longer theirs, that check still makes the phone send its queue and delete its copy of the page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gotv.models import KnockUpOutcome
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from tests.conftest import sign_in
from tests.e2e.test_knockup import reference_data, round_out  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _renders(pack):
    """How many times the server has rendered the pack's page (each is an audited view)."""
    return AuditEvent.objects.filter(action="knock_up.pack", object_id=str(pack.pk)).count()


def _kept(page):
    return page.evaluate(
        "async () => Boolean(await caches.match(location.pathname, {ignoreVary: true, ignoreSearch: true}))"
    )


def test_a_kept_pack_is_rendered_once_a_refresh_and_forgotten_when_no_longer_ours(
    browser_context,
    live_server,
    anytown,
    round_out,  # noqa: F811
):
    day, made, people = round_out
    knocker = anytown.user(Role.CANVASSER)
    sign_in(browser_context, live_server, knocker)
    page = browser_context.new_page()
    pack = made.walk_list.packs.get()
    page.goto(reverse("gotv:knockup_pack", args=[pack.pk]))
    page.wait_for_selector("#knockup[data-offline-ready=true]")
    # First visit: the worker was not yet in charge, so the page is fetched once more to keep it.
    assert _renders(pack) == 2
    assert _kept(page)

    for refreshes in (1, 2):
        # Waiting for the load state alone raced the click: the old page was still loaded and ready,
        # so the count was read before the server rendered the new one (3 == 4, seen under load).
        with page.expect_navigation():
            page.locator("#refresh").click()
        page.wait_for_selector("#knockup[data-offline-ready=true]")
        expect(page.locator(".knockup-person")).to_have_count(5)
        assert _renders(pack) == 2 + refreshes  # the page once; the check rendered nothing

    # An outcome tapped, then the knocker's access ends before it is sent (a late entry).
    browser_context.set_offline(True)
    page.locator("form[data-elector]", has_text="Knockson2").get_by_role("button", name="Not in").click()
    expect(page.locator("#queue-count")).to_have_attribute("data-waiting", "1")
    grant_revoke(grant=Grant.objects.get(user=knocker), revoked_by=None, reason="Went home")
    browser_context.set_offline(False)
    page.reload()  # the server refuses the page; the worker shows the kept copy, whose check says so
    expect(page.locator("#stale")).to_contain_text("no longer yours", timeout=30_000)
    expect(page.locator(".knockup-person")).to_have_count(0)
    assert not _kept(page)
    assert list(KnockUpOutcome.unscoped.values_list("elector", "outcome", "flags")) == [
        (people[1].pk, "not_in", ["grant_ended"])
    ]
    assert _renders(pack) == 4  # refused, so not rendered: nothing of the pack was shown again
