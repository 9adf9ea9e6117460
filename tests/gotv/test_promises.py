"""The promise list and the knock-up list: built from canvassing, adjusted by rows, counted per place."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from gotv import promises
from gotv.models import PostalChaseContact, PromiseAdjustment, VoteRecord
from gotv.services import promise_adjust, telling_record, vote_record_add
from labourhub.models import Role
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import (
    BallotBoxFactory,
    CommitteeRoomFactory,
    canvassed,
    polling_day,
)
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import ElectorMark, RegisterImport

pytestmark = pytest.mark.django_db


def _elector(district, number, **fields):
    return ElectorFactory(home=PropertyFactory(polling_district=district), elector_number=number, **fields)


def _ids(queryset):
    return {e.pk for e in queryset}


def _mark(elector, election, kind):
    source = RegisterImport.unscoped.create(
        constituency=election.constituency, kind=RegisterImport.Kind.POSTAL, file_name="postal.csv"
    )
    ElectorMark.unscoped.create(
        elector=elector, kind=kind, election=election.democracy_club_id, source=source
    )


def test_promises_are_latest_intentions_that_are_ours(anytown):
    labour, tory, changed, never = (_elector(anytown.polling_district, n) for n in range(1, 5))
    day = polling_day(anytown, electors=[labour, tory, changed, never])
    canvassed(labour, "L", "hard")
    canvassed(tory, "T")
    canvassed(changed, "L")
    canvassed(changed, "T")  # the latest answer counts
    found = list(promises.promises(day.election))
    assert [e.pk for e in found] == [labour.pk]
    assert (found[0].intention_code, found[0].strength, found[0].promise_source) == ("L", "hard", "canvass")
    assert found[0].box_id == day.box.pk


def test_hard_promises_come_first(anytown):
    soft, plain, hard = (_elector(anytown.polling_district, n) for n in range(1, 4))
    day = polling_day(anytown, electors=[soft, plain, hard])
    canvassed(soft, "L", "soft")
    canvassed(plain, "L")
    canvassed(hard, "L", "hard")
    assert [e.pk for e in promises.promises(day.election)] == [hard.pk, plain.pk, soft.pk]


def test_electors_not_in_the_elections_register_are_not_promises(anytown):
    inside, outside = _elector(anytown.polling_district, 1), _elector(anytown.polling_district, 2)
    day = polling_day(anytown, electors=[inside])
    canvassed(inside, "L")
    canvassed(outside, "L")
    assert _ids(promises.promises(day.election)) == {inside.pk}


def test_manual_adds_and_removes_need_a_reason_and_the_latest_wins(anytown):
    supporter, friend = _elector(anytown.polling_district, 1), _elector(anytown.polling_district, 2)
    day = polling_day(anytown, electors=[supporter, friend])
    organiser = anytown.user(Role.ORGANISER)
    canvassed(supporter, "L")
    with pytest.raises(ValidationError, match="reason"):
        promise_adjust(election=day.election, elector=friend, kind="promise", user=organiser)
    promise_adjust(
        election=day.election,
        elector=friend,
        kind="promise",
        reason="Told me at the school gate",
        user=organiser,
    )
    promise_adjust(
        election=day.election,
        elector=supporter,
        kind="promise",
        value=False,
        reason="Moved to Spain",
        user=organiser,
    )
    found = {e.pk: e for e in promises.promises(day.election)}
    assert set(found) == {friend.pk}
    assert found[friend.pk].promise_source == "added"
    promise_adjust(
        election=day.election,
        elector=supporter,
        kind="promise",
        value=True,
        reason="Back after all",
        user=organiser,
    )
    assert _ids(promises.promises(day.election)) == {friend.pk, supporter.pk}
    assert PromiseAdjustment.unscoped.count() == 3  # rows, never edited


def test_an_adjustment_for_someone_off_the_elections_register_is_refused(anytown):
    stranger = _elector(anytown.polling_district, 1)
    day = polling_day(anytown)
    with pytest.raises(ValidationError, match="not on the register"):
        promise_adjust(
            election=day.election, elector=stranger, kind="wont_vote", user=anytown.user(Role.ORGANISER)
        )


def test_knock_up_is_promises_less_voted_wont_vote_and_do_not_return(anytown):
    voted, wont, dnr, cleared, to_knock = (_elector(anytown.polling_district, n) for n in range(1, 6))
    day = polling_day(anytown, electors=[voted, wont, dnr, cleared, to_knock])
    for elector in (voted, wont, dnr, cleared, to_knock):
        canvassed(elector, "L")
    organiser = anytown.user(Role.ORGANISER)
    telling_record(
        teller=anytown.user(Role.TELLER), election=day.election, box=day.box, raw_number="1",
        client_uuid=uuid.uuid4(), recorded_at=timezone.now(),
    )  # fmt: skip
    promise_adjust(election=day.election, elector=wont, kind="wont_vote", user=organiser)
    promise_adjust(election=day.election, elector=dnr, kind="do_not_return", user=organiser)
    promise_adjust(election=day.election, elector=cleared, kind="do_not_return", user=organiser)
    promise_adjust(election=day.election, elector=cleared, kind="do_not_return", value=False, user=organiser)
    assert _ids(promises.knock_up(day.election)) == {cleared.pk, to_knock.pk}
    vote_record_add(election=day.election, elector=to_knock, source=VoteRecord.Source.KNOCK_UP)
    assert _ids(promises.knock_up(day.election)) == {cleared.pk}


def test_postal_voters_are_split_and_knocked_up_only_when_the_ballot_is_at_home(anytown):
    postal, at_home, in_person, proxy = (_elector(anytown.polling_district, n) for n in range(1, 5))
    day = polling_day(anytown, electors=[postal, at_home, in_person, proxy])
    day.election.democracy_club_id = "parl.2029-05-03"
    day.election.save(update_fields=["democracy_club_id"])
    for elector in (postal, at_home, in_person, proxy):
        canvassed(elector, "L")
    _mark(postal, day.election, ElectorMark.Kind.POSTAL)
    _mark(at_home, day.election, ElectorMark.Kind.POSTAL)
    _mark(proxy, day.election, ElectorMark.Kind.PROXY)
    PostalChaseContact.unscoped.create(
        election=day.election,
        elector=at_home,
        channel="door",
        outcome="at_home",
        by=anytown.user(Role.CANVASSER),
    )
    listed = {e.pk: e for e in promises.promises(day.election)}
    assert {pk for pk, e in listed.items() if e.postal} == {postal.pk, at_home.pk}
    assert listed[proxy.pk].proxy and not listed[proxy.pk].postal
    assert _ids(promises.knock_up(day.election)) == {at_home.pk, in_person.pk, proxy.pk}


def test_counts_per_district_box_and_room_match_a_direct_sql_count(anytown):
    second_district = PollingDistrictFactory(constituency=anytown.constituency, code="AN2")
    first = [_elector(anytown.polling_district, n) for n in range(1, 5)]
    second = [_elector(second_district, n) for n in range(1, 4)]
    day = polling_day(anytown, electors=first + second)
    box2 = BallotBoxFactory(station=day.station, label="Box 2", districts=[second_district])
    room2 = CommitteeRoomFactory(election=day.election, name="Anytown north room", boxes=[box2])
    for elector in first + second:
        canvassed(elector, "L")
    canvassed(first[3], "T")
    vote_record_add(election=day.election, elector=first[0], source=VoteRecord.Source.DOORSTEP)
    vote_record_add(election=day.election, elector=second[0], source=VoteRecord.Source.DOORSTEP)
    promise_adjust(
        election=day.election, elector=second[1], kind="wont_vote", user=anytown.user(Role.ORGANISER)
    )

    tally = promises.counts(day.election)
    assert tally.by_district[anytown.polling_district.pk].promises == 3
    assert tally.by_box[day.box.pk].voted == 1
    assert tally.by_box[day.box.pk].to_get_out == 2
    assert tally.by_box[box2.pk].promises == 3
    assert tally.by_room[room2.pk].to_get_out == 1
    assert tally.by_room[day.room.pk].promises == 3
    assert tally.total.promises == 6

    with connection.cursor() as cursor:  # the same facts, counted straight from the tables
        cursor.execute(
            """
            SELECT e.polling_district_id, COUNT(*),
                   COUNT(*) FILTER (WHERE v.id IS NULL AND NOT EXISTS (
                       SELECT 1 FROM gotv_promiseadjustment a
                        WHERE a.elector_id = li.elector_id AND a.election_id = %s AND a.kind = 'wont_vote'))
              FROM campaigns_latestintention li
              JOIN campaigns_intentioncode c ON c.id = li.intention_id AND c.is_ours
              JOIN voters_registerentry e ON e.elector_id = li.elector_id AND e.publication_id = %s
              LEFT JOIN gotv_voterecord v ON v.elector_id = li.elector_id AND v.election_id = %s
             GROUP BY e.polling_district_id
            """,
            [day.election.pk, day.election.publication_id, day.election.pk],
        )
        direct = {pd: (n, out) for pd, n, out in cursor.fetchall()}
    assert direct == {
        pd: (tally.by_district[pd].promises, tally.by_district[pd].to_get_out) for pd in tally.by_district
    }


def test_a_local_election_counts_only_the_wards_contested(anytown):
    from tests.factories import WardFactory

    other_ward = WardFactory(constituency=anytown.constituency, name="Anytown East")
    east = PollingDistrictFactory(constituency=anytown.constituency, ward=other_ward, code="AE1")
    central, eastern = _elector(anytown.polling_district, 1), _elector(east, 1)
    day = polling_day(anytown, electors=[central, eastern])
    day.election.kind = "local"
    day.election.save(update_fields=["kind"])
    day.election.wards.set([anytown.ward])
    canvassed(central, "L")
    canvassed(eastern, "L")
    assert _ids(promises.promises(day.election)) == {central.pk}


def test_a_promise_list_is_a_handful_of_queries(anytown, django_assert_max_num_queries):
    electors = [_elector(anytown.polling_district, n) for n in range(1, 21)]
    day = polling_day(anytown, electors=electors)
    for elector in electors:
        canvassed(elector, "L")
    with django_assert_max_num_queries(4):
        assert len(list(promises.knock_up(day.election))) == 20
    with django_assert_max_num_queries(5):
        assert promises.counts(day.election).total.promises == 20
