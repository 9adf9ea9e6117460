"""The knocker's pack offline, server side: each queued outcome carries the download token of the
page it was tapped on (the late-entry rule for a knocker whose grant has since ended), a signed-out
phone is told so in JSON (its queue waits), and the shared service worker is served for the pack
pages' scope. The browser side is tests/e2e/test_knockup_offline.py."""

import json
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from gotv import offline
from gotv.models import KnockUpOutcome
from gotv.services import knock_up_round_create
from labourhub.models import Grant, Role
from labourhub.services import grant_revoke
from tests.gotv.test_knockup_rounds import day  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
SYNC = "/polling-day/knockup/sync/"


def _item(pack, elector, outcome, token=None):
    item = {"uuid": str(uuid.uuid4()), "pack": pack.pk, "elector": elector.pk, "outcome": outcome,
            "recorded_at": timezone.now().isoformat()}  # fmt: skip
    if token is not None:
        item["token"] = token
    return item


def _post(client, items, **body):
    response = client.post(SYNC, json.dumps({"outcomes": items, **body}), content_type="application/json")
    assert response.status_code == 200, response.content
    return [result["status"] for result in response.json()["results"]]


def test_a_knocker_whose_grant_ended_is_let_in_only_with_the_token_of_a_page_served_before(
    client,
    anytown,
    day,  # noqa: F811
):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack = made.walk_list.packs.get()
    knocker = anytown.user(Role.CANVASSER)
    before = offline.download_token_issue(
        user=knocker, election=day.election
    )  # pack opened while a canvasser
    grant_revoke(grant=Grant.objects.get(user=knocker), revoked_by=None, reason="Went home")
    after = offline.download_token_issue(user=knocker, election=day.election)
    client.force_login(knocker)
    # One batch, items tapped on different page loads: each item's own token decides.
    statuses = _post(
        client,
        [
            _item(pack, day.people[1], "needs_lift", token=before),
            _item(pack, day.people[2], "voted", token=after),
            _item(pack, day.people[4], "not_in"),
            _item(pack, day.people[5], "not_in", token="made-up"),
        ],
    )
    assert statuses == ["recorded", "refused", "refused", "refused"]
    kept = KnockUpOutcome.unscoped.get()
    assert (kept.elector, kept.outcome, kept.flags) == (day.people[1], "needs_lift", ["grant_ended"])
    # The batch-wide token still works for phones that send one.
    assert _post(client, [_item(pack, day.people[4], "not_in")], token=before) == ["recorded"]


def test_a_signed_out_phone_is_told_in_json_and_nothing_is_written(client, anytown, day):  # noqa: F811
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    item = _item(made.walk_list.packs.get(), day.people[1], "voted")
    response = client.post(SYNC, json.dumps({"outcomes": [item]}), content_type="application/json")
    assert response.status_code == 401 and "Sign in again" in response.json()["error"]
    assert not KnockUpOutcome.unscoped.exists()


def test_the_pack_page_registers_the_shared_worker_for_its_own_scope(client, anytown, day):  # noqa: F811
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack_url = reverse("gotv:knockup_pack", args=[made.walk_list.packs.get().pk])
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.get(pack_url).content.decode()
    scope = re.search(r'data-sw-scope="([^"]+)"', page).group(1)
    worker_url = re.search(r'data-sw-url="([^"]+)"', page).group(1)
    assert pack_url.startswith(scope) and worker_url.startswith(scope)
    assert "offline/queue.js" in page and "gotv/knockup.js" in page
    worker = client.get(worker_url)
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == scope
    script = worker.content.decode()
    pages = json.loads(re.search(r"const PAGES = new RegExp\((.+)\);", script).group(1))
    assert re.search(pages, pack_url) and not re.search(pages, pack_url + "print/")
    shell = json.loads(re.search(r"const SHELL = (\[.*\]);", script).group(1))
    assert any(name.endswith("gotv/knockup.js") for name in shell)
    assert 'const CACHE = "lh-knockup-v1"' in script and 'self.addEventListener("fetch"' in script
