"""Coverage, voted by hour, agents' turnout snapshots and WARP counts, per box."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import IntentionCode
from gotv import turnout
from gotv.models import BoxTurnoutCount, WarpCount
from gotv.services import (
    box_turnout_record,
    telling_record,
    warp_count_invalidate,
    warp_count_record,
)
from labourhub.models import Role
from tests.gotv.factories import BallotBoxFactory, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def _at(hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(hour, minute)))


def test_coverage_lists_the_hours_a_teller_recorded_anything(anytown):
    electors = [
        ElectorFactory(home=PropertyFactory(polling_district=anytown.polling_district), elector_number=n)
        for n in (1, 2, 3)
    ]
    day = polling_day(anytown, electors=electors)
    empty_box = BallotBoxFactory(station=day.station, label="Box 2")
    teller = anytown.user(Role.TELLER)
    now = timezone.localtime()
    if now.hour < 1:
        pytest.skip("needs two past hours today")
    hours = [now.hour - 1, now.hour - 1, now.hour]
    for n, hour in zip((1, 2, 3), hours, strict=True):
        result = telling_record(
            teller=teller, election=day.election, box=day.box, raw_number=str(n), client_uuid=uuid.uuid4(),
            recorded_at=min(_at(hour, 1), timezone.now()),
        )  # fmt: skip
        assert result.status == "found"
    assert turnout.coverage(day.election) == {day.box.pk: [now.hour - 1, now.hour]}
    assert empty_box.pk not in turnout.coverage(day.election)
    by_hour = turnout.voted_by_hour(day.election)
    assert by_hour[(anytown.polling_district.pk, now.hour - 1)] == 2
    assert by_hour[(anytown.polling_district.pk, now.hour)] == 1


def test_the_latest_turnout_snapshot_wins_and_history_is_kept(anytown):
    day = polling_day(anytown)
    agent = anytown.user(Role.TELLER)
    now = timezone.now()
    box_turnout_record(user=agent, election=day.election, box=day.box, ballots_issued=310, as_of=now)
    box_turnout_record(
        user=agent,
        election=day.election,
        box=day.box,
        ballots_issued=120,
        as_of=now - datetime.timedelta(hours=2),
    )  # an older reading typed late
    assert turnout.latest_counts(day.election)[day.box.pk].ballots_issued == 310
    assert BoxTurnoutCount.unscoped.filter(box=day.box).count() == 2


def test_a_turnout_count_is_applied_once_per_entry_id(anytown):
    day = polling_day(anytown)
    key = uuid.uuid4()
    for _ in range(2):
        box_turnout_record(
            user=anytown.user(Role.TELLER),
            election=day.election,
            box=day.box,
            ballots_issued=5,
            client_uuid=key,
        )
    assert BoxTurnoutCount.unscoped.count() == 1


def test_bad_counts_say_what_is_wrong(anytown):
    day = polling_day(anytown)
    agent = anytown.user(Role.TELLER)
    with pytest.raises(ValidationError, match="ballots_issued"):
        box_turnout_record(user=agent, election=day.election, box=day.box, ballots_issued=-1)
    with pytest.raises(ValidationError, match="votes"):
        warp_count_record(user=agent, election=day.election, box=day.box, votes="12", label="Green")
    with pytest.raises(ValidationError, match="party"):
        warp_count_record(user=agent, election=day.election, box=day.box, votes=3)
    other = polling_day(anytown, name="Anytown by-election")
    with pytest.raises(ValidationError, match="not a box of"):
        box_turnout_record(user=agent, election=day.election, box=other.box, ballots_issued=3)


def test_warp_counts_add_up_and_an_invalid_one_drops_out(anytown):
    day = polling_day(anytown)
    agent = anytown.user(Role.TELLER)
    labour = IntentionCode.objects.get(code="L")
    warp_count_record(user=agent, election=day.election, box=day.box, party=labour, votes=40)
    wrong = warp_count_record(user=agent, election=day.election, box=day.box, party=labour, votes=400)
    warp_count_record(user=agent, election=day.election, box=day.box, party=labour, votes=35)
    warp_count_record(user=agent, election=day.election, box=day.box, label="Independent", votes=7)
    assert turnout.warp_totals(day.election)[day.box.pk] == {"L": 475, "Independent": 7}
    with pytest.raises(ValidationError, match="reason"):
        warp_count_invalidate(warp_count=wrong, user=agent, reason=" ")
    warp_count_invalidate(warp_count=wrong, user=agent, reason="Typed an extra nought")
    assert turnout.warp_totals(day.election)[day.box.pk] == {"L": 75, "Independent": 7}
    assert WarpCount.unscoped.count() == 4  # kept, marked invalid
