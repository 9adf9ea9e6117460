"""OSDI at /api/osdi/v1/ (issue 18, item 4), read by a small client written against the OSDI 1.2
specification's own examples (aep.md, people.md, canvasses.md, record_canvass.md and the paging and
filtering sections of its README): it starts at the entry point and only follows the links it is
given (`_links["osdi:people"]["href"]`, `_links["next"]["href"]`), reading `_embedded[...]`. It does not
import our serializers or know our URL layout."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Answer, Visit
from labourhub.api_v1.models import Scope
from labourhub.models import Role
from tests.api.conftest import make_token
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Elector

AEP = "http://testserver/api/osdi/v1/"


class OsdiClient:
    """What a generic OSDI client does: the OSDI-API-Token header, HAL links, OSDI paging."""

    def __init__(self, token):
        self.http = Client(HTTP_OSDI_API_TOKEN=token, HTTP_ACCEPT="application/hal+json")

    def get(self, href, **query):
        response = self.http.get(href + (("&" if "?" in href else "?") + urlencode(query) if query else ""))
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("application/hal+json")
        return response.json()

    def collection(self, href, rel, **query):
        """Every resource of a collection, following `next` links page by page."""
        found, page = [], self.get(href, **query)
        while True:
            found += page["_embedded"][rel]
            if "next" not in page["_links"]:
                return found, page
            page = self.get(page["_links"]["next"]["href"])


@pytest.fixture
def door(anytown):
    """Three Anytown electors, two in a pack given to Anytown's canvasser."""
    campaign = campaign_with_survey(anytown.constituency)
    homes = [
        PropertyFactory(
            polling_district=anytown.polling_district,
            address="1 Anytown Road, Anytown",
            postcode="AT11AA",
            postcode_display="AT1 1AA",
        )
        for _ in range(3)
    ]
    electors = [
        ElectorFactory(home=home, surname="Anytownson", first_names="Alex", markers="F") for home in homes
    ]
    pack = pack_with_doors(campaign, homes[:2])
    pack.assigned_to = anytown.user(Role.CANVASSER)
    pack.save(update_fields=["assigned_to"])
    return {"pack": pack, "electors": electors, "version": campaign.current_survey_version()}


def _canvass(door, question_href=None, **canvass):
    body = {
        "canvass": {
            "action_date": timezone.now().isoformat(),
            "contact_type": "in-person",
            "success": True,
            **canvass,
        },
        "labourhub:pack": door["pack"].pk,
    }
    if question_href:
        body["add_questions_responses_uri"] = [
            {"question": question_href, "responses": ["L"], "value": "soft"}
        ]
    return body


@pytest.mark.usefixtures("generous_rate_limits")
def test_an_osdi_client_reads_people_and_canvasses_by_the_specifications_examples(anytown, door):
    _, canvasser_token = make_token(anytown.user(Role.CANVASSER))
    writer = OsdiClient(canvasser_token)
    questions, _ = writer.collection(writer.get(AEP)["_links"]["osdi:questions"]["href"], "osdi:questions")
    intention = next(q for q in questions if q["name"] == "vi")
    assert intention["question_type"] == "SingleChoice" and "L" in [r["key"] for r in intention["responses"]]
    first = door["electors"][0]
    recorded = writer.http.post(
        f"{AEP}people/{first.pk}/record_canvass_helper/",
        _canvass(door, intention["_links"]["self"]["href"]),
        content_type="application/json",
    )
    assert recorded.status_code == 201, recorded.content

    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ, Scope.CONTACTS_READ])
    client = OsdiClient(secret)
    aep = client.get(AEP)
    assert aep["osdi_version"].startswith("1.") and aep["namespace"] == "labourhub"
    assert aep["_links"]["curies"][0]["name"] == "osdi"
    people, last = client.collection(aep["_links"]["osdi:people"]["href"], "osdi:people", per_page=2)
    assert last["page"] == 2 and last["total_records"] == 3 and last["total_pages"] == 2
    assert len(people) == 3 and {p["family_name"] for p in people} == {"Anytownson"}
    person = next(p for p in people if f"labourhub:elector-{first.pk}" in p["identifiers"])
    assert person["given_name"] == "Alex"
    (address,) = person["postal_addresses"]
    assert address["postal_code"] == "AT1 1AA" and address["address_lines"][0] == "1 Anytown Road"
    assert person["email_addresses"] == []
    fields = person["custom_fields"]
    assert fields["labourhub:polling_district"] == anytown.polling_district.code
    assert fields["labourhub:constituency_gss"] == anytown.constituency.gss_code
    assert fields["labourhub:markers"] == "F"
    assert client.get(person["_links"]["self"]["href"])["identifiers"] == person["identifiers"]

    canvasses, _ = client.collection(person["_links"]["osdi:canvasses"]["href"], "osdi:canvasses")
    (canvass,) = canvasses
    assert canvass["success"] is True and canvass["status_code"] == "spoke"
    assert canvass["contact_type"] == "in-person"
    assert canvass["_links"]["osdi:target"]["href"] == person["_links"]["self"]["href"]
    answers = client.get(canvass["_links"]["osdi:answers"]["href"])["_embedded"]["osdi:answers"]
    assert [(a["responses"], a["value"]) for a in answers] == [(["L"], "soft")]
    everyone, _ = client.collection(aep["_links"]["osdi:canvasses"]["href"], "osdi:canvasses")
    assert [c["identifiers"] for c in everyone] == [canvass["identifiers"]]


@pytest.mark.usefixtures("generous_rate_limits")
def test_paging_follows_keys_and_never_counts(anytown, door, django_assert_max_num_queries):
    ElectorFactory.create_batch(4, home=door["pack"].doors.first().property, surname="Anytownson")
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    client, href, seen = OsdiClient(secret), f"{AEP}people/?per_page=2", []
    while href:
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(9):
            page = client.get(href)
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        seen += [p["identifiers"][0] for p in page["_embedded"]["osdi:people"]]
        href = page["_links"].get("next", {}).get("href")
        assert ("total_records" in page) == (href is None)  # counted only where it comes free
    assert len(seen) == len(set(seen)) == 7
    assert "after=" in client.get(f"{AEP}people/?per_page=2")["_links"]["next"]["href"]
    assert (
        client.get(f"{AEP}people/?per_page=2&page=4")["_embedded"]["osdi:people"][0]["identifiers"][0]
        == seen[6]
    )


@pytest.mark.usefixtures("generous_rate_limits")
def test_the_filters_osdi_names(anytown, door):
    old, fresh, other = door["electors"]
    Elector.unscoped.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    other.home.postcode, other.home.postcode_display = "AT99ZZ", "AT9 9ZZ"
    other.home.save(update_fields=["postcode", "postcode_display"])
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    client = OsdiClient(secret)

    def ids(expression):
        page = client.get(f"{AEP}people/", filter=expression)
        return {int(p["identifiers"][0].rsplit("-", 1)[1]) for p in page["_embedded"]["osdi:people"]}

    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(f"modified_date gt '{since}'") == {fresh.pk, other.pk}
    assert ids("postal_code eq 'at9 9zz'") == {other.pk}
    assert ids(f"postal_code eq 'AT1 1AA' and modified_date gt '{since}'") == {fresh.pk}
    assert ids("email_address eq 'alex@example.com'") == set()  # the register holds no emails


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("modified_date gt 'last tuesday'", "is not a date and time"),
        ("shoe_size eq '9'", "'shoe_size' is not a field"),
        ("postal_code gt 'AT1'", "postal_code takes eq, ne, not gt"),
        ("postal_code eq 'AT1 1AA' or postal_code eq 'AT9 9ZZ'", "'or' is not supported"),
        ("postal_code eq", "not a whole condition"),
        ("postal_code eq 'AT1 1AA", "cannot read"),
    ],
)
def test_a_bad_filter_is_a_problem_naming_it(anytown, expression, says):
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    response = Client(HTTP_OSDI_API_TOKEN=secret).get(f"{AEP}people/", {"filter": expression})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == "filter" and says in error["message"], error


@pytest.mark.usefixtures("generous_rate_limits")
def test_another_clp_sees_nothing_and_scopes_narrow(anytown, otherton, door):
    visit_href = None
    _, mine = make_token(anytown.user(Role.CANVASSER))
    response = Client(HTTP_OSDI_API_TOKEN=mine).post(
        f"{AEP}people/{door['electors'][0].pk}/record_canvass_helper/",
        _canvass(door),
        content_type="application/json",
    )
    visit_href = response.json()["_links"]["self"]["href"]
    _, theirs = make_token(otherton.user(Role.CLP_SECRETARY))
    client = OsdiClient(theirs)
    assert client.get(f"{AEP}people/")["_embedded"]["osdi:people"] == []
    assert client.get(f"{AEP}canvasses/")["_embedded"]["osdi:canvasses"] == []
    assert client.get(f"{AEP}events/")["_embedded"]["osdi:events"] == []
    elector = door["electors"][0].pk
    assert client.get(f"{AEP}people/{elector}/canvasses/")["_embedded"]["osdi:canvasses"] == []
    for href in (f"{AEP}people/{elector}/", f"{AEP}people/{elector}/taggings/", visit_href):
        assert client.http.get(href).status_code == 404, href
    wrote = client.http.post(
        f"{AEP}people/{elector}/record_canvass_helper/", _canvass(door), content_type="application/json"
    )
    assert wrote.status_code == 422 and b"Anytown" not in wrote.content
    assert Visit.unscoped.count() == 1

    _, contacts_only = make_token(anytown.user(Role.ORGANISER), [Scope.CONTACTS_READ])
    refused = Client(HTTP_OSDI_API_TOKEN=contacts_only).get(f"{AEP}people/")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert "electors:read" in refused.json()["detail"]
    _, canvasser = make_token(
        anytown.user(Role.CANVASSER), [Scope.ELECTORS_READ]
    )  # a canvasser may not search
    assert Client(HTTP_OSDI_API_TOKEN=canvasser).get(f"{AEP}people/").status_code == 403
    assert Client().get(AEP).status_code == 401


@pytest.mark.usefixtures("generous_rate_limits")
def test_a_canvass_posted_twice_with_one_idempotency_key_is_one_visit(anytown, door):
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE, Scope.CAMPAIGNS_READ])
    client = OsdiClient(secret)
    (question,) = [q for q in client.collection(f"{AEP}questions/", "osdi:questions")[0] if q["name"] == "vi"]
    href = f"{AEP}people/{door['electors'][1].pk}/record_canvass_helper/"
    body = _canvass(door, question["_links"]["self"]["href"])
    first, again = (
        client.http.post(href, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
        for _ in range(2)
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    visit = Visit.unscoped.get()
    assert visit.elector == door["electors"][1] and visit.outcome.code == "spoke"
    assert Answer.objects.get(visit=visit).value == {"code": "L", "strength": "soft"}
    # Not in the pack: refused by the phone pages' own service, as problem+json naming why.
    outside = client.http.post(
        f"{AEP}people/{door['electors'][2].pk}/record_canvass_helper/", body, content_type="application/json"
    )
    assert outside.status_code == 422 and "is not on pack" in outside.json()["detail"]
    bad = client.http.post(href, {**body, "labourhub:pack": "seven"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "labourhub:pack"
    assert Visit.unscoped.count() == 1


@pytest.mark.usefixtures("generous_rate_limits")
def test_markers_are_tags_and_events_have_their_sign_ups_as_attendances(anytown, otherton, door):
    from campaigns.models import Event
    from tests.campaigns.event_factories import booked, event_with_shift

    event, shift = event_with_shift(
        anytown.constituency, title="Anytown doors", visibility=Event.Visibility.MEMBERS
    )
    booked(shift, name="Anytown Volunteer", email="volunteer@anytown.example")
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ, Scope.CAMPAIGNS_READ])
    client = OsdiClient(secret)
    aep = client.get(AEP)
    tags, _ = client.collection(aep["_links"]["osdi:tags"]["href"], "osdi:tags")
    overseas = next(t for t in tags if t["name"] == "F")
    person = client.get(f"{AEP}people/{door['electors'][0].pk}/")
    (tagging,) = client.get(person["_links"]["osdi:taggings"]["href"])["_embedded"]["osdi:taggings"]
    assert tagging["item_type"] == "osdi:person"
    assert tagging["_links"]["osdi:tag"]["href"] == overseas["_links"]["self"]["href"]

    events, _ = client.collection(aep["_links"]["osdi:events"]["href"], "osdi:events")
    (found,) = events
    assert found["title"] == "Anytown doors" and found["start_date"] == shift.starts_at.isoformat().replace(
        "+00:00", "Z"
    )
    (attendance,) = client.get(found["_links"]["osdi:attendances"]["href"])["_embedded"]["osdi:attendances"]
    assert attendance["status"] == "accepted"
    assert attendance["person"]["email_addresses"][0]["address"] == "volunteer@anytown.example"
    _, theirs = make_token(otherton.user(Role.CLP_SECRETARY))
    assert OsdiClient(theirs).http.get(found["_links"]["osdi:attendances"]["href"]).status_code == 404
