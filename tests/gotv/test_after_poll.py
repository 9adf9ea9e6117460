"""After the poll: a small marked register reconciled with the telling, per box, with the CSVs."""

import csv
import io
import uuid

import pytest
from django.urls import reverse

from gotv import afterpoll
from gotv.services import telling_record, telling_undo
from labourhub.models import Role
from tests.campaigns.factories import CampaignFactory
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import BallotBoxFactory, canvassed, enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import ElectorMark, RegisterImport

pytestmark = pytest.mark.django_db
DC_ID = "parl.2026-05-07"


def _person(day, district, number):
    home = PropertyFactory(polling_district=district, address=f"{number} Poll Street, Anytown")
    elector = ElectorFactory(home=home, elector_number=number, surname=f"Anytownson{district.code}{number}")
    enter(day.election.publication, elector)
    return elector


@pytest.fixture
def day(anytown):
    day = polling_day(anytown, name="Anytown general election")
    day.election.democracy_club_id = DC_ID
    day.election.save(update_fields=["democracy_club_id"])
    second = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN2")
    day.box2 = BallotBoxFactory(station=day.station, label="Box 2", districts=[second])
    one = {n: _person(day, anytown.polling_district, n) for n in range(1, 11)}
    two = {n: _person(day, second, n) for n in range(1, 5)}
    teller = anytown.user(Role.TELLER)
    tellings = {}
    for n in (1, 2, 3, 8, 9):  # 8 was told but did not vote (a typo); 9 is undone below
        result = telling_record(teller=teller, election=day.election, box=day.box, raw_number=str(n),
                                client_uuid=uuid.uuid4())  # fmt: skip
        assert result.status == "found", result.message
        tellings[n] = result.telling
    assert telling_undo(telling=tellings[9], user=teller).status == "undone"
    # The marked register: AN1 1-6 voted in person, AN1 7 by post; AN2 1 in person.
    source = RegisterImport.unscoped.create(
        constituency=anytown.constituency, kind=RegisterImport.Kind.MARKED, file_name="marked.csv"
    )
    marks = [(one[n], "voted") for n in range(1, 8)] + [(one[7], "postal"), (two[1], "voted")]
    ElectorMark.unscoped.bulk_create(
        ElectorMark(elector=e, kind=k, election=DC_ID, source=source) for e, k in marks
    )
    campaign = CampaignFactory(constituency=anytown.constituency)
    for elector in (one[1], one[5], one[10], two[2]):
        canvassed(elector, "L", campaign=campaign)
    day.one, day.two = one, two
    return day


def test_per_box_telling_accuracy_against_the_marked_register(anytown, day):
    data = afterpoll.report(day.election)
    assert data.has_marked_register
    lines = {line.label: line for line in data.boxes}
    first, second = lines["Box 1"], lines["Box 2"]
    assert (first.electors, first.marked, first.postal_marked) == (10, 6, 1)
    assert (first.told, first.told_marked, first.told_unmarked, first.missed) == (4, 3, 1, 3)
    assert (first.accuracy, first.coverage) == (75.0, 50.0)
    assert (first.promises, first.promises_not_voted) == (3, 1)  # AN1-10 promised and did not vote
    assert (second.electors, second.marked, second.told, second.missed) == (4, 1, 0, 1)
    assert (second.accuracy, second.coverage) == (None, 0.0)
    assert (second.promises, second.promises_not_voted) == (1, 1)
    hours = 24  # the factory's polls are open all day
    assert (len(first.gap_hours), len(second.gap_hours)) == (hours - 1, hours)
    assert (data.total.told, data.total.marked, data.total.promises_not_voted) == (4, 7, 2)
    assert {e.pk for e in afterpoll.promises_not_voted(day.election)} == {day.one[10].pk, day.two[2].pk}


def test_the_report_page_and_its_csvs(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:after_poll", args=[day.election.pk])
    page = client.get(url).content.decode()
    assert "75.0%" in page and "50.0%" in page and "Coverage gaps" in page
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()))
    )
    assert rows[0][:3] == ["box", "station", "electors"]
    box1 = next(r for r in rows if r[0] == "Box 1")
    assert box1[2:13] == ["10", "6", "1", "4", "3", "1", "3", "75.0", "50.0", "3", "1"]
    people = b"".join(client.get(url, {"format": "promises-csv"}).streaming_content).decode()
    assert "AnytownsonAN110" in people and "AnytownsonAN22" in people and "AnytownsonAN11," not in people
    bad = client.get(url, {"format": "xls"})
    assert bad.status_code == 400 and b"not one of csv" in bad.content


def test_without_a_marked_register_the_page_says_so(client, anytown):
    day = polling_day(anytown, name="Anytown by-election")
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.get(reverse("gotv:after_poll", args=[day.election.pk])).content.decode()
    assert "No marked register has been imported" in page


@pytest.mark.parametrize("role", [Role.TELLER, Role.CANVASSER])
def test_only_organisers_read_it(client, anytown, day, role):
    client.force_login(anytown.user(role))
    assert client.get(reverse("gotv:after_poll", args=[day.election.pk])).status_code == 404


def test_another_clp_gets_nothing(client, otherton, day):
    client.force_login(otherton.user(Role.ORGANISER))
    for query in ({}, {"format": "csv"}, {"format": "promises-csv"}):
        response = client.get(reverse("gotv:after_poll", args=[day.election.pk]), query)
        assert response.status_code == 404
