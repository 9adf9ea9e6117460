"""The postal chase: postal voters among the promises, contacts logged as rows in the window from
the postal ballots going out to the close of poll, labels, the law stated, other CLPs refused."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gotv.models import PostalChaseContact
from labourhub.models import Role
from tests.gotv.factories import canvassed, enter, polling_day
from tests.gotv.factories_ops import mark_postal
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(anytown):
    day = polling_day(anytown)
    day.election.democracy_club_id = "parl.anytown-test"
    day.election.save(update_fields=["democracy_club_id"])
    return day


def _elector(anytown, day, surname, address, promise=True, postal=True):
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district, address=address), surname=surname
    )
    enter(day.election.publication, elector)
    if promise:
        canvassed(elector, "L", "hard")
    if postal:
        mark_postal(day.election, elector)
    return elector


@pytest.fixture
def voters(anytown, day):
    return {
        "postal": _elector(anytown, day, "Postalperson", "7 Elm Road, Northfield"),
        "in_person": _elector(anytown, day, "Boothgoer", "8 Elm Road", postal=False),
        "not_ours": _elector(anytown, day, "Otherparty", "9 Elm Road", promise=False),
    }


def test_the_page_lists_postal_promises_and_states_the_law(client, anytown, day, voters):
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.get(reverse("gotv:postal_chase", args=[day.election.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Postalperson" in text
    assert "Boothgoer" not in text and "Otherparty" not in text
    assert "Never collect, carry or handle anyone else" in text and "Since May 2024" in text
    assert "no per-voter return data before the close of poll" in text


def test_a_canvasser_logs_reminders_as_rows_and_posted_drops_off_the_list(client, anytown, day, voters):
    canvasser = anytown.user(Role.CANVASSER)
    client.force_login(canvasser)
    url = reverse("gotv:postal_chase_log", args=[day.election.pk, voters["postal"].pk])
    client.post(url, {"channel": "phone", "outcome": "at_home"})
    client.post(url, {"channel": "door", "outcome": "posted"})
    rows = PostalChaseContact.unscoped.filter(election=day.election, elector=voters["postal"]).order_by("at")
    assert [(r.channel, r.outcome, r.by) for r in rows] == [
        ("phone", "at_home", canvasser), ("door", "posted", canvasser)
    ]  # fmt: skip
    listed = f"<strong>{voters['postal'].full_name}</strong>".encode()
    to_chase = client.get(reverse("gotv:postal_chase", args=[day.election.pk]))
    assert listed not in to_chase.content  # (the "logged" message above the list may name them)
    everyone = client.get(reverse("gotv:postal_chase", args=[day.election.pk]) + "?show=all")
    assert listed in everyone.content and b"Says it is posted" in everyone.content


def test_bad_input_and_electors_off_the_postal_list_write_nothing(client, anytown, day, voters):
    client.force_login(anytown.user(Role.CANVASSER))
    url = reverse("gotv:postal_chase_log", args=[day.election.pk, voters["postal"].pk])
    page = client.post(url, {"channel": "pigeon", "outcome": "posted"}, follow=True)
    assert b"Nothing logged for" in page.content and b"channel" in page.content
    for who in ("in_person", "not_ours"):
        other = reverse("gotv:postal_chase_log", args=[day.election.pk, voters[who].pk])
        assert client.post(other, {"channel": "phone", "outcome": "posted"}).status_code == 404
    assert not PostalChaseContact.unscoped.exists()


def test_outside_the_window_nothing_is_logged(client, anytown, day, voters):
    client.force_login(anytown.user(Role.CANVASSER))
    day.election.poll_date = timezone.localdate() + datetime.timedelta(days=20)  # ballots not out yet
    day.election.save(update_fields=["poll_date"])
    page = client.get(reverse("gotv:postal_chase", args=[day.election.pk]))
    assert b"The postal chase starts on" in page.content
    url = reverse("gotv:postal_chase_log", args=[day.election.pk, voters["postal"].pk])
    page = client.post(url, {"channel": "phone", "outcome": "posted"}, follow=True)
    assert b"The postal chase starts on" in page.content
    day.election.poll_date = timezone.localdate() - datetime.timedelta(days=1)  # after the close of poll
    day.election.save(update_fields=["poll_date"])
    page = client.post(url, {"channel": "phone", "outcome": "posted"}, follow=True)
    assert b"The polls closed at" in page.content
    assert not PostalChaseContact.unscoped.exists()


def test_labels_for_organisers_only_and_never_for_another_clp(client, anytown, otherton, day, voters):
    labels = reverse("gotv:postal_labels", args=[day.election.pk])
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.get(labels)
    assert page.status_code == 200
    assert b"7 Elm Road<br>Northfield" in page.content and b"members/print.css" in page.content
    assert b"Boothgoer" not in page.content
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(labels).status_code == 404
    client.force_login(otherton.user(Role.ORGANISER))
    assert client.get(labels).status_code == 404
    assert client.get(reverse("gotv:postal_chase", args=[day.election.pk])).status_code == 404
    url = reverse("gotv:postal_chase_log", args=[day.election.pk, voters["postal"].pk])
    assert client.post(url, {"channel": "phone", "outcome": "posted"}).status_code == 404
    assert not PostalChaseContact.unscoped.exists()


def test_the_log_form_chooses_nothing_for_the_canvasser(client, anytown, day, voters):
    """How they were reached and what they said are what the canvasser picks, never a default: an
    untouched form logs nothing and says what is missing."""
    client.force_login(anytown.user(Role.CANVASSER))
    html = client.get(reverse("gotv:postal_chase", args=[day.election.pk])).content.decode()
    assert " checked" not in html and " selected" not in html
    assert html.count('<option value="">Choose…</option>') == 2
    url = reverse("gotv:postal_chase_log", args=[day.election.pk, voters["postal"].pk])
    page = client.post(url, {"channel": "", "outcome": "", "notes": "rang twice"}, follow=True)
    assert (
        "Nothing logged for" in page.content.decode()
        and "channel: This field is required" in page.content.decode()
    )
    assert not PostalChaseContact.unscoped.exists()
