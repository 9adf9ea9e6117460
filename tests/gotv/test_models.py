"""The database keeps polling-day facts consistent whoever writes them."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gotv.models import CommitteeRoom, Election, LiftRequest, Telling, VoteRecord, WarpCount
from labourhub.models import Role
from labourhub.scoping import Action
from tests.gotv.factories import CommitteeRoomFactory, ElectionFactory, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def _elector(clp):
    return ElectorFactory(home=PropertyFactory(polling_district=clp.polling_district))


def test_one_vote_record_per_elector_per_election(anytown):
    elector = _elector(anytown)
    day = polling_day(anytown, electors=[elector])
    fields = {
        "election": day.election, "elector": elector, "polling_district": elector.polling_district,
        "source": VoteRecord.Source.DOORSTEP, "at": timezone.now(),
    }  # fmt: skip
    VoteRecord.unscoped.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        VoteRecord.unscoped.create(**fields)


def test_one_main_committee_room_per_election(anytown):
    day = polling_day(anytown)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeRoomFactory(election=day.election, is_main=True)
    CommitteeRoomFactory(election=day.election, is_main=False)
    assert CommitteeRoom.unscoped.filter(election=day.election).count() == 2


def test_polls_must_close_after_they_open(anytown):
    with pytest.raises(IntegrityError), transaction.atomic():
        ElectionFactory(
            constituency=anytown.constituency, polls_open=datetime.time(22), polls_close=datetime.time(7)
        )


def test_election_defaults_to_seven_till_ten_with_a_grace_period(anytown):
    election = Election(
        constituency=anytown.constituency, poll_date=datetime.date(2029, 5, 3), kind="general"
    )
    assert timezone.localtime(election.opens_at).time() == datetime.time(7)
    assert timezone.localtime(election.closes_at).time() == datetime.time(22)
    assert election.tellings_accepted_until - election.closes_at == datetime.timedelta(minutes=30)
    assert election.postal_chase_starts == datetime.date(2029, 4, 19)
    assert election.franchise == "parl"
    assert Election(kind=Election.Kind.PCC).franchise == "local"


def test_telling_client_uuid_is_applied_once(anytown):
    elector = _elector(anytown)
    day = polling_day(anytown, electors=[elector])
    entry = elector.register_entries.get()
    fields = {
        "election": day.election, "box": day.box, "teller": anytown.user(Role.TELLER), "raw_number": "1",
        "elector_number": 1, "elector": elector, "polling_district": entry.polling_district, "recorded_at": timezone.now(),
    }  # fmt: skip
    first = Telling.unscoped.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Telling.unscoped.create(client_uuid=first.client_uuid, **fields)


def test_an_invalid_warp_count_says_why(anytown):
    day = polling_day(anytown)
    with pytest.raises(IntegrityError), transaction.atomic():
        WarpCount.unscoped.create(
            election=day.election, box=day.box, label="Green", votes=3, invalid=True,
            recorded_by=anytown.user(Role.TELLER),
        )  # fmt: skip


def test_an_assigned_lift_has_a_driver(anytown):
    day = polling_day(anytown)
    with pytest.raises(IntegrityError), transaction.atomic():
        LiftRequest.unscoped.create(
            election=day.election, name="A", address="1 Road", status=LiftRequest.Status.ASSIGNED
        )


def test_polling_day_rows_are_scoped_to_the_clp(anytown, otherton):
    elector = _elector(anytown)
    day = polling_day(anytown, electors=[elector])
    entry = elector.register_entries.get()
    Telling.unscoped.create(
        election=day.election, box=day.box, teller=anytown.user(Role.TELLER), raw_number="1",
        elector_number=1, elector=elector, polling_district=entry.polling_district, recorded_at=timezone.now(),
    )  # fmt: skip
    assert Telling.objects.for_user(anytown.user(Role.TELLER)).count() == 1
    assert Telling.objects.for_user(otherton.user(Role.TELLER)).count() == 0
    assert Election.objects.for_user(otherton.user(Role.CLP_SECRETARY)).count() == 0
    # A canvasser holds no TELL grant: tellings are not theirs to read.
    assert Telling.objects.for_user(anytown.user(Role.CANVASSER)).count() == 0
    assert Telling.objects.for_user(anytown.user(Role.CANVASSER), Action.CANVASS).count() == 1
