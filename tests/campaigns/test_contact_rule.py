"""The contact-frequency rule (voters.contact_rule) on the canvassing channels: walk lists and call
lists say how many it skipped, the next call closes off someone contacted since as skipped, a pack
printed or re-opened marks who was contacted since ("contacted recently, skip"), and a paper sheet
is keyed in whole all the same (the rule plans contact; it never refuses to record one)."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import packs
from campaigns.models import CallEntry, Pack, Visit
from campaigns.services import (
    call_claim_next,
    call_list_create,
    canvass_record_visit,
    walk_list_create,
)
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.campaigns.test_phone_bank import people_with_phones
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact, Elector
from voters.services import contact_record, contact_rule_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(anytown, client):
    user = anytown.user(Role.ORGANISER)
    client.force_login(user)
    return user


@pytest.fixture
def campaign(anytown):
    return campaign_with_survey(anytown.constituency)


def road(anytown, count, street="Anytown Road"):
    """One elector at each of `count` doors; returns the electors in door order."""
    electors = []
    for n in range(1, count + 1):
        home = PropertyFactory(
            polling_district=anytown.polling_district, street=street, house_number=n, address=f"{n} {street}"
        )
        electors.append(ElectorFactory(home=home, surname=f"Anytownson{n}"))
    return electors


def called(elector, user, days_ago=0):
    contact_record(
        elector=elector,
        channel="phone",
        user=user,
        at=timezone.now() - timedelta(days=days_ago),
        source="test",
    )


# --- Walk lists and call lists: the skipped count where the list is built -----------------------


def test_the_walk_list_page_says_how_many_the_rule_skipped(client, anytown, organiser, campaign):
    electors = road(anytown, 5)
    called(electors[0], organiser, days_ago=3)
    called(electors[1], organiser, days_ago=10)
    called(electors[2], organiser, days_ago=30)  # outside the default 14 days
    Elector.unscoped.filter(pk=electors[3].pk).update(do_not_contact=True)  # not the rule's: not counted
    response = client.post(
        reverse("campaigns:walklist_create", args=[campaign.pk]), {"name": "Road", "pack_size": 10}
    )
    walk_list = campaign.walk_lists.get()
    assert (walk_list.elector_count, walk_list.skipped_by_rule, walk_list.quiet_days) == (2, 2, 14)
    page = client.get(response.url).content.decode()
    assert "2 electors skipped: contacted in the last 14 days" in page


def test_the_walk_list_follows_the_clps_own_quiet_period(anytown, organiser, campaign):
    electors = road(anytown, 3)
    called(electors[0], organiser, days_ago=10)
    contact_rule_set(constituency=anytown.constituency, channel="door", quiet_days=7, user=organiser)
    walk_list = walk_list_create(campaign=campaign, name="Road", criteria={})
    assert (walk_list.elector_count, walk_list.skipped_by_rule, walk_list.quiet_days) == (3, 0, 7)


def test_the_call_list_page_says_how_many_the_rule_skipped(client, anytown, organiser, campaign):
    rested, fresh = people_with_phones(anytown, 2)
    called(rested, organiser, days_ago=2)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={}, user=organiser)
    assert {e.elector for e in call_list.entries.all()} == {fresh}
    assert (call_list.skipped_by_rule, call_list.quiet_days) == (1, 14)
    page = client.get(reverse("campaigns:calllist", args=[call_list.pk])).content.decode()
    assert "1 person skipped: contacted in the last 14 days" in page


def test_the_next_call_closes_off_someone_contacted_since_as_skipped(client, anytown, organiser, campaign):
    knocked, fresh = people_with_phones(anytown, 2)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    contact_record(elector=knocked, channel="door", user=organiser)
    assert call_claim_next(call_list=call_list, user=organiser).elector == fresh
    assert CallEntry.unscoped.get(elector=knocked).status == CallEntry.Status.SKIPPED
    page = client.get(reverse("campaigns:calllist", args=[call_list.pk])).content.decode()
    assert "1 skipped since (contacted recently)" in page


# --- Packs printed, re-opened or refreshed ------------------------------------------------------


@pytest.fixture
def printed(anytown, campaign):
    """A walk list built (and its pack printed) before anyone on it was contacted."""
    electors = road(anytown, 3)
    walk_list = walk_list_create(campaign=campaign, name="Road", criteria={})
    return Pack.unscoped.get(walk_list=walk_list), electors


def test_a_reprinted_pack_marks_a_door_contacted_since_printing(client, anytown, organiser, printed):
    pack, electors = printed
    page = client.get(reverse("campaigns:pack_print", args=[pack.pk])).content.decode()
    assert "contacted recently" not in page.lower()
    called(electors[1], organiser)  # a phone bank rang them after the sheet was printed
    page = client.get(reverse("campaigns:pack_print", args=[pack.pk])).content.decode()
    assert page.count("Contacted recently, skip") == 1  # the door
    assert f'{electors[1].full_name} <span class="skip">(contacted recently' in page
    assert "Anytownson1" in page and "Anytownson2" in page  # nobody is taken off the sheet


def test_a_pack_reopened_on_a_phone_marks_who_was_contacted_since(
    client, anytown, organiser, anytown_canvasser, printed
):
    pack, electors = printed
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    client.force_login(anytown_canvasser)
    data = client.get(reverse("campaigns:pack_data", args=[pack.pk])).json()
    assert not any(d["skip"] for d in data["doors"])
    called(electors[2], organiser)
    data = client.get(reverse("campaigns:pack_data", args=[pack.pk])).json()  # re-opened / refreshed
    skipped = {door["a"]: door["skip"] for door in data["doors"]}
    assert skipped == {
        "1 Anytown Road": "",
        "2 Anytown Road": "",
        "3 Anytown Road": "contacted recently, skip",
    }
    person = next(door["e"][0] for door in data["doors"] if door["a"] == "3 Anytown Road")
    assert person[0] == electors[2].pk and person[4] == f"{timezone.localtime():%-d %b}"


def test_doors_knocked_from_the_pack_itself_show_as_done_not_as_resting(
    anytown, anytown_canvasser, campaign, printed
):
    pack, electors = printed
    canvass_record_visit(canvasser=anytown_canvasser, campaign=campaign, elector=electors[0],
                         outcome="not_in", client_uuid=uuid.uuid4(), pack=pack)  # fmt: skip
    assert packs.pack_resting(pack, packs.pack_doors(pack)) == {}
    other = walk_list_create(campaign=campaign, name="Again", criteria={"streets": ["Anytown Road"]})
    assert electors[0].pk not in {  # ... while a list built now leaves them out
        e.pk for door in Pack.unscoped.get(walk_list=other).doors.all() for e in door.property.electors.all()
    }


def test_the_clps_quiet_period_decides_who_is_marked(anytown, organiser, printed):
    pack, electors = printed
    called(electors[0], organiser, days_ago=5)
    assert set(packs.pack_resting(pack, packs.pack_doors(pack))) == {electors[0].pk}
    contact_rule_set(constituency=anytown.constituency, channel="door", quiet_days=3, user=organiser)
    assert packs.pack_resting(pack, packs.pack_doors(pack)) == {}
    contact_rule_set(constituency=anytown.constituency, channel="door", quiet_days=0, user=organiser)
    called(electors[1], organiser)
    assert packs.pack_resting(pack, packs.pack_doors(pack)) == {}  # 0: the rule is off


# --- Paper entry: recording what happened is never refused ---------------------------------------


def test_a_sheet_printed_before_the_quiet_period_is_keyed_in_whole(
    client, anytown, organiser, anytown_canvasser, campaign, printed
):
    pack, electors = printed
    called(electors[0], organiser)  # rung after the sheet went out: inside the quiet period now
    url = reverse("campaigns:paper_entry", args=[campaign.pk])
    page = client.get(url, {"sheet": pack.sheet_id})
    assert "contacted since" in page.content.decode()  # the organiser sees why ...
    rows = {elector.pk: row_uuid for _, people in page.context["rows"] for elector, row_uuid, _ in people}
    form = {"sheet": pack.sheet_id, "canvasser": anytown_canvasser.pk, "knocked_on": timezone.localdate()}
    for elector in electors:
        form |= {
            f"uuid-{elector.pk}": str(rows[elector.pk]),
            f"out-{elector.pk}": "spoke",
            f"vi-{elector.pk}": "L",
        }
    client.post(url, form)
    # ... and every door on the sheet is recorded, the rested one too: it was knocked.
    assert set(Visit.unscoped.filter(pack=pack).values_list("elector", flat=True)) == {e.pk for e in electors}
    assert Contact.unscoped.filter(elector=electors[0], channel="door").exists()
