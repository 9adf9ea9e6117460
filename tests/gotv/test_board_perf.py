"""The board's one heavy read (gotv.board_sql) gives the promise list's own counts and knock-up doors.
Its plan at constituency size (every subquery hashed, none re-run per elector) is checked by
tests/perf/bench_board.py: on a test database's few rows the planner rightly runs them per row."""

import datetime

import pytest

from gotv import board_sql
from tests.campaigns.factories import CampaignFactory
from tests.gotv.factories import canvassed, enter, polling_day
from tests.prepared_statements import prepared_after
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(anytown):
    day = polling_day(anytown, name="Anytown general election")
    campaign = CampaignFactory(constituency=anytown.constituency)
    for number in range(1, 4):
        home = PropertyFactory(polling_district=anytown.polling_district, latitude=51.0, longitude=-1.5)
        elector = ElectorFactory(home=home, elector_number=number, surname="Anytownson")
        enter(day.election.publication, elector)
        canvassed(elector, "L", campaign=campaign)
    return day


def test_the_boards_read_gives_the_promise_lists_counts(anytown, day):
    from gotv import promises

    rows, doors = board_sql.tallies_and_doors(day.election, door_box_ids=[day.box.pk], door_limit=10)
    counts = promises.counts(day.election)
    assert sum(row.promises for row in rows) == counts.total.promises == 3
    assert sum(row.to_get_out for row in rows) == counts.total.to_get_out == 3
    assert doors == [(51.0, -1.5, 3)]


def _board_read(election, box_ids):
    """The board's read as {(district, box): counts} and {(lat, lng): n}."""
    rows, doors = board_sql.tallies_and_doors(election, door_box_ids=box_ids, door_limit=1000)
    return {(r.poll_district_id, r.box_id): tuple(r[2:]) for r in rows}, {
        (lat, lng): n for lat, lng, n in doors
    }


def _orm_read(election, box_ids):
    """The same from the promise list's own definition (gotv.promises, the ORM)."""
    from django.db.models import Count, Q

    from gotv import promises

    get_out = Q(voted=False, wont_vote=False, do_not_return=False) & (
        Q(postal=False) | Q(postal_at_home=True)
    )
    rows = (
        promises.promises(election)
        .order_by()
        .values("poll_district_id", "box_id")
        .annotate(
            n=Count("pk"),
            postal_n=Count("pk", filter=Q(postal=True)),
            voted_n=Count("pk", filter=Q(voted=True)),
            wont_n=Count("pk", filter=Q(wont_vote=True)),
            dnr_n=Count("pk", filter=Q(do_not_return=True)),
            out_n=Count("pk", filter=get_out),
        )
    )
    doors = (
        promises.knock_up(election)
        .filter(box_id__in=box_ids, home__latitude__isnull=False, home__longitude__isnull=False)
        .order_by()
        .values_list("home__latitude", "home__longitude")
        .annotate(n=Count("pk"))
    )
    return {
        (r["poll_district_id"], r["box_id"]): (
            r["n"],
            r["postal_n"],
            r["voted_n"],
            r["wont_n"],
            r["dnr_n"],
            r["out_n"],
        )
        for r in rows
    }, {(lat, lng): n for lat, lng, n in doors}


@pytest.fixture
def everything(anytown):
    """Every rule of the promise list at once: canvassed ours/theirs, added and removed by hand (the
    latest row wins), won't vote and do not return set and cleared, postal voters with and without
    a chase saying "at home" (the latest chase wins), voted, a split district on two boxes, a
    district with no box, electors on another publication, and the same people in another election."""
    from django.utils import timezone

    from gotv.models import BallotBoxDistrict, PostalChaseContact, PromiseAdjustment, VoteRecord
    from gotv.services import promise_adjust, vote_record_add
    from tests.factories import PollingDistrictFactory
    from tests.gotv.factories import BallotBoxFactory, ElectionFactory, polling_day
    from tests.gotv.factories_ops import mark_postal

    day = polling_day(anytown, name="Anytown general election")
    election = day.election
    election.democracy_club_id = "parl.anytown.2026"
    election.save(update_fields=["democracy_club_id"])
    split = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN2")
    low = BallotBoxFactory(station=day.station, label="Box 2")
    high = BallotBoxFactory(station=day.station, label="Box 3")
    BallotBoxDistrict.objects.create(box=low, polling_district=split, first_number=1, last_number=5)
    BallotBoxDistrict.objects.create(box=high, polling_district=split, first_number=6, last_number=None)
    unboxed = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN3")
    campaign = CampaignFactory(constituency=anytown.constituency)
    user = anytown.user("organiser")
    kind = PromiseAdjustment.Kind
    people, numbers = [], {}
    for n, district in enumerate([anytown.polling_district] * 12 + [split] * 10 + [unboxed] * 3, start=1):
        numbers[district.pk] = (
            numbers.get(district.pk, 100 if district == anytown.polling_district else 0) + 1
        )
        home = PropertyFactory(polling_district=district, latitude=51.0 + (n % 7) / 100, longitude=-1.5)
        elector = ElectorFactory(home=home, polling_district=district, elector_number=numbers[district.pk],
                                 surname="Anytownson")  # fmt: skip
        enter(election.publication, elector)
        canvassed(elector, "L" if n % 4 else "T", campaign=campaign)
        people.append(elector)
    outsider = ElectorFactory(polling_district=anytown.polling_district, surname="Anytownson")
    canvassed(outsider, "L", campaign=campaign)  # ours, but not on this election's register
    later = timezone.now()

    def adjust(elector, k, value, seconds=0):
        row = promise_adjust(
            election=election, elector=elector, kind=k, value=value, reason="test", user=user
        )
        PromiseAdjustment.unscoped.filter(pk=row.pk).update(at=later + datetime.timedelta(seconds=seconds))

    adjust(people[1], kind.PROMISE, False)  # ours, taken off
    adjust(people[3], kind.PROMISE, True)  # theirs, put on
    adjust(people[7], kind.PROMISE, True)
    adjust(people[7], kind.PROMISE, False, seconds=5)  # put on, then off again
    adjust(people[5], kind.PROMISE, False)
    adjust(people[5], kind.PROMISE, True, seconds=5)  # off, then on again
    adjust(people[2], kind.WONT_VOTE, True)
    adjust(people[6], kind.WONT_VOTE, True)
    adjust(people[6], kind.WONT_VOTE, False, seconds=5)
    adjust(people[9], kind.DO_NOT_RETURN, True)
    adjust(people[13], kind.DO_NOT_RETURN, True)
    mark_postal(election, people[10], people[13], people[14], people[16], people[17], people[22])
    for elector, outcomes in ((people[14], ["at_home"]), (people[16], ["at_home", "posted"]),
                              (people[17], ["posted", "at_home"]), (people[22], ["at_home"])):  # fmt: skip
        for s, outcome in enumerate(outcomes):
            PostalChaseContact.unscoped.create(election=election, elector=elector, channel="phone",
                                               outcome=outcome, by=user, at=later + datetime.timedelta(seconds=s))  # fmt: skip
    for elector in (people[0], people[11], people[18], people[23]):
        vote_record_add(election=election, elector=elector, source=VoteRecord.Source.DOORSTEP)
    other = ElectionFactory(constituency=anytown.constituency, publication=election.publication,
                            democracy_club_id="local.anytown.2026")  # fmt: skip
    mark_postal(other, people[4], people[8])
    promise_adjust(election=other, elector=people[4], kind=kind.WONT_VOTE, user=user)
    vote_record_add(election=other, elector=people[8], source=VoteRecord.Source.DOORSTEP)
    return day, [day.box.pk, low.pk, high.pk]


def test_the_boards_read_is_the_promise_list_whatever_the_rules(everything):
    day, box_ids = everything
    board, orm = _board_read(day.election, box_ids), _orm_read(day.election, box_ids)
    assert board == orm
    counts, doors = board
    assert {box for _, box in counts} == {*box_ids, None}  # the split district on both boxes, AN3 on none
    assert sum(c[0] for c in counts.values()) > 10 and all(sum(c[1:]) for c in counts.values() if c[0] > 3)
    assert doors  # some doors still to knock


def test_the_boards_read_keeps_to_the_elections_wards(anytown, everything):
    from tests.factories import PollingDistrictFactory, WardFactory

    day, box_ids = everything
    elsewhere = WardFactory(constituency=anytown.constituency)
    PollingDistrictFactory(constituency=anytown.constituency, ward=elsewhere)
    day.election.wards.set([elsewhere])
    assert _board_read(day.election, box_ids) == _orm_read(day.election, box_ids) == ({}, {})
    day.election.wards.set([anytown.ward, elsewhere])
    board = _board_read(day.election, box_ids)
    assert board == _orm_read(day.election, box_ids) and board[0]


def test_the_boards_read_without_a_postal_list(everything):
    day, box_ids = everything
    day.election.democracy_club_id = ""
    day.election.save(update_fields=["democracy_club_id"])
    board = _board_read(day.election, box_ids)
    assert board == _orm_read(day.election, box_ids)
    assert not any(c[1] for c in board[0].values())  # nobody postal without the election's postal list


def test_a_rooms_read_is_the_full_reads_rows_for_its_districts(everything):
    """A committee room's board reads only its boxes' districts (a third of the promise list where
    three rooms share a constituency): each district's rows, a split one's on every box, are the
    full read's, and no other district's."""
    day, box_ids = everything
    full, _ = _board_read(day.election, box_ids)
    split = next(d for d, box in full if sum(1 for dd, _ in full if dd == d) > 1)  # on two boxes
    rows, _ = board_sql.tallies_and_doors(
        day.election, door_box_ids=box_ids, door_limit=1000, district_ids=[split]
    )
    mine = {(r.poll_district_id, r.box_id): tuple(r[2:]) for r in rows}
    assert mine == {key: counts for key, counts in full.items() if key[0] == split}
    assert len(mine) == 2 and mine != full


def test_the_boards_read_gives_a_split_districts_rest_and_a_doubly_linked_district_as_the_promise_list(
    everything,
):
    """Numbers outside a split district's ranges vote at a box the district is linked to whole, and
    a district linked whole to two boxes votes at the first: the ranges' CASE and the whole
    districts' join decide as the promise list's one CASE does."""
    from gotv.models import BallotBoxDistrict
    from labourhub.models import PollingDistrict

    day, box_ids = everything
    low, high = box_ids[1:]
    split = BallotBoxDistrict.objects.get(box_id=high).polling_district
    BallotBoxDistrict.objects.filter(box_id=high).update(first_number=8)  # 6 and 7: in no range...
    BallotBoxDistrict.objects.create(box=day.box, polling_district=split)  # ...so at its whole link
    unboxed = PollingDistrict.objects.get(code="AN3")
    BallotBoxDistrict.objects.create(box_id=low, polling_district=unboxed)
    BallotBoxDistrict.objects.create(box_id=high, polling_district=unboxed)
    board = _board_read(day.election, box_ids)
    assert board == _orm_read(day.election, box_ids)
    assert {box for district, box in board[0] if district == split.pk} == {low, high, day.box.pk}
    assert {box for district, box in board[0] if district == unboxed.pk} == {low}


def test_the_boards_statement_is_never_prepared_so_each_board_gets_its_own_plan(everything):
    """Its text is the same for every election without split districts: prepared, PostgreSQL kept
    one generic plan after five runs, blind to the election, its publication and the districts."""
    day, box_ids = everything
    (rows, _), prepared = prepared_after(
        lambda: board_sql.tallies_and_doors(day.election, door_box_ids=box_ids, door_limit=10)
    )
    assert rows
    assert not any("COUNT(*) FILTER (WHERE postal)" in statement for statement in prepared)
