"""The polling-day rota (issue 17 item 6): created in one go after being shown, filled from the
events' sign-ups, gaps on the grid, the board's telling coverage fed by booked or checked-in
tellers, the CSV."""

import datetime

import pytest
from django.urls import reverse

from campaigns.models import Event, Shift, Signup
from gotv import board as boards
from gotv import rota
from gotv.models import RotaSlot
from gotv.rota_services import rota_create
from labourhub.models import Role
from tests.campaigns.event_factories import booked
from tests.gotv.factories import BallotBoxFactory, PollingStationFactory, polling_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(anytown):
    day = polling_day(anytown, name="Anytown general election")
    day.election.polls_open, day.election.polls_close = datetime.time(7), datetime.time(22)
    day.election.save(update_fields=["polls_open", "polls_close"])
    return day


def _slot(day, hour, kind=RotaSlot.Kind.TELLER):
    start = day.election.opens_at.replace(hour=hour)
    place = {"station": day.station} if kind == RotaSlot.Kind.TELLER else {"committee_room": day.room}
    return RotaSlot.unscoped.get(election=day.election, kind=kind, shift__starts_at=start, **place)


def test_the_bulk_creation_says_what_it_will_make_and_makes_it_once_confirmed(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:rota_create", args=[day.election.pk])
    asked = {"block_hours": 3, "tellers": 2, "knockers": 4, "drivers": 1}
    shown = client.post(url, asked)
    assert shown.status_code == 200, shown.content
    # 07:00-22:00 in 3-hour blocks: 5 blocks, at one station and one committee room.
    assert b'data-plan="Tellers">5 shifts for tellers' in shown.content
    assert b'data-plan="Knockers">5 shifts for knockers' in shown.content
    assert b"Create 15 shifts" in shown.content
    assert not RotaSlot.unscoped.exists() and not Shift.unscoped.exists()  # nothing made yet

    done = client.post(url, {**asked, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("gotv:rota", args=[day.election.pk])
    slots = RotaSlot.unscoped.filter(election=day.election)
    assert slots.count() == 15
    tellers = slots.filter(kind=RotaSlot.Kind.TELLER).select_related("shift__event")
    assert {s.shift.event.kind for s in tellers} == {Event.Kind.TELLING}
    assert len({s.shift.event_id for s in tellers}) == 1  # one event per station
    assert {(s.shift.minimum, s.station_id) for s in tellers} == {(2, day.station.pk)}
    first = _slot(day, 7)
    assert first.shift.ends_at - first.shift.starts_at == datetime.timedelta(hours=3)

    # Again: every block is already there, nothing is made twice.
    again = client.post(url, asked)
    assert b"Nothing new" in again.content and b"15 blocks already on the rota" in again.content
    client.post(url, {**asked, "confirm": "1"})
    assert RotaSlot.unscoped.count() == 15 and Event.unscoped.count() == 2


def test_bad_numbers_are_refused_on_the_form(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:rota_create", args=[day.election.pk])
    response = client.post(
        url, {"block_hours": "0", "tellers": "x", "knockers": 0, "drivers": 0, "confirm": "1"}
    )
    assert response.status_code == 200
    assert b"Hours in each block" in response.content and b"greater than or equal to 1" in response.content
    nobody = client.post(url, {"block_hours": 3, "tellers": 0, "knockers": 0, "drivers": 0, "confirm": "1"})
    assert b"Ask for at least one teller" in nobody.content
    assert not RotaSlot.unscoped.exists()


def test_the_grid_shows_who_is_booked_and_the_gaps(client, anytown, day, django_assert_max_num_queries):
    organiser = anytown.user(Role.ORGANISER)
    rota_create(user=organiser, election=day.election, tellers=1, knockers=2, drivers=0)
    booked(_slot(day, 7).shift, name="Anytown teller")
    booked(_slot(day, 10).shift, status=Signup.Status.WAITING)  # waiting: not on the rota
    two = _slot(day, 7, RotaSlot.Kind.KNOCKER).shift
    booked(two)
    grid = rota.grid(day.election)
    assert [block.hour for block in grid.blocks] == [7, 10, 13, 16, 19]
    station, knockers, drivers = grid.rows
    assert [cell.status for cell in station.cells] == ["ok", "gap", "gap", "gap", "gap"]
    assert [cell.status for cell in knockers.cells] == ["short", "gap", "gap", "gap", "gap"]
    assert all(cell.slot is None for cell in drivers.cells)  # no drivers asked for: gaps
    assert grid.gaps == 4 + 5 + 5

    client.force_login(organiser)
    with django_assert_max_num_queries(12) as few:
        page = client.get(reverse("gotv:rota", args=[day.election.pk]))
    assert page.status_code == 200 and b"14 gaps" in page.content
    # More stations, rooms' shifts and sign-ups: the same number of queries.
    for n in range(5):
        PollingStationFactory(election=day.election, name=f"Anytown school {n}")
    rota_create(user=organiser, election=day.election, tellers=2, knockers=0, drivers=1)
    for slot in RotaSlot.unscoped.filter(election=day.election)[:10]:
        booked(slot.shift)
    with django_assert_max_num_queries(len(few.captured_queries)):
        live = client.get(reverse("gotv:rota_live", args=[day.election.pk]))
    assert live.status_code == 200 and b"<html" not in live.content and b"Anytown school 4" in live.content


def test_booked_and_checked_in_tellers_count_as_coverage_on_the_board(anytown, day):
    organiser = anytown.user(Role.ORGANISER)
    second = BallotBoxFactory(station=day.station, label="Box 2", districts=[])
    elsewhere = PollingStationFactory(election=day.election, name="Anytown library")
    rota_create(user=organiser, election=day.election, tellers=1)
    booked(_slot(day, 7).shift)  # 07:00-10:00 at the community hall: both its boxes
    there = booked(_slot(day, 13).shift)
    there.attendance = Signup.Attendance.ATTENDED
    there.save(update_fields=["attendance"])
    gone = booked(_slot(day, 19).shift)
    gone.attendance = Signup.Attendance.NO_SHOW  # a no-show is not a teller
    gone.save(update_fields=["attendance"])
    booked(_slot(day, 16).shift, status=Signup.Status.CANCELLED)
    nobody_there = RotaSlot.unscoped.get(station=elsewhere, shift__starts_at=day.election.opens_at)

    board = boards.board(day.election)
    coverage = {box.pk: line.coverage for box, line in board.boxes}
    assert coverage[day.box.pk] == [7, 8, 9, 13, 14, 15]
    assert coverage[second.pk] == [7, 8, 9, 13, 14, 15]
    assert rota.tellers_now(day.election, day.election.opens_at.replace(hour=14)) == {day.box.pk, second.pk}
    assert rota.tellers_now(day.election, day.election.opens_at.replace(hour=20)) == set()
    assert not nobody_there.shift.signups.exists()  # the library's shifts are empty: no box of it covered
    assert set(rota.rostered_hours(day.election)) == {day.box.pk, second.pk}


def test_the_csv_lists_every_shift_with_its_people(client, anytown, day):
    organiser = anytown.user(Role.ORGANISER)
    rota_create(user=organiser, election=day.election, tellers=1)
    booked(_slot(day, 7).shift, name="=HYPERLINK(1) Anytown")
    client.force_login(organiser)
    response = client.get(reverse("gotv:rota_csv", args=[day.election.pk]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("kind,place,starts,ends")
    assert len(lines) == 1 + 5
    assert "Tellers,Anytown community hall," in lines[1] and ",1,0,ok,'=HYPERLINK(1) Anytown" in lines[1]


def test_tellers_and_other_clps_do_not_get_the_rota(client, anytown, otherton, day):
    client.force_login(anytown.user(Role.TELLER))
    assert client.get(reverse("gotv:rota", args=[day.election.pk])).status_code == 404
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("gotv:rota_create", args=[day.election.pk]),
        {"block_hours": 3, "tellers": 1, "knockers": 0, "drivers": 0, "confirm": "1"},
    )
    assert response.status_code == 404 and not RotaSlot.unscoped.exists()
