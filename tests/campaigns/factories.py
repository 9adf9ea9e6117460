"""Factories for canvassing. Anytown's records carry "Anytown" in a personal field (see conftest)."""

import factory

from campaigns.models import Campaign, Pack, PackDoor, WalkList
from campaigns.services import survey_create
from tests.factories import ConstituencyFactory, ModelFactory


class CampaignFactory(ModelFactory):
    class Meta:
        model = Campaign

    constituency = factory.SubFactory(ConstituencyFactory)
    name = factory.Sequence(lambda n: f"Spring doorstep {n}")


def campaign_with_survey(constituency, name="Anytown spring campaign"):
    campaign = CampaignFactory(constituency=constituency, name=name)
    survey_create(campaign=campaign, name="Doorstep survey")
    return campaign


class WalkListFactory(ModelFactory):
    class Meta:
        model = WalkList

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"Walk list {n}")


class PackFactory(ModelFactory):
    class Meta:
        model = Pack

    walk_list = factory.SubFactory(WalkListFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Pack {n}")
    sheet_id = factory.Sequence(lambda n: f"T-{n:05d}")


def pack_with_doors(campaign, properties):
    """A pack over `properties`, in the order given."""
    walk_list = WalkListFactory(campaign=campaign)
    pack = PackFactory(walk_list=walk_list, door_count=len(properties))
    PackDoor.objects.bulk_create(
        [PackDoor(pack=pack, property=p, position=i) for i, p in enumerate(properties, start=1)]
    )
    return pack
