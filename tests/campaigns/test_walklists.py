from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import Pack, PackDoor
from campaigns.services import canvass_record_visit, walk_list_create
from tests.campaigns.factories import campaign_with_survey
from tests.factories import PollingDistrictFactory
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Elector, Property
from voters.services import contact_record


def street(pd, name, numbers, flats=0):
    homes = []
    for n in numbers:
        for flat in range(flats or 1):
            address = f"Flat {flat + 1}, {n} {name}" if flats else f"{n} {name}"
            home = PropertyFactory(polling_district=pd, street=name, house_number=n, address=address)
            ElectorFactory(home=home, surname="Anytownson")
            homes.append(home)
    return homes


def addresses(pack):
    return [d.property.address for d in pack.doors.select_related("property").order_by("position")]


def test_doors_go_up_the_odd_side_and_back_down_the_even_side(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    street(anytown.polling_district, "Mill Lane", [1, 2, 3, 4, 5, 6])
    walk_list = walk_list_create(campaign=campaign, name="Mill Lane", criteria={}, pack_size=40)
    assert addresses(walk_list.packs.get()) == [f"{n} Mill Lane" for n in (1, 3, 5, 6, 4, 2)]


def test_packs_split_between_blocks_of_flats_never_inside_one(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    street(anytown.polling_district, "Tower Road", [1, 3], flats=6)
    walk_list = walk_list_create(campaign=campaign, name="Towers", criteria={}, pack_size=13)
    assert [p.door_count for p in walk_list.packs.all()] == [12]
    walk_list = walk_list_create(campaign=campaign, name="Towers", criteria={}, pack_size=5)
    assert [p.door_count for p in walk_list.packs.all()] == [6, 6]
    assert {a.split(", ")[1] for a in addresses(walk_list.packs.first())} == {"1 Tower Road"}


def test_do_not_contact_and_recently_contacted_electors_are_left_out(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    homes = street(anytown.polling_district, "High Street", [1, 3, 5])
    Elector.unscoped.filter(home=homes[0]).update(do_not_contact=True)
    contact_record(elector=Elector.unscoped.get(home=homes[1]), channel="door", user=anytown_canvasser)
    walk_list = walk_list_create(campaign=campaign, name="High St", criteria={})
    assert addresses(walk_list.packs.get()) == ["5 High Street"]


def test_previous_answers_pick_soft_labour_and_dont_knows(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    homes = street(anytown.polling_district, "Elm Road", [1, 3, 5])
    version = campaign.current_survey_version()
    for home, code in zip(
        homes, [{"code": "L", "strength": "soft"}, {"code": "T", "strength": "hard"}, "D"], strict=True
    ):
        canvass_record_visit(
            canvasser=anytown_canvasser,
            campaign=campaign,
            elector=Elector.unscoped.get(home=home),
            outcome="spoke",
            client_uuid=f"00000000-0000-4000-8000-00000000000{home.house_number}",
            answers={"vi": code},
            survey_version=version,
        )
    Elector.unscoped.update(last_contact_at=timezone.now() - timedelta(days=30))
    walk_list = walk_list_create(
        campaign=campaign,
        name="Persuasion",
        criteria={"intentions": ["L soft", "D"], "not_contacted_days": 21},
    )
    assert addresses(walk_list.packs.get()) == ["1 Elm Road", "5 Elm Road"]


def test_streets_and_polling_districts_narrow_the_list(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    other_pd = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN2")
    street(anytown.polling_district, "Elm Road", [1])
    street(anytown.polling_district, "Oak Road", [1])
    street(other_pd, "Elm Road", [3])
    walk_list = walk_list_create(
        campaign=campaign,
        name="Elm",
        criteria={"streets": ["elm road"], "polling_districts": [anytown.polling_district.pk]},
    )
    assert addresses(walk_list.packs.get()) == ["1 Elm Road"]


@pytest.mark.parametrize(
    "criteria, message",
    [
        ({"intentions": ["Q"]}, "intentions: 'Q'"),
        ({"score": {"model_version": 999, "name": "support"}}, "score: model version 999"),
        ({"not_contacted_days": -1}, "not_contacted_days"),
    ],
)
def test_bad_criteria_are_refused_and_nothing_is_made(anytown, criteria, message):
    campaign = campaign_with_survey(anytown.constituency)
    with pytest.raises(ValidationError, match=message):
        walk_list_create(campaign=campaign, name="Bad", criteria=criteria)
    assert not campaign.walk_lists.exists()


def test_another_clps_polling_district_is_refused(anytown, otherton):
    campaign = campaign_with_survey(anytown.constituency)
    with pytest.raises(ValidationError, match="not in Anytown"):
        walk_list_create(
            campaign=campaign, name="Bad", criteria={"polling_districts": [otherton.polling_district.pk]}
        )


def test_a_3000_door_polling_district_is_split_into_packs(anytown):
    """(Its build time is measured by tests/perf/bench_canvass_sync.py.)"""
    campaign = campaign_with_survey(anytown.constituency)
    pd = anytown.polling_district
    month = timezone.localdate().replace(day=1)
    homes = Property.unscoped.bulk_create(
        Property(
            polling_district=pd,
            address_key=f"{n} LONG ROAD {s}|AN11AA",
            address=f"{n} Long Road {s}",
            street=f"Long Road {s}",
            house_number=n,
        )
        for s in range(30)
        for n in range(1, 101)
    )
    Elector.unscoped.bulk_create(
        Elector(
            polling_district=pd,
            home=home,
            elector_number=i + 1,
            elector_number_raw=f"AN1-{i + 1}",
            surname="Anytownson",
            first_seen_month=month,
            match_key=f"k{i}",
        )
        for i, home in enumerate(homes)
    )
    walk_list = walk_list_create(campaign=campaign, name="All of AN1", criteria={}, pack_size=40)
    assert walk_list.door_count == 3000
    assert PackDoor.objects.filter(pack__walk_list=walk_list).count() == 3000
    assert Pack.unscoped.filter(walk_list=walk_list).count() == 75


def test_a_score_range_picks_electors_by_the_model(anytown):
    from voters.models import ElectorScore, ModelVersion

    campaign = campaign_with_survey(anytown.constituency)
    homes = street(anytown.polling_district, "Score Street", [1, 3, 5])
    model = ModelVersion.unscoped.create(
        constituency=anytown.constituency, name="Support", score_names=["support"]
    )
    for home, value in zip(homes, [0.2, 0.5, 0.9], strict=True):
        ElectorScore.unscoped.create(
            model_version=model, elector=home.electors.get(), name="support", value=value
        )
    walk_list = walk_list_create(
        campaign=campaign,
        name="Persuadables",
        criteria={"score": {"model_version": model.pk, "name": "support", "min": 0.4, "max": 0.8}},
    )
    assert addresses(walk_list.packs.get()) == ["3 Score Street"]
