"""What a client of /api/v1/ relies on (issue 18, item 3): cursor paging in a stable order,
modified_since and the removed feed, contacts written through the phone pages' service (tombstones
included), Idempotency-Key, rate limits and problem+json errors."""

import io
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import get_resolver
from django.utils import timezone

from campaigns.models import Visit
from labourhub.api_v1 import ratelimit
from labourhub.api_v1.models import IdempotentRequest, Scope
from labourhub.models import AuditEvent, Role
from labourhub.privacy import Person, subject_access_export
from tests.api.conftest import bearer, make_token
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Elector, Property, Suppression
from voters.suppression import elector_tombstone_key


def _electors(clp, count):
    return [
        ElectorFactory(home=PropertyFactory(polling_district=clp.polling_district), surname="Anytownson")
        for _ in range(count)
    ]


@pytest.fixture
def door(anytown):
    """A pack of two doors in Anytown, given to the canvasser."""
    campaign = campaign_with_survey(anytown.constituency)
    homes = [PropertyFactory(polling_district=anytown.polling_district) for _ in range(2)]
    electors = [ElectorFactory(home=home, surname="Anytownson", first_names="Alex") for home in homes]
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown.user(Role.CANVASSER)
    pack.save(update_fields=["assigned_to"])
    return {"pack": pack, "electors": electors, "version": campaign.current_survey_version()}


def _contact(door, elector=None, **extra):
    return {
        "pack": door["pack"].pk,
        "elector": (elector or door["electors"][0]).pk,
        "outcome": "spoke",
        "survey_version": door["version"].pk,
        "answers": {"vi": {"code": "L", "strength": "soft"}},
        **extra,
    }


@pytest.mark.usefixtures("generous_rate_limits")
def test_cursor_pages_walk_every_elector_once_in_a_stable_order_without_counting(
    anytown, django_assert_max_num_queries
):
    made = _electors(anytown, 7)
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    client, seen, url, pages = bearer(secret), [], "/api/v1/electors/?page_size=3", 0
    while url:
        with django_assert_max_num_queries(8):  # token, grant, page, audit: no COUNT, whatever the size
            body = client.get(url).json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(e.pk for e in made) and pages == 3
    big = client.get("/api/v1/electors/?page_size=100000").json()
    assert len(big["results"]) == 7  # capped at max_page_size (500), not refused


@pytest.mark.usefixtures("generous_rate_limits")
def test_modified_since_and_the_removed_feed(anytown):
    old, fresh, gone = _electors(anytown, 3)
    Elector.unscoped.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    Elector.unscoped.filter(pk=gone.pk).update(do_not_contact=True, do_not_contact_at=timezone.now())
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    changed = bearer(secret).get("/api/v1/electors/", {"modified_since": since}).json()["results"]
    assert {row["id"] for row in changed} == {fresh.pk, gone.pk}
    assert bearer(secret).get("/api/v1/electors/removed/", {"modified_since": since}).json() == {
        "ids": [gone.pk]
    }
    bad = bearer(secret).get("/api/v1/electors/", {"modified_since": "last tuesday"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"] == [
        {"field": "modified_since", "message": bad.json()["errors"][0]["message"]}
    ]
    assert "last tuesday" in bad.json()["detail"]


@pytest.mark.usefixtures("generous_rate_limits")
def test_contacts_share_the_modified_since_of_every_read_resource(anytown, door):
    """The shared read implementation (labourhub/api_v1/base.py) filters contacts on received_at."""
    _, writer = make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])
    old, fresh = (
        bearer(writer).post("/api/v1/contacts/", _contact(door, elector), format="json").json()["visit"]
        for elector in door["electors"]
    )
    Visit.unscoped.filter(pk=old).update(received_at=timezone.now() - timedelta(days=10))
    token, reader = make_token(anytown.user(Role.ORGANISER), [Scope.CONTACTS_READ])
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    rows = bearer(reader).get("/api/v1/contacts/", {"modified_since": since}).json()["results"]
    assert [row["id"] for row in rows] == [fresh]
    assert AuditEvent.objects.get(action="campaigns.api.visits").detail["token"] == token.pk
    bad = bearer(reader).get("/api/v1/contacts/", {"modified_since": "soon"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "modified_since"


@pytest.mark.usefixtures("generous_rate_limits")
def test_electors_are_searched_by_name_postcode_and_number(anytown):
    alice, bob = _electors(anytown, 2)
    Elector.unscoped.filter(pk=alice.pk).update(surname="Smith", elector_number=42)
    Property.unscoped.filter(pk=bob.home_id).update(postcode="ZZ99ZZ", postcode_display="ZZ9 9ZZ")
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    client = bearer(secret)

    def ids(**query):
        return [row["id"] for row in client.get("/api/v1/electors/", query).json()["results"]]

    assert ids(name="smi") == [alice.pk]
    assert ids(postcode="zz9 9zz") == [bob.pk]
    assert ids(elector_number=f"{anytown.polling_district.code}-42") == [alice.pk]
    wrong = client.get("/api/v1/electors/", {"elector_number": "forty-two"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "elector_number"


@pytest.mark.usefixtures("generous_rate_limits")
def test_a_contact_is_written_through_the_phone_pages_service(anytown, door):
    canvasser = anytown.user(Role.CANVASSER)
    token, secret = make_token(canvasser, [Scope.CONTACTS_WRITE])
    response = bearer(secret).post("/api/v1/contacts/", _contact(door), format="json")
    assert response.status_code == 201, response.content
    visit = Visit.unscoped.get(pk=response.json()["visit"])
    assert visit.canvasser == canvasser and visit.contact is not None and visit.elector == door["electors"][0]
    # Its source is the API client that wrote it (issue 16, item 5), not the phone page's "canvass".
    assert visit.contact.source == f"API client {token.pk}: {token.name}"[:30]
    export = subject_access_export(
        person=Person(anytown.constituency, frozenset({visit.elector_id})),
        user=anytown.user(Role.DATA_PROTECTION_LEAD),
    )
    (canvass,) = next(s for s in export.sections if s.key == "canvass").records
    assert canvass["source"] == visit.contact.source  # and the subject access export says so
    assert AuditEvent.objects.filter(action="canvass.sync", user=canvasser).exists()


@pytest.mark.usefixtures("generous_rate_limits")
def test_a_contact_with_an_erased_person_is_caught_by_the_tombstone(anytown, door):
    erased = door["electors"][1]
    Suppression.unscoped.create(
        constituency=anytown.constituency,
        key=elector_tombstone_key(erased),
        kind=Suppression.Kind.ERASURE,
        reason="Erased on request",
    )
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])
    response = bearer(secret).post("/api/v1/contacts/", _contact(door, erased), format="json")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert "erased" in response.json()["detail"]
    assert not Visit.unscoped.filter(elector=erased).exists()


@pytest.mark.usefixtures("generous_rate_limits")
def test_a_contact_on_another_clps_pack_is_refused(otherton, door):
    _, secret = make_token(otherton.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])
    response = bearer(secret).post("/api/v1/contacts/", _contact(door), format="json")
    assert response.status_code == 422 and "not open to you" in response.json()["detail"]
    assert not Visit.unscoped.exists()


@pytest.mark.usefixtures("generous_rate_limits")
def test_a_bad_body_is_a_problem_naming_each_field(anytown, door):
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])
    response = bearer(secret).post(
        "/api/v1/contacts/", {"elector": "x", "pack": door["pack"].pk}, format="json"
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"elector", "outcome"}


@pytest.mark.usefixtures("generous_rate_limits")
def test_the_same_idempotency_key_replays_and_a_different_body_is_refused(anytown, door):
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])
    client = bearer(secret)
    first = client.post("/api/v1/contacts/", _contact(door), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/contacts/", _contact(door), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Visit.unscoped.count() == 1
    other = client.post(
        "/api/v1/contacts/", _contact(door, notes="x"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert IdempotentRequest.objects.count() == 1


def test_the_sixteenth_read_in_a_second_is_429_with_retry_after(anytown, settings, monkeypatch):
    settings.API_RATE_LIMIT_READS = 15
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    client = bearer(secret)
    # The limiter's clock held at 0.4 s into one second: on a loaded machine the test client's 16 calls
    # take longer than a second, which a real client's would not.
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.4)
    responses = [client.get("/api/v1/electors/") for _ in range(16)]
    assert [r.status_code for r in responses[:15]] == [200] * 15
    assert responses[0]["RateLimit-Limit"] == "15" and responses[0]["RateLimit-Remaining"] == "14"
    refused = responses[15]
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused["RateLimit-Remaining"] == "0" and refused["Content-Type"] == "application/problem+json"
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_001.1)  # the next second
    assert client.get("/api/v1/electors/").status_code == 200


def test_with_redis_the_counts_are_shared_by_every_process(anytown, settings, monkeypatch, redis_server):
    import redis

    settings.REDIS_URL, settings.API_RATE_LIMIT_READS = redis_server, 15
    token, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.4)
    shared = redis.Redis.from_url(redis_server)
    assert bearer(secret).get("/api/v1/electors/")["RateLimit-Remaining"] == "14"
    key = f"api-rate:r:token:{token.pk}:1800000000"
    assert int(shared.get(key)) == 1 and 0 < shared.ttl(key) <= 10  # in Redis, and it expires
    shared.incrby(key, 14)  # another web process's 14 calls this second
    refused = bearer(secret).get("/api/v1/electors/")
    assert refused.status_code == 429 and refused["RateLimit-Remaining"] == "0"


def test_writes_have_their_own_smaller_budget_per_client_address(anytown, door, settings, monkeypatch):
    settings.API_RATE_LIMIT_WRITES = 5
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.4)
    tokens = [make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])[1] for _ in range(2)]
    # Two tokens from one address share the address's budget: 3 + 3 writes, the sixth is refused.
    statuses = [
        bearer(tokens[n % 2]).post("/api/v1/contacts/", _contact(door), format="json").status_code
        for n in range(6)
    ]
    assert statuses == [201] * 5 + [429]
    assert bearer(tokens[0]).get("/api/v1/contacts/").status_code in (403,)  # reads are not spent (no scope)


def test_the_schema_validates_with_warnings_as_failures_and_lists_every_endpoint():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in (
        "/api/v1/electors/:",
        "/api/v1/electors/{id}/:",
        "/api/v1/electors/removed/:",
        "/api/v1/contacts/:",
        "/api/v1/campaigns/:",
        "/api/v1/surveys/:",
        "/api/v1/walk-lists/:",
        "/api/v1/packs/:",
        "/api/v1/packs/{id}/:",
        "/api/v1/call-lists/:",
        "/api/v1/call-outcomes/:",
    ):
        assert path in schema
    assert "bearer" in schema


def test_casework_is_never_in_the_api():
    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if hasattr(entry, "url_patterns"):
                yield from walk(entry.url_patterns, route)
            else:
                yield route, entry.callback

    api = [(route, view) for route, view in walk(get_resolver().url_patterns) if route.startswith("api/")]
    assert api
    assert not [route for route, view in api if "casework" in (view.__module__ + route).lower()]
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    assert "case" not in out.getvalue().lower().replace("lowercase", "")


def test_the_docs_page_is_our_own_reference_of_every_call_with_only_our_static_files(client):
    from django.contrib.staticfiles import finders

    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not urlsplit(src).netloc for src in sources), sources
    for src in sources:
        path = urlsplit(src).path
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), path
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    schema = json.loads(out.getvalue())
    for path, item in schema["paths"].items():  # every call, with what its token needs
        for method, operation in item.items():
            anchor = operation["operationId"].replace("_", "-")
            assert f'id="{anchor}"' in html and f'href="#{anchor}"' in html, (method, path)
    assert "the scope walklists:read" in html and 'href="/api/v1/schema/"' in html
    for name in schema["components"]["schemas"]:  # every data type, each link to one resolving
        assert f'id="type-{name}"' in html
    assert set(re.findall(r'href="#([^"]+)"', html)) <= set(re.findall(r'id="([^"]+)"', html))
