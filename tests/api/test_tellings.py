"""/api/v1/tellings/ (issue 18, item 1): a batch of poll numbers through the teller's own service
(each client UUID applied once, the grant checked at every call, the telling webhook), and the box
counts an organiser sees."""

import io
import uuid

import pytest
from django.core.management import call_command

from gotv.models import BoxTurnoutCount, Telling, TellingUndo, WarpCount
from labourhub.api_v1.models import Scope
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from labourhub.webhooks.models import Delivery, EventType
from tests.api.conftest import bearer, make_token
from tests.gotv.factories import polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory
from tests.webhooks.factories import subscription_made

pytestmark = pytest.mark.usefixtures("generous_rate_limits")
TELLINGS = "/api/v1/tellings/"


@pytest.fixture
def day(anytown):
    electors = [
        ElectorFactory(home=PropertyFactory(polling_district=anytown.polling_district), elector_number=n)
        for n in (101, 102)
    ]
    return polling_day(anytown, electors=electors)


def _batch(day, *numbers, uuids=None):
    uuids = uuids or [str(uuid.uuid4()) for _ in numbers]
    return {
        "election": day.election.pk,
        "box": day.box.pk,
        "entries": [{"uuid": u, "number": n} for u, n in zip(uuids, numbers, strict=True)],
    }


def test_a_batch_goes_through_the_telling_service_once_per_uuid_and_emits_the_webhook(anytown, day):
    subscription_made(anytown, events=(EventType.TELLING_RECORDED,))
    teller = anytown.user(Role.TELLER)
    client = bearer(make_token(teller, [Scope.TELLINGS_WRITE])[1])
    body = _batch(day, "101", "102", "abc")
    response = client.post(TELLINGS, body, format="json")
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == ["found", "found", "invalid"]
    again = client.post(TELLINGS, body, format="json")  # the same UUIDs resent: nothing new
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate", "invalid"]
    assert Telling.unscoped.filter(teller=teller).count() == 2
    assert not any("clock_skew" in t.flags for t in Telling.unscoped.all())  # the server's time stands
    assert Delivery.unscoped.filter(event_type=EventType.TELLING_RECORDED).count() == 2
    assert AuditEvent.objects.filter(action="telling.sync", user=teller).exists()


def test_a_stranger_or_an_ended_grant_tells_nothing(anytown, otherton, day):
    stranger = bearer(make_token(otherton.user(Role.TELLER), [Scope.TELLINGS_WRITE])[1])
    refused = stranger.post(TELLINGS, _batch(day, "101"), format="json")
    assert refused.json()["results"][0]["status"] == "refused"
    teller = anytown.user(Role.TELLER)
    client = bearer(make_token(teller, [Scope.TELLINGS_WRITE])[1])
    grant_revoke(
        grant=Grant.objects.get(user=teller), revoked_by=anytown.user(Role.CLP_SECRETARY), reason="left"
    )
    ended = client.post(TELLINGS, _batch(day, "101"), format="json")
    assert ended.status_code == 403 and ended["Content-Type"] == "application/problem+json"
    assert not Telling.unscoped.exists()


def test_bad_batches_are_problems_naming_the_field(anytown, day):
    client = bearer(make_token(anytown.user(Role.TELLER), [Scope.TELLINGS_WRITE, Scope.TELLINGS_READ])[1])
    bad = client.post(
        TELLINGS,
        {"election": "today", "box": day.box.pk, "entries": [{"uuid": "x", "number": "101"}]},
        format="json",
    )
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"election", "entries.0.uuid"}
    empty = client.post(
        TELLINGS, {"election": day.election.pk, "box": day.box.pk, "entries": []}, format="json"
    )
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"].startswith("entries")
    assert not Telling.unscoped.exists()
    # A teller does not read the organiser's counts; the scope alone is not enough.
    assert client.get(TELLINGS, {"election": day.election.pk}).status_code == 403


def test_the_organiser_reads_the_box_counts_and_a_stranger_reads_none(anytown, otherton, day):
    teller = anytown.user(Role.TELLER)
    bearer(make_token(teller, [Scope.TELLINGS_WRITE])[1]).post(
        TELLINGS, _batch(day, "101", "102"), format="json"
    )
    TellingUndo.unscoped.create(telling=Telling.unscoped.get(elector_number=102), by=teller)
    BoxTurnoutCount.unscoped.create(
        election=day.election, box=day.box, ballots_issued=40, as_of=day.election.opens_at, recorded_by=teller
    )
    WarpCount.unscoped.create(election=day.election, box=day.box, votes=7, label="Ours", recorded_by=teller)
    WarpCount.unscoped.create(
        election=day.election,
        box=day.box,
        votes=100,
        label="Wrong",
        invalid=True,
        invalid_reason="Misread",
        recorded_by=teller,
    )
    organiser = bearer(make_token(anytown.user(Role.ORGANISER), [Scope.TELLINGS_READ])[1])
    (row,) = organiser.get(TELLINGS, {"election": day.election.pk}).json()
    assert (row["box"], row["tellings"], row["ballots_issued"], row["warp_total"]) == (day.box.pk, 1, 40, 7)
    missing = organiser.get(TELLINGS)
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "election"
    stranger = bearer(make_token(otherton.user(Role.CLP_SECRETARY), [Scope.TELLINGS_READ])[1])
    assert stranger.get(TELLINGS, {"election": day.election.pk}).status_code == 404
    no_scope = bearer(make_token(anytown.user(Role.ORGANISER), [Scope.EVENTS_READ])[1])
    assert no_scope.get(TELLINGS, {"election": day.election.pk}).status_code == 403


def test_the_schema_lists_these_resources():
    """(Warnings as failures for the whole schema: tests/api/test_behaviour.py.)"""
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    schema = out.getvalue()
    for path in (
        "/api/v1/members/:",
        "/api/v1/members/{id}/:",
        "/api/v1/members/{id}/consents/:",
        "/api/v1/access/holdings/:",
        "/api/v1/access/requests/:",
        "/api/v1/events/:",
        "/api/v1/events/{id}/:",
        "/api/v1/events/{id}/signups/:",
        "/api/v1/tellings/:",
    ):
        assert path in schema
    for scope in ("members:write", "access:write", "events:write", "tellings:write"):
        assert scope in Scope.values
