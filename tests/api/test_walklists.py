"""/api/v1/walk-lists/ and /api/v1/packs/ (issue 18, item 1): walklists:read, scoped as the pages
are: walk lists for organisers; a pack for the canvasser it is given to and for organisers, with
the doors and people the canvassing page shows, never more."""

import pytest
from django.urls import reverse

from campaigns.models import Pack
from labourhub.api_v1.models import Scope
from labourhub.models import AuditEvent, Role
from tests.api.conftest import bearer, make_token
from tests.campaigns.factories import PackFactory, campaign_with_survey, pack_with_doors
from tests.campaigns.test_visiting import _sign_up_and_check_in
from tests.campaigns.test_visiting import day as day  # noqa: F401  (the fixture)
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.usefixtures("generous_rate_limits")


@pytest.fixture
def walk(anytown):
    """A walk list of two packs: the first given to the canvasser, with a do-not-contact elector
    and one off the register beside two the page shows."""
    campaign = campaign_with_survey(anytown.constituency)
    homes = [PropertyFactory(polling_district=anytown.polling_district) for _ in range(2)]
    shown = [ElectorFactory(home=home, surname="Anytownson") for home in homes]
    ElectorFactory(home=homes[0], surname="Anytownsdottir", do_not_contact=True)
    ElectorFactory(home=homes[1], surname="Anytownsen", on_register=False)
    given = pack_with_doors(campaign, homes)
    Pack.unscoped.filter(pk=given.pk).update(assigned_to=anytown.user(Role.CANVASSER))
    other = PackFactory(walk_list=given.walk_list)
    return {"given": given, "other": other, "shown": shown}


def test_a_canvassers_token_reads_only_the_pack_given_to_them_with_what_the_page_shows(client, anytown, walk):
    canvasser = anytown.user(Role.CANVASSER)
    token, secret = make_token(canvasser, [Scope.WALKLISTS_READ])
    api = bearer(secret)
    assert [p["id"] for p in api.get("/api/v1/packs/").json()["results"]] == [walk["given"].pk]
    pack = api.get(f"/api/v1/packs/{walk['given'].pk}/").json()
    electors = [e["id"] for door in pack["doors"] for e in door["electors"]]
    assert sorted(electors) == sorted(e.pk for e in walk["shown"])
    client.force_login(canvasser)
    page = client.get(reverse("campaigns:pack_data", args=[walk["given"].pk])).json()
    assert [door["id"] for door in pack["doors"]] == [door["id"] for door in page["doors"]]
    assert sorted(electors) == sorted(e[0] for door in page["doors"] for e in door["e"])
    assert api.get(f"/api/v1/packs/{walk['other'].pk}/").status_code == 404
    assert api.get("/api/v1/walk-lists/").status_code == 403  # the walk-list page is for organisers
    event = AuditEvent.objects.get(action="campaigns.api.pack")
    assert event.user == canvasser and event.detail == {"token": token.pk}


def test_an_organiser_reads_the_walk_list_and_every_pack(anytown, walk):
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.WALKLISTS_READ])
    api = bearer(secret)
    (walk_list,) = api.get("/api/v1/walk-lists/").json()["results"]
    assert [(p["id"], p["assigned"]) for p in walk_list["packs"]] == [
        (walk["given"].pk, True),
        (walk["other"].pk, False),
    ]
    assert {p["id"] for p in api.get("/api/v1/packs/").json()["results"]} == {
        walk["given"].pk,
        walk["other"].pk,
    }
    assert api.get(f"/api/v1/packs/{walk['other'].pk}/").status_code == 200


def test_another_clps_people_see_nothing(otherton, walk):
    for role in (Role.ORGANISER, Role.CANVASSER):
        _, secret = make_token(otherton.user(role), [Scope.WALKLISTS_READ])
        api = bearer(secret)
        assert api.get("/api/v1/packs/").json()["results"] == []
        assert api.get(f"/api/v1/packs/{walk['given'].pk}/").status_code == 404
    assert api.get("/api/v1/walk-lists/").status_code == 403  # the canvasser
    _, secret = make_token(otherton.user(Role.ORGANISER), [Scope.WALKLISTS_READ])
    assert bearer(secret).get("/api/v1/walk-lists/").json()["results"] == []


def test_a_token_without_walklists_read_is_refused(anytown, walk):
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.CAMPAIGNS_READ, Scope.CONTACTS_WRITE])
    refused = bearer(secret).get(f"/api/v1/packs/{walk['given'].pk}/")
    assert refused.status_code == 403 and "walklists:read" in refused.json()["detail"]


def test_a_visiting_activists_token_reads_the_pack_handed_to_them_and_nothing_else(
    client, anytown, otherton, day
):
    """pages10: the page opened a visiting activist's pack while their token got 403 on packs/ (every
    read asked for a CANVASS grant, which the visiting role does not carry). The API now allows what
    the page allows: the pack handed to them at check-in, while their day lasts."""
    day["event"].visiting_constituencies.set([otherton.constituency])
    _, secret = make_token(day["visitor"], [Scope.WALKLISTS_READ])
    api = bearer(secret)
    assert api.get(f"/api/v1/packs/{day['handed'].pk}/").status_code == 403  # not checked in yet
    _sign_up_and_check_in(client, day)
    assert client.get(reverse("campaigns:pack_data", args=[day["handed"].pk])).status_code == 200  # the page
    assert api.get(f"/api/v1/packs/{day['handed'].pk}/").status_code == 200
    assert [p["id"] for p in api.get("/api/v1/packs/").json()["results"]] == [day["handed"].pk]
    for other in (day["same_list"], day["other_list"]):
        assert api.get(f"/api/v1/packs/{other.pk}/").status_code == 404
        assert client.get(reverse("campaigns:pack_data", args=[other.pk])).status_code == 404
    assert api.get("/api/v1/walk-lists/").status_code == 403  # an organiser's view: still refused
