"""Setting up polling day from the office pages: an officer or organiser creates the election and
its committee rooms (the boxes or whole districts each runs, one main), scoped to their CLP; bad
input is a clear message on the form with what was typed kept, never a server error."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gotv.models import CommitteeRoom, CommitteeRoomBox, Election
from labourhub.models import AuditEvent, Role
from tests.gotv.factories import BallotBoxFactory, RegisterPublicationFactory, polling_day

pytestmark = pytest.mark.django_db


def _election_post(clp, publication, **changes):
    day = timezone.localdate() + datetime.timedelta(days=30)
    return {
        "constituency": clp.constituency.pk, "kind": "general", "name": "Anytown general election 2029",
        "poll_date": day.isoformat(), "polls_open": "07:00", "polls_close": "22:00", "late_grace_minutes": "30",
        "publication": publication.pk, "democracy_club_id": "parl.2029", "postal_chase_from": "",
    } | changes  # fmt: skip


@pytest.mark.parametrize("role", [Role.CLP_SECRETARY, Role.ORGANISER])
def test_an_officer_or_organiser_sets_up_an_election_from_the_office_pages(client, anytown, role):
    publication = RegisterPublicationFactory(constituency=anytown.constituency)
    client.force_login(anytown.user(role))
    page = client.get(reverse("gotv:index"))
    assert reverse("gotv:election_create") in page.content.decode()
    response = client.post(reverse("gotv:election_create"), _election_post(anytown, publication))
    election = Election.unscoped.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "gotv:election", args=[election.pk]
    )
    assert (election.constituency, election.publication, election.kind) == (
        anytown.constituency,
        publication,
        "general",
    )
    assert election.campaign is not None and election.created_by == anytown.user(role)
    assert AuditEvent.objects.filter(action="election.create").count() == 1


def test_nobody_sets_up_an_election_in_another_clp(client, anytown, otherton):
    publication = RegisterPublicationFactory(constituency=anytown.constituency)
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    page = client.get(reverse("gotv:election_create"))
    assert "Anytown" not in page.content.decode()
    response = client.post(reverse("gotv:election_create"), _election_post(anytown, publication))
    assert response.status_code == 400 and not Election.unscoped.exists()
    assert "Select a valid choice" in response.content.decode()


def test_a_register_of_another_clp_is_refused(client, anytown, otherton):
    theirs = RegisterPublicationFactory(constituency=otherton.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(reverse("gotv:election_create"), _election_post(anytown, theirs))
    assert response.status_code == 400 and not Election.unscoped.exists()


@pytest.mark.parametrize("role", [Role.CANVASSER, Role.TELLER])
def test_canvassers_and_tellers_do_not_set_up_elections(client, anytown, role):
    client.force_login(anytown.user(role))
    assert client.get(reverse("gotv:election_create")).status_code == 403
    assert reverse("gotv:election_create") not in client.get(reverse("gotv:index")).content.decode()


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(client, anytown):
    publication = RegisterPublicationFactory(constituency=anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    bad = _election_post(anytown, publication, polls_open="22:00", polls_close="07:00", kind="")
    response = client.post(reverse("gotv:election_create"), bad)
    text = response.content.decode()
    assert response.status_code == 400 and not Election.unscoped.exists()
    assert "07:00 is not after the polls open (22:00)" in text
    assert 'value="Anytown general election 2029"' in text  # what was typed is kept
    assert '<option value="" selected>Choose…</option>' in text  # the kind left unchosen stays unchosen
    fresh = client.get(reverse("gotv:election_create")).content.decode()
    assert fresh.count(" selected>") == 3 and fresh.count('<option value="" selected>') == 3  # nothing chosen


def test_a_committee_room_runs_the_boxes_of_the_districts_ticked(client, anytown):
    day = polling_day(anytown)
    CommitteeRoomBox.objects.all().delete()
    other_box = BallotBoxFactory(station=day.station, label="Box 2")
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:committee_room_create", args=[day.election.pk])
    page = client.get(url).content.decode()
    assert "Box 1" in page and "Box 2" in page and anytown.polling_district.code in page
    response = client.post(url, {"name": "Back room", "address": "3 Mill Lane", "contact_number": "07700900333",
                                 "organiser": anytown.user(Role.ORGANISER).pk,
                                 "districts": [anytown.polling_district.pk]})  # fmt: skip
    assert response.status_code == 302
    room = CommitteeRoom.unscoped.get(name="Back room")
    assert list(room.boxes.all()) == [day.box] and room.organiser == anytown.user(Role.ORGANISER)
    assert AuditEvent.objects.filter(action="committee_room.create").count() == 1
    # The box now run from Back room is no longer offered; Box 2 still is.
    page = client.get(url).content.decode()
    assert f'value="{day.box.pk}"' not in page and f'value="{other_box.pk}"' in page


def test_a_second_main_room_is_refused_on_the_form(client, anytown):
    day = polling_day(anytown)  # its room is the main one
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    url = reverse("gotv:committee_room_create", args=[day.election.pk])
    response = client.post(url, {"name": "Second room", "is_main": "on"})
    assert response.status_code == 400
    assert "already has a main committee room" in response.content.decode()
    assert 'value="Second room"' in response.content.decode()
    assert CommitteeRoom.unscoped.count() == 1


def test_another_clps_organiser_cannot_add_a_room(client, anytown, otherton):
    day = polling_day(anytown)
    client.force_login(otherton.user(Role.ORGANISER))
    url = reverse("gotv:committee_room_create", args=[day.election.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Sneaky room"}).status_code == 404
    assert CommitteeRoom.unscoped.count() == 1


def test_a_teller_cannot_add_a_room(client, anytown):
    day = polling_day(anytown)
    client.force_login(anytown.user(Role.TELLER))
    assert client.get(reverse("gotv:committee_room_create", args=[day.election.pk])).status_code == 404
