"""The committee-room board: its figures equal hand-written SQL counts of the same facts, it reads
in a fixed number of queries for few and many rows, it refreshes itself, and it is the CLP's only."""

import datetime
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from gotv import board as boards
from gotv.models import KnockUpRound, LiftRequest, PromiseAdjustment
from gotv.services import box_turnout_record, promise_adjust, telling_record
from labourhub.models import Role
from tests.campaigns.factories import CampaignFactory
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import (
    BallotBoxFactory,
    CommitteeRoomFactory,
    LiftRequestFactory,
    canvassed,
    enter,
    polling_day,
)
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def _elector(day, district, number, lat=None):
    home = PropertyFactory(polling_district=district, latitude=lat, longitude=-1.5 if lat else None)
    elector = ElectorFactory(home=home, elector_number=number, surname="Anytownson")
    enter(day.election.publication, elector)
    return elector


@pytest.fixture
def day(anytown):
    """Two districts on two boxes run from two rooms; 6 promises and 2 others in AN1, 3 promises in AN2."""
    day = polling_day(anytown, name="Anytown general election")
    second = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN2")
    box2 = BallotBoxFactory(station=day.station, label="Box 2", districts=[second])
    room2 = CommitteeRoomFactory(election=day.election, name="Anytown east room", boxes=[box2])
    campaign = CampaignFactory(constituency=anytown.constituency)
    ours = [_elector(day, anytown.polling_district, n, lat=51.0 + n / 1000) for n in range(1, 7)]
    others = [_elector(day, anytown.polling_district, n) for n in (7, 8)]
    east = [_elector(day, second, n, lat=51.1) for n in (1, 2, 3)]
    for elector in ours + east:
        canvassed(elector, "L", campaign=campaign)
    for elector in others:
        canvassed(elector, "T", campaign=campaign)
    teller = anytown.user(Role.TELLER)
    seven = timezone.now().replace(hour=7, minute=30)
    for elector in (ours[0], ours[1], others[0], east[0]):
        box = day.box if elector.polling_district_id == anytown.polling_district.pk else box2
        result = telling_record(
            teller=teller, election=day.election, box=box, raw_number=str(elector.elector_number),
            client_uuid=uuid.uuid4(), recorded_at=min(seven, timezone.now()),
        )  # fmt: skip
        assert result.status == "found", result.message
    promise_adjust(election=day.election, elector=ours[2], kind=PromiseAdjustment.Kind.WONT_VOTE, user=teller)
    box_turnout_record(user=teller, election=day.election, box=day.box, ballots_issued=40)
    box_turnout_record(user=teller, election=day.election, box=day.box, ballots_issued=55)  # latest wins
    LiftRequestFactory(election=day.election, committee_room=day.room, name="Anytown passenger")
    LiftRequestFactory(election=day.election, committee_room=day.room, status=LiftRequest.Status.DONE)
    KnockUpRound.unscoped.create(
        committee_room=day.room,
        number=1,
        tellings_up_to=timezone.now(),
        created_by=anytown.user(Role.ORGANISER),
    )
    day.box2, day.room2, day.second = box2, room2, second
    return day


def _sql(query, params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


PROMISES_SQL = """
    SELECT re.polling_district_id,
           COUNT(*) AS promises,
           COUNT(*) FILTER (WHERE vr.id IS NOT NULL) AS voted,
           COUNT(*) FILTER (WHERE vr.id IS NULL AND NOT EXISTS (
               SELECT 1 FROM gotv_promiseadjustment pa
                WHERE pa.election_id = %(e)s AND pa.elector_id = re.elector_id
                  AND pa.kind IN ('wont_vote', 'do_not_return') AND pa.value)) AS to_get_out
      FROM voters_registerentry re
      JOIN campaigns_latestintention li ON li.elector_id = re.elector_id
      JOIN campaigns_intentioncode ic ON ic.id = li.intention_id AND ic.is_ours
      LEFT JOIN gotv_voterecord vr ON vr.election_id = %(e)s AND vr.elector_id = re.elector_id
     WHERE re.publication_id = %(p)s
     GROUP BY re.polling_district_id
"""


def test_the_boards_numbers_equal_a_direct_sql_count(anytown, day):
    data = boards.board(day.election)
    by_district = {d.label: d for _, line in data.boxes for d in line.districts}
    expected = {
        pd: (promises, voted, out)
        for pd, promises, voted, out in _sql(
            PROMISES_SQL, {"e": day.election.pk, "p": day.election.publication_id}
        )
    }
    for pd in (anytown.polling_district, day.second):
        line = by_district[pd.code]
        assert (line.promises, line.voted, line.to_get_out) == expected[pd.pk]
    assert expected[anytown.polling_district.pk] == (6, 2, 3)  # the fixture is what it says
    told = dict(
        _sql(
            "SELECT polling_district_id, COUNT(*) FROM gotv_voterecord WHERE election_id = %s GROUP BY 1",
            [day.election.pk],
        )
    )
    assert by_district["AN1"].told == told[anytown.polling_district.pk] == 3  # a Tory voter was told too
    [[agent]] = _sql(
        "SELECT ballots_issued FROM gotv_boxturnoutcount WHERE box_id = %s ORDER BY as_of DESC, received_at DESC LIMIT 1",
        [day.box.pk],
    )
    boxes = {box.pk: line for box, line in data.boxes}
    assert boxes[day.box.pk].agent_count == agent == 55
    assert boxes[day.box2.pk].agent_count is None
    [[hours]] = _sql(
        "SELECT COUNT(DISTINCT date_part('hour', recorded_at AT TIME ZONE %s)) FROM gotv_telling WHERE box_id = %s",
        [str(timezone.get_current_timezone()), day.box.pk],
    )
    assert len(boxes[day.box.pk].coverage) == hours == 1
    [[lifts]] = _sql(
        "SELECT COUNT(*) FROM gotv_liftrequest WHERE election_id = %s AND status IN ('open', 'assigned')",
        [day.election.pk],
    )
    rooms = {room.pk: line for room, line in data.rooms}
    assert rooms[day.room.pk].lifts_open == data.total.lifts_open == lifts == 1
    assert (rooms[day.room.pk].rounds_out, rooms[day.room2.pk].rounds_out) == (1, 0)
    assert data.total.promises == sum(p for p, _, _ in expected.values()) == 9
    assert data.next_district.label == "AN1"  # 3 to get out against AN2's 2


def test_a_rooms_board_counts_only_its_boxes(anytown, day):
    data = boards.board(day.election, day.room2)
    assert [box.pk for box, _ in data.boxes] == [day.box2.pk]
    assert (data.total.promises, data.total.voted, data.total.to_get_out) == (3, 1, 2)
    assert data.total.lifts_open == 0 and data.total.rounds_out == 0
    assert sum(n for _, _, n in data.doors) == 2  # the map shows AN2's doors to knock only


def test_votes_still_to_come_scale_the_count_by_the_typical_curve(anytown, day):
    noon = timezone.make_aware(datetime.datetime.combine(day.election.poll_date, datetime.time(12, 0)))
    day.election.polls_open, day.election.polls_close = datetime.time(7), datetime.time(22)
    share = boards.share_cast_by(day.election, noon)
    assert share == boards.TYPICAL_CUMULATIVE_SHARE[12]
    assert boards.estimate_to_come(55, share) == round(55 * (1 - share) / share)
    assert boards.estimate_to_come(0, share) is None
    assert boards.share_cast_by(day.election, noon.replace(hour=23)) == 1.0


def test_the_board_page_shows_the_figures_and_refreshes_itself(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.get(reverse("gotv:board", args=[day.election.pk, day.room.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'hx-trigger="every 20s"' in html
    assert reverse("gotv:board_live", args=[day.election.pk, day.room.pk]) in html
    assert "(estimate)" in html and "typical polling-day curve" in html
    assert 'data-figure="promises">6<' in html
    live = client.get(reverse("gotv:board_live", args=[day.election.pk, day.room.pk]))
    assert live.status_code == 200 and b"<html" not in live.content
    assert b'data-figure="to_get_out">3<' in live.content
    overview = client.get(reverse("gotv:board_overview", args=[day.election.pk]))
    assert b"Anytown east room" in overview.content and b'data-figure="promises">9<' in overview.content


def _more(day, anytown, n):
    campaign = CampaignFactory(constituency=anytown.constituency)
    for number in range(100, 100 + n):
        canvassed(_elector(day, day.second, number, lat=51.2), "L", campaign=campaign)
    for i in range(3, 3 + n // 10):
        BallotBoxFactory(station=day.station, label=f"Box {i}", districts=[
            PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code=f"AX{i}")
        ])  # fmt: skip


@pytest.mark.parametrize("extra", [0, 40])
def test_the_live_board_reads_in_few_queries(client, anytown, day, django_assert_max_num_queries, extra):
    _more(day, anytown, extra)
    client.force_login(anytown.user(Role.ORGANISER))
    with django_assert_max_num_queries(16):
        live = client.get(reverse("gotv:board_overview_live", args=[day.election.pk]))
    assert live.status_code == 200
    assert f'data-figure="promises">{9 + extra}<'.encode() in live.content
    if extra:
        assert b"AX6" in live.content  # the extra boxes' rows are there


@pytest.mark.parametrize("role", [Role.TELLER, Role.CANVASSER])
def test_tellers_and_canvassers_do_not_read_the_board(client, anytown, day, role):
    client.force_login(anytown.user(role))
    assert client.get(reverse("gotv:board_overview", args=[day.election.pk])).status_code == 404


def test_another_clps_organiser_gets_404_and_no_data(client, otherton, anytown, day):
    client.force_login(otherton.user(Role.ORGANISER))
    for name, args in (
        ("gotv:board_overview", [day.election.pk]),
        ("gotv:board_overview_live", [day.election.pk]),
        ("gotv:board", [day.election.pk, day.room.pk]),
        ("gotv:board_live", [day.election.pk, day.room.pk]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 404 and b"Anytown" not in response.content


def test_a_room_of_another_election_is_not_found(client, anytown, day):
    other = polling_day(anytown, name="Anytown by-election")
    client.force_login(anytown.user(Role.ORGANISER))
    assert client.get(reverse("gotv:board", args=[day.election.pk, other.room.pk])).status_code == 404
