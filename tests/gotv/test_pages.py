"""Polling-day office pages: the election, the station upload (page and admin), who sees them."""

from pathlib import Path

import pytest
from django.urls import reverse

from gotv.models import BallotBox, Election, PollingStation
from labourhub.models import Role
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import RegisterPublicationFactory, polling_day

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"


@pytest.fixture
def day(anytown):
    anytown.polling_district.code = "AN1"
    anytown.polling_district.save(update_fields=["code"])
    for code in ("AN2", "AN3"):
        PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code=code)
    return polling_day(anytown, name="Anytown general election")


def _upload(client, day, name, **columns):
    with open(FILES / name, "rb") as f:
        data = {"layout": "democracy_club" if name.endswith(".tsv") else "box_list", "file": f}
        data |= {f"column_{key}": value for key, value in columns.items()}
        return client.post(reverse("gotv:stations_import", args=[day.election.pk]), data)


def test_an_organiser_imports_the_councils_file_on_the_page(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.get(reverse("gotv:stations_import", args=[day.election.pk]))
    assert page.status_code == 200 and b"polling_place_name" in page.content  # the defaults are shown
    response = _upload(client, day, "democracy_club.tsv")
    assert response.status_code == 200
    assert b"Imported" in response.content
    assert set(BallotBox.unscoped.filter(election=day.election).values_list("label", flat=True)) == {
        "Box 1",
        "AN1",
        "AN2",
        "AN3",
    }
    election_page = client.get(reverse("gotv:election", args=[day.election.pk]))
    assert b"St Mary&#x27;s Church Hall" in election_page.content


def test_a_missing_column_is_shown_with_the_columns_seen(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    response = _upload(client, day, "box_list.csv", districts="Wards")
    assert response.status_code == 400
    assert b"Rejected" in response.content
    assert b"&#x27;Wards&#x27; (polling district(s))" in response.content
    assert (
        b"The header line has: Station, Address, Postcode, Box, Districts, Latitude, Longitude"
        in response.content
    )
    assert PollingStation.unscoped.filter(election=day.election).count() == 1  # only the factory's


def test_a_teller_sees_the_election_but_cannot_import(client, anytown, day):
    client.force_login(anytown.user(Role.TELLER))
    assert client.get(reverse("gotv:index")).status_code == 200
    assert client.get(reverse("gotv:election", args=[day.election.pk])).status_code == 200
    assert client.get(reverse("gotv:stations_import", args=[day.election.pk])).status_code == 404


def test_another_clp_cannot_see_or_import(client, otherton, day):
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert b"Anytown" not in client.get(reverse("gotv:index")).content
    assert client.get(reverse("gotv:election", args=[day.election.pk])).status_code == 404
    response = _upload(client, day, "democracy_club.tsv")
    assert response.status_code == 404
    assert not PollingStation.unscoped.filter(election=day.election, council_id="5854").exists()


def test_a_canvasser_reaches_only_the_postal_chase_from_the_index(client, anytown, day):
    """Canvassers (CANVASS, not TELL) chase postal voters: the index lists the election with its
    postal chase, but not the election's page, its telling or its office jobs."""
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.get(reverse("gotv:index")).content.decode()
    assert reverse("gotv:postal_chase", args=[day.election.pk]) in page
    assert f'href="{reverse("gotv:election", args=[day.election.pk])}"' not in page
    assert reverse("gotv:telling_home") not in page and reverse("gotv:election_create") not in page
    assert client.get(reverse("gotv:election", args=[day.election.pk])).status_code == 404


def test_someone_with_no_polling_day_role_is_refused_the_index(client, anytown):
    client.force_login(anytown.user(Role.CASEWORKER))
    assert client.get(reverse("gotv:index")).status_code == 403


def test_home_offers_polling_day_to_tellers_only(client, anytown):
    link = f'href="{reverse("gotv:index")}"'.encode()  # not "my lifts", which sits under it
    client.force_login(anytown.user(Role.TELLER))
    assert link in client.get("/").content
    client.force_login(anytown.user(Role.CANVASSER))
    assert link not in client.get("/").content


def test_the_admin_links_an_election_to_its_station_import(client, anytown, day):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("admin:gotv_election_change", args=[day.election.pk]))
    assert page.status_code == 200
    assert reverse("gotv:stations_import", args=[day.election.pk]).encode() in page.content


def test_the_admin_refuses_a_register_of_another_clp(client, anytown, otherton, day):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    theirs = RegisterPublicationFactory(constituency=otherton.constituency)
    response = client.post(
        reverse("admin:gotv_election_add"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "general",
            "name": "Anytown by the back door",
            "poll_date": "2029-05-03",
            "polls_open": "07:00",
            "polls_close": "22:00",
            "late_grace_minutes": "30",
            "publication": theirs.pk,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Election.unscoped.filter(name="Anytown by the back door").exists()
