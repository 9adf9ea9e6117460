"""Factories for polling day. Anytown's records carry "Anytown" in a personal field (see conftest).

`polling_day(clp)` builds a whole small election: a publication with its entries, a station,
a box serving the CLP's polling district and a main committee room.
"""

import datetime
import uuid
from dataclasses import dataclass

import factory
from django.utils import timezone

from campaigns.services import canvass_record_visit, survey_create
from gotv.models import (
    BallotBox,
    BallotBoxDistrict,
    CommitteeRoom,
    CommitteeRoomBox,
    Driver,
    Election,
    LiftRequest,
    PollingStation,
)
from tests.campaigns.factories import CampaignFactory
from tests.factories import ConstituencyFactory, ModelFactory, UserFactory
from voters.models import RegisterEntry, RegisterPublication


class RegisterPublicationFactory(ModelFactory):
    class Meta:
        model = RegisterPublication

    constituency = factory.SubFactory(ConstituencyFactory)
    published_on = factory.Sequence(lambda n: datetime.date(2025, 12, 1) - datetime.timedelta(days=n))


def enter(publication, elector, number=None, suffix=None, polling_district=None):
    """Place `elector` in `publication` (their current number unless one is given)."""
    district = polling_district or elector.polling_district
    number = elector.elector_number if number is None else number
    suffix = elector.elector_suffix if suffix is None else suffix
    return RegisterEntry.unscoped.create(
        publication=publication,
        elector=elector,
        polling_district=district,
        elector_number=number,
        elector_suffix=suffix,
        elector_number_raw=f"{district.code}-{number}{f'/{suffix}' if suffix else ''}",
    )


class ElectionFactory(ModelFactory):
    class Meta:
        model = Election

    constituency = factory.SubFactory(ConstituencyFactory)
    kind = Election.Kind.GENERAL
    name = factory.Sequence(lambda n: f"General election {n}")
    poll_date = factory.LazyFunction(timezone.localdate)
    # Open all day, so tests of telling pass whatever the time; tests of the hours set their own.
    polls_open = datetime.time(0, 0)
    polls_close = datetime.time(23, 59, 59)
    publication = factory.SubFactory(
        RegisterPublicationFactory, constituency=factory.SelfAttribute("..constituency")
    )


class PollingStationFactory(ModelFactory):
    class Meta:
        model = PollingStation

    election = factory.SubFactory(ElectionFactory)
    name = factory.Sequence(lambda n: f"Station {n} community hall")
    address = "1 Church Lane"
    postcode = "AB11AA"


class BallotBoxFactory(ModelFactory):
    class Meta:
        model = BallotBox
        skip_postgeneration_save = True

    station = factory.SubFactory(PollingStationFactory)
    election = factory.SelfAttribute("station.election")
    label = factory.Sequence(lambda n: f"Box {n}")

    @factory.post_generation
    def districts(box, create, extracted, **kwargs):
        for district in extracted or []:
            BallotBoxDistrict.objects.create(box=box, polling_district=district)


class CommitteeRoomFactory(ModelFactory):
    class Meta:
        model = CommitteeRoom
        skip_postgeneration_save = True

    election = factory.SubFactory(ElectionFactory)
    name = factory.Sequence(lambda n: f"Committee room {n}")
    address = "2 Market Street"
    contact_number = "07700900000"

    @factory.post_generation
    def boxes(room, create, extracted, **kwargs):
        for box in extracted or []:
            CommitteeRoomBox.objects.create(committee_room=room, box=box)


class DriverFactory(ModelFactory):
    class Meta:
        model = Driver

    election = factory.SubFactory(ElectionFactory)
    name = factory.Sequence(lambda n: f"Driver {n}")
    phone = "07700900111"


class LiftRequestFactory(ModelFactory):
    class Meta:
        model = LiftRequest

    election = factory.SubFactory(ElectionFactory)
    name = factory.Sequence(lambda n: f"Passenger {n}")
    address = "3 High Street"


def canvassed(elector, code="L", strength="", campaign=None):
    """Give `elector` a latest voting intention the way canvassing does (a recorded visit)."""
    campaign = campaign or CampaignFactory(constituency=elector.polling_district.constituency)
    if campaign.current_survey_version() is None:
        survey_create(campaign=campaign, name="Doorstep survey")
    canvasser = UserFactory()
    answer = {"code": code, "strength": strength} if strength else code
    return canvass_record_visit(
        canvasser=canvasser,
        campaign=campaign,
        elector=elector,
        outcome="spoke",
        client_uuid=uuid.uuid4(),
        answers={"vi": answer},
        survey_version=campaign.current_survey_version(),
    )


@dataclass
class PollingDay:
    election: object
    station: object
    box: object
    room: object


def polling_day(clp, name=None, electors=()):
    """An election today in `clp` (conftest's Clp): one station and box serving its polling
    district, a main committee room, and `electors` entered in the election's publication."""
    election = ElectionFactory(
        constituency=clp.constituency, name=name or f"{clp.constituency.name} general election"
    )
    station = PollingStationFactory(election=election, name=f"{clp.constituency.name} community hall")
    box = BallotBoxFactory(station=station, label="Box 1", districts=[clp.polling_district])
    room = CommitteeRoomFactory(
        election=election, name=f"{clp.constituency.name} committee room", is_main=True, boxes=[box]
    )
    for elector in electors:
        enter(election.publication, elector)
    return PollingDay(election, station, box, room)
