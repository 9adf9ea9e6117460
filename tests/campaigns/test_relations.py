"""Relational organising: my people, found on the register, with what is known of them."""

import uuid

from django.urls import reverse

from campaigns.models import Relation
from campaigns.services import canvass_record_visit
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ElectorFactory, PropertyFactory


def neighbour(clp, surname):
    return ElectorFactory(home=PropertyFactory(polling_district=clp.polling_district), surname=surname)


def test_an_organiser_finds_and_adds_someone_from_the_register(client, anytown):
    aunt = neighbour(anytown, "Anytownson")
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.get(reverse("campaigns:relations"), {"q": "anytown"})
    assert list(page.context["found"]) == [aunt]
    client.post(reverse("campaigns:relations"), {"elector": aunt.pk, "kind": "family"})
    assert Relation.unscoped.get().kind == "family"


def test_a_canvasser_finds_someone_they_know_by_surname_and_postcode(client, anytown, anytown_canvasser):
    aunt = neighbour(anytown, "Anytownson")
    neighbour(anytown, "Anytownsonne")
    client.force_login(anytown_canvasser)
    known = {"surname": "anytownson", "postcode": aunt.home.postcode_display.lower()}
    page = client.get(reverse("campaigns:relations"), known)
    assert list(page.context["found"]) == [aunt]
    client.post(reverse("campaigns:relations"), {"elector": aunt.pk, "kind": "family", **known})
    assert Relation.unscoped.get().kind == "family"


def test_a_canvasser_cannot_browse_the_register_from_my_people(client, anytown, anytown_canvasser):
    aunt = neighbour(anytown, "Anytownson")
    client.force_login(anytown_canvasser)
    for query in ({"q": "anytown"}, {"q": aunt.home.postcode}, {"surname": "Anytownson"}):
        page = client.get(reverse("campaigns:relations"), query)
        assert list(page.context["found"]) == [], query
        assert aunt.full_name not in page.text and aunt.home.address not in page.text


def test_a_canvasser_cannot_add_an_elector_by_id_alone(client, anytown, anytown_canvasser):
    stranger = neighbour(anytown, "Anytownson")
    client.force_login(anytown_canvasser)
    response = client.post(reverse("campaigns:relations"), {"elector": stranger.pk, "kind": "friend"})
    assert response.status_code == 404
    wrong_postcode = {"surname": "Anytownson", "postcode": "ZZ9 9ZZ"}
    response = client.post(
        reverse("campaigns:relations"), {"elector": stranger.pk, "kind": "friend", **wrong_postcode}
    )
    assert response.status_code == 404
    assert not Relation.unscoped.exists()


def test_my_people_show_latest_intention_and_contact(client, anytown, anytown_canvasser):
    friend = neighbour(anytown, "Anytownson")
    Relation.unscoped.create(owner=anytown_canvasser, elector=friend, kind="friend")
    campaign = campaign_with_survey(anytown.constituency)
    canvass_record_visit(
        canvasser=anytown_canvasser,
        campaign=campaign,
        elector=friend,
        outcome="spoke",
        client_uuid=uuid.uuid4(),
        answers={"vi": "G"},
        survey_version=campaign.current_survey_version(),
    )
    client.force_login(anytown_canvasser)
    [(row, _)] = client.get(reverse("campaigns:relations")).context["mine"]
    assert row.intention == "G" and row.elector.last_contact_at is not None


def test_someone_in_another_clp_cannot_be_added(client, anytown_canvasser, otherton):
    stranger = neighbour(otherton, "Othertonian")
    client.force_login(anytown_canvasser)
    response = client.post(reverse("campaigns:relations"), {"elector": stranger.pk, "kind": "friend"})
    assert response.status_code == 404
    assert not Relation.unscoped.exists()


def test_organisers_see_relation_counts_by_ward(client, anytown, anytown_canvasser):
    for n in range(3):
        Relation.unscoped.create(
            owner=anytown_canvasser, elector=neighbour(anytown, f"Anytownson{n}"), kind="friend"
        )
    client.force_login(anytown.user(Role.ORGANISER))
    [ward] = client.get(reverse("campaigns:relations")).context["by_ward"]
    assert ward["people"] == 3 and ward["organisers"] == 1


def test_removing_a_relation(client, anytown, anytown_canvasser):
    relation = Relation.unscoped.create(
        owner=anytown_canvasser, elector=neighbour(anytown, "Anytownson"), kind="friend"
    )
    client.force_login(anytown_canvasser)
    client.post(reverse("campaigns:relation_remove", args=[relation.pk]))
    assert not Relation.unscoped.exists()


def test_a_conversation_with_someone_i_know_is_recorded_like_any_contact(client, anytown, anytown_canvasser):
    from voters.models import Contact

    friend = neighbour(anytown, "Anytownson")
    relation = Relation.unscoped.create(owner=anytown_canvasser, elector=friend, kind="colleague")
    campaign_with_survey(anytown.constituency)
    client.force_login(anytown_canvasser)
    form = {"client_uuid": str(uuid.uuid4()), "channel": "phone", "intention": "L", "strength": "soft"}
    url = reverse("campaigns:relation_contact", args=[relation.pk])
    client.post(url, form)
    client.post(url, form)
    contact = Contact.unscoped.get(elector=friend)
    assert contact.channel == "phone" and contact.by == anytown_canvasser
    [(row, _)] = client.get(reverse("campaigns:relations")).context["mine"]
    assert row.intention == "L"
