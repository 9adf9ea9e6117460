"""The teller's pages, the search fallback, telling coverage and concurrent sends."""

import datetime
import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gotv.coverage import telling_coverage
from gotv.models import Telling, TellingUndo, VoteRecord
from gotv.services import telling_record, telling_undo
from labourhub.models import Role
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import BallotBoxFactory, enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory


def _elector(clp, number, **fields):
    home = PropertyFactory(polling_district=clp.polling_district, address=f"{number} Anytown Road")
    return ElectorFactory(home=home, elector_number=number, **fields)


@pytest.mark.django_db
def test_a_teller_picks_the_election_and_box_and_gets_the_keypad(client, anytown):
    day = polling_day(anytown, electors=[_elector(anytown, 1)])
    client.force_login(anytown.user(Role.TELLER))
    home = client.get(reverse("gotv:telling_home")).content.decode()
    box_url = reverse("gotv:telling_box", args=[day.election.pk, day.box.pk])
    assert box_url in home
    page = client.get(box_url).content.decode()
    assert 'data-key="/"' in page and 'id="letters-toggle"' in page
    assert "Anytownson" not in page  # the shell holds no voter: numbers are resolved on the server
    assert 'data-download="' in page


@pytest.mark.django_db
def test_search_finds_by_name_or_address_within_the_box_only(client, anytown):
    ada = _elector(anytown, 7, first_names="Ada", surname="Lovelace")
    day = polling_day(anytown, electors=[ada])
    district = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN2")
    stranger = ElectorFactory(
        home=PropertyFactory(polling_district=district, address="9 Lovelace Close"),
        first_names="Ada",
        surname="Lovelace",
    )
    other_box = BallotBoxFactory(station=day.station, label="Box 2", districts=[stranger.polling_district])
    enter(day.election.publication, stranger)
    client.force_login(anytown.user(Role.TELLER))
    url = reverse("gotv:telling_search", args=[day.election.pk, day.box.pk])
    body = client.get(url, {"q": "ada love"}).json()
    assert body["results"] == [
        {"name": "Ada Lovelace", "address": "7 Anytown Road", "number": f"{anytown.polling_district.code}-7"}
    ]
    assert client.get(url, {"q": "7 anytown"}).json()["results"][0]["name"] == "Ada Lovelace"
    assert "3 letters" in client.get(url, {"q": "a"}).json()["error"]
    # The other box's register is searched from that box only.
    other = reverse("gotv:telling_search", args=[day.election.pk, other_box.pk])
    assert [r["address"] for r in client.get(other, {"q": "lovelace"}).json()["results"]] == [
        "9 Lovelace Close"
    ]


@pytest.mark.django_db
def test_coverage_is_the_hours_a_teller_recorded_anything_per_box(anytown):
    electors = [_elector(anytown, n) for n in (1, 2, 3)]
    day = polling_day(anytown, electors=electors)
    quiet = BallotBoxFactory(station=day.station, label="Box 2")
    teller = anytown.user(Role.TELLER)
    today = timezone.localdate()

    def at(hour, minute=5):
        return timezone.make_aware(datetime.datetime.combine(today, datetime.time(hour, minute)))

    first = telling_record(
        teller=teller, election=day.election, box=day.box, raw_number="1", client_uuid=uuid.uuid4(),
        recorded_at=at(7),
    )  # fmt: skip
    telling_record(
        teller=teller, election=day.election, box=day.box, raw_number="2", client_uuid=uuid.uuid4(),
        recorded_at=at(7, 50),
    )  # fmt: skip
    telling_undo(telling=first.telling, user=teller)  # undone, but someone was there at 7
    Telling.unscoped.filter(pk=first.telling.pk).update(recorded_at=at(9))
    if timezone.now() < at(9):
        pytest.skip("the test needs the day's 09:00 to have passed (recorded times are clamped to now)")
    coverage = telling_coverage(election=day.election)
    assert coverage == {day.box.pk: [7, 9], quiet.pk: []}


@pytest.mark.django_db
def test_co_located_boxes_share_their_coverage(anytown):
    day = polling_day(anytown, electors=[_elector(anytown, 1)])
    day.box.co_located = True
    day.box.save(update_fields=["co_located"])
    neighbour = BallotBoxFactory(station=day.station, label="Box 2", co_located=True)
    apart = BallotBoxFactory(label="Box 3", station__election=day.election)
    telling_record(
        teller=anytown.user(Role.TELLER), election=day.election, box=day.box, raw_number="1",
        client_uuid=uuid.uuid4(),
    )  # fmt: skip
    hour = timezone.localtime().hour
    coverage = telling_coverage(election=day.election)
    assert coverage == {day.box.pk: [hour], neighbour.pk: [hour], apart.pk: []}


def test_the_same_batch_posted_three_times_at_once_is_stored_once(transactional_db, anytown):
    """Real concurrent transactions (the `transactional_db` fixture, so conftest puts back the
    reference rows the flush at its end removes)."""
    electors = [_elector(anytown, n) for n in range(1, 31)]
    day = polling_day(anytown, electors=electors)
    teller = anytown.user(Role.TELLER)
    other_teller = anytown.user(Role.ORGANISER)
    entries = [
        {"uuid": str(uuid.uuid4()), "kind": "telling", "election": day.election.pk, "box": day.box.pk,
         "number": str(n), "recorded_at": timezone.now().isoformat()}
        for n in range(1, 31)
    ]  # fmt: skip
    undo = {
        "uuid": str(uuid.uuid4()),
        "kind": "undo",
        "election": day.election.pk,
        "target": entries[-1]["uuid"],
    }
    body = json.dumps({"entries": [*entries, undo]})
    # A second teller at the same box enters the same number as the batch's second entry.
    their_body = json.dumps({"entries": [dict(entries[1], uuid=str(uuid.uuid4()))]})
    barrier = threading.Barrier(4)
    answers, errors = [], []

    def send(user, payload):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=30)
            response = client.post("/polling-day/telling/sync/", payload, content_type="application/json")
            answers.append((response.status_code, response.json()))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(teller, body)) for _ in range(3)]
    threads.append(threading.Thread(target=send, args=(other_teller, their_body)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert [status for status, _ in answers] == [200] * 4
    assert Telling.unscoped.filter(teller=teller).count() == 30  # one row per UUID
    assert Telling.unscoped.filter(teller=other_teller).count() == 1  # both tellings of number 2 kept
    assert TellingUndo.unscoped.count() == 1, [b["results"][-1] for _, b in answers]
    # Voted: 30 numbers, the last undone; number 2 told twice is one "voted".
    assert VoteRecord.unscoped.count() == 29
    assert not VoteRecord.unscoped.filter(elector__elector_number=30).exists()
    statuses = [r["status"] for _, body in answers for r in body["results"]]
    assert statuses.count("found") + statuses.count("already_told") == 31
