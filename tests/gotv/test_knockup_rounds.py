"""Knock-up rounds: built from the knock-up list by road group, packs read against who has voted
now, outcomes applied once with their effects, paper returns keyed in once, knock-up lists only
for TELL/CANVASS grant holders of the CLP."""

import json
import uuid

import pytest
from django.urls import reverse

from campaigns import packs
from campaigns.models import Campaign
from gotv import knockup
from gotv.models import KnockUpOutcome, LiftRequest, PromiseAdjustment, VoteRecord
from gotv.services import knock_up_outcome_record, knock_up_round_create, promise_adjust, telling_record
from labourhub.models import Role
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import BallotBoxFactory, canvassed, enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Channel, Elector
from voters.services import contact_record, contact_rule_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(anytown):
    day = polling_day(anytown, name="Anytown general election")
    day.election.campaign = Campaign.unscoped.create(
        constituency=anytown.constituency, name="Anytown polling day", starts_on=day.election.poll_date
    )
    day.election.save(update_fields=["campaign"])
    day.second = PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code="AN2")
    BallotBoxFactory(station=day.station, label="Box 2", districts=[day.second])  # run from no room
    day.people = {}
    for number, (street, code) in enumerate(
        [
            ("Mill Road", "L"),
            ("Mill Road", "L"),
            ("Mill Road", "T"),
            ("Church Lane", "L"),
            ("Church Lane", "L"),
        ],
        start=1,
    ):
        elector = _person(day, anytown.polling_district, number, street)
        canvassed(elector, code, campaign=day.election.campaign)
        day.people[number] = elector
    canvassed(
        _person(day, day.second, 1, "Far Lane"), "L", campaign=day.election.campaign
    )  # another room's box
    return day


def _person(day, district, number, street):
    home = PropertyFactory(polling_district=district, street=street, house_number=number,
                           address=f"{number} {street}, Anytown")  # fmt: skip
    elector = ElectorFactory(home=home, elector_number=number, surname=f"Anytownson{number}")
    enter(day.election.publication, elector)
    return elector


def _in_round(knock_up_round):
    pack_ids = knock_up_round.walk_list.packs.values("pk")
    return {
        e.pk
        for p in knock_up_round.walk_list.packs.all()
        for door in knockup.pack_doors_now(p, knock_up_round.committee_room.election)
        for e in door.electors
    } if pack_ids else set()  # fmt: skip


def _tell(day, anytown, elector):
    result = telling_record(teller=anytown.user(Role.TELLER), election=day.election, box=day.box,
                            raw_number=str(elector.elector_number), client_uuid=uuid.uuid4())  # fmt: skip
    assert result.status == "found", result.message


def test_a_round_is_the_rooms_knock_up_list_in_packs_stamped(anytown, day):
    _tell(day, anytown, day.people[1])
    promise_adjust(election=day.election, elector=day.people[4], kind=PromiseAdjustment.Kind.DO_NOT_RETURN,
                   user=anytown.user(Role.ORGANISER))  # fmt: skip
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    assert made.number == 1 and made.tellings_up_to is not None
    # voted, Tory, do-not-return and the other room's promise are not on it
    assert _in_round(made) == {day.people[2].pk, day.people[5].pk}
    assert made.walk_list.campaign == day.election.campaign
    assert all(p.sheet_id.startswith("K") for p in made.walk_list.packs.all())
    second = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    assert second.number == 2


def test_a_round_by_road_group(anytown, day):
    made = knock_up_round_create(
        committee_room=day.room, user=anytown.user(Role.ORGANISER), streets=["church lane"]
    )
    assert _in_round(made) == {day.people[4].pk, day.people[5].pk}
    with pytest.raises(Exception, match="not run from"):
        knock_up_round_create(
            committee_room=day.room, user=anytown.user(Role.ORGANISER), polling_districts=[day.second]
        )


def test_the_quiet_period_does_not_apply_on_polling_day(anytown, day):
    # Everyone was canvassed minutes ago (the fixture): the canvassing rule would rest them all ...
    assert not Elector.unscoped.filter(pk=day.people[2].pk).due_for(Channel.DOOR).exists()
    # ... but they are knocked up all the same.
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    assert day.people[2].pk in _in_round(made)


def test_knock_up_packs_ignore_the_contact_frequency_rule(client, anytown, day):
    """Polling day is exempt from the rule (voters.contact_rule): a knock-up pack neither leaves out
    nor marks "contacted recently, skip" a promise contacted since it was printed, on the knocker's
    page or on the campaigns pages that can show the same pack."""
    organiser = anytown.user(Role.ORGANISER)
    contact_rule_set(constituency=anytown.constituency, channel="door", quiet_days=60, user=organiser)
    made = knock_up_round_create(committee_room=day.room, user=organiser)
    pack = made.walk_list.packs.get()
    contact_record(elector=day.people[2], channel="phone", user=organiser)  # rung since it was printed
    assert Elector.unscoped.filter(pk=day.people[2].pk).due_for(Channel.DOOR).count() == 0  # rule: rest
    assert packs.pack_is_exempt(pack) and packs.pack_resting(pack, packs.pack_doors(pack)) == {}
    assert made.walk_list.skipped_by_rule == 0
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.get(reverse("gotv:knockup_pack", args=[pack.pk])).content.decode()
    assert "Anytownson2" in page and "contacted recently" not in page.lower()
    client.force_login(organiser)
    printed = client.get(reverse("campaigns:pack_print", args=[pack.pk])).content.decode()
    assert "Anytownson2" in printed and "contacted recently" not in printed.lower()


def test_a_refreshed_pack_drops_a_voter_told_meanwhile(client, anytown, day):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack = made.walk_list.packs.get()
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.get(reverse("gotv:knockup_pack", args=[pack.pk])).content.decode()
    assert "Anytownson2" in page and "Includes tellings up to" in page
    _tell(day, anytown, day.people[2])
    page = client.get(reverse("gotv:knockup_pack", args=[pack.pk])).content.decode()
    assert "Anytownson2" not in page and "Anytownson5" in page


def test_outcomes_have_their_effects_once(anytown, day):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    knocker = anytown.user(Role.CANVASSER)
    sent = uuid.uuid4()
    record = {"knocker": knocker, "knock_up_round": made, "elector": day.people[1]}
    record |= {"outcome": "voted", "client_uuid": sent}
    assert knock_up_outcome_record(**record).status == "recorded"
    assert knock_up_outcome_record(**record).status == "duplicate"
    assert knock_up_outcome_record(**(record | {"outcome": "not_in"})).status == "conflict"
    assert KnockUpOutcome.unscoped.filter(client_uuid=sent).count() == 1
    assert VoteRecord.unscoped.get(election=day.election, elector=day.people[1]).source == "knock_up"
    assert knock_up_outcome_record(knocker=knocker, knock_up_round=made, elector=day.people[2],
                                   outcome="wont_vote", client_uuid=uuid.uuid4()).status == "recorded"  # fmt: skip
    assert knock_up_outcome_record(knocker=knocker, knock_up_round=made, elector=day.people[5],
                                   outcome="needs_lift", client_uuid=uuid.uuid4()).status == "recorded"  # fmt: skip
    lift = LiftRequest.unscoped.get(elector=day.people[5])
    assert (lift.committee_room, lift.status, lift.address) == (day.room, "open", "5 Church Lane, Anytown")
    assert _in_round(made) == {day.people[4].pk, day.people[5].pk}  # voted and won't vote dropped
    outsider = knock_up_outcome_record(knocker=knocker, knock_up_round=made, elector=day.people[3],
                                       outcome="voted", client_uuid=uuid.uuid4())  # fmt: skip
    assert outsider.status == "refused" and "not on this round" in outsider.message


def test_the_phone_form_and_the_sync_apply_each_uuid_once(client, anytown, day):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack = made.walk_list.packs.get()
    client.force_login(anytown.user(Role.TELLER))
    sent = str(uuid.uuid4())
    form = {"elector": day.people[4].pk, "outcome": "not_in", "uuid": sent}
    for _ in range(2):
        assert client.post(reverse("gotv:knockup_outcome", args=[pack.pk]), form).status_code == 302
    items = [{"uuid": sent, "pack": pack.pk, "elector": day.people[4].pk, "outcome": "not_in"},
             {"uuid": str(uuid.uuid4()), "pack": pack.pk, "elector": day.people[5].pk, "outcome": "will_vote"},
             {"uuid": str(uuid.uuid4()), "pack": pack.pk, "elector": day.people[5].pk, "outcome": "maybe"}]  # fmt: skip
    response = client.post(
        reverse("gotv:knockup_sync"), json.dumps({"outcomes": items}), content_type="application/json"
    )
    assert [r["status"] for r in response.json()["results"]] == ["duplicate", "recorded", "refused"]
    assert "outcome: 'maybe'" in response.json()["results"][2]["message"]
    assert KnockUpOutcome.unscoped.filter(round=made).count() == 2
    bad = client.post(reverse("gotv:knockup_sync"), "not json", content_type="application/json")
    assert bad.status_code == 400 and "Send JSON" in bad.json()["error"]


def test_a_paper_sheet_keyed_in_twice_counts_once(client, anytown, day):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack = made.walk_list.packs.get()
    client.force_login(anytown.user(Role.ORGANISER))
    printed = client.get(reverse("gotv:knockup_pack_print", args=[pack.pk])).content.decode()
    assert pack.sheet_id in printed and "<svg" in printed and "Includes tellings up to" in printed
    url = reverse("gotv:knockup_paper", args=[day.election.pk, made.pk])
    data = {"sheet": pack.sheet_id.lower(), f"o{day.people[2].pk}": "voted", f"o{day.people[4].pk}": "not_in"}
    assert "2 recorded" in client.post(url, data).content.decode()
    assert "0 recorded, 2 already keyed in" in client.post(url, data).content.decode()
    assert KnockUpOutcome.unscoped.filter(round=made).count() == 2
    assert all(o.flags == ["paper"] for o in KnockUpOutcome.unscoped.filter(round=made))
    missing = client.get(url, {"sheet": "K999-01"})
    assert missing.status_code == 400 and b"K999-01 is not a sheet" in missing.content


@pytest.mark.parametrize("role", [Role.CASEWORKER])
def test_knock_up_lists_only_for_tell_or_canvass_holders(client, anytown, day, role):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack = made.walk_list.packs.get()
    client.force_login(anytown.user(role))
    assert client.get(reverse("gotv:knockup_pack", args=[pack.pk])).status_code == 404
    result = knock_up_outcome_record(knocker=anytown.user(role), knock_up_round=made, elector=day.people[2],
                                     outcome="voted", client_uuid=uuid.uuid4())  # fmt: skip
    assert result.status == "refused"


def test_another_clps_knockers_see_nothing(client, anytown, otherton, day):
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack = made.walk_list.packs.get()
    for role in (Role.CANVASSER, Role.TELLER, Role.ORGANISER):
        client.force_login(otherton.user(role))
        for url in (reverse("gotv:knockup_pack", args=[pack.pk]), reverse("gotv:knockup_pack_print", args=[pack.pk]),
                    reverse("gotv:knockup_round", args=[day.election.pk, made.pk]),
                    reverse("gotv:knockup_rounds", args=[day.election.pk, day.room.pk])):  # fmt: skip
            response = client.get(url)
            assert response.status_code == 404 and b"Anytown" not in response.content
        item = {"uuid": str(uuid.uuid4()), "pack": pack.pk, "elector": day.people[2].pk, "outcome": "voted"}
        response = client.post(reverse("gotv:knockup_sync"), json.dumps({"outcomes": [item]}),
                               content_type="application/json")  # fmt: skip
        assert response.json()["results"][0]["status"] == "refused"
    assert not KnockUpOutcome.unscoped.exists()


def test_the_organiser_builds_a_round_on_the_page(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:knockup_rounds", args=[day.election.pk, day.room.pk])
    response = client.post(url, {"streets": "Mill Road", "pack_size": "30"})
    assert response.status_code == 302
    made = day.room.rounds.get()
    assert _in_round(made) == {day.people[1].pk, day.people[2].pk}
    bad = client.post(url, {"pack_size": "lots"})
    assert bad.status_code == 400 and b"pack_size" in bad.content


def test_the_board_counts_rounds_and_knockers_out(anytown, day):
    from campaigns.services import pack_assign
    from gotv import board as boards
    from gotv.services import knock_up_round_close

    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    pack_assign(
        pack=made.walk_list.packs.get(),
        canvasser=anytown.user(Role.CANVASSER),
        user=anytown.user(Role.ORGANISER),
    )
    knock_up_outcome_record(knocker=anytown.user(Role.TELLER), knock_up_round=made, elector=day.people[1],
                            outcome="not_in", client_uuid=uuid.uuid4())  # fmt: skip
    line = boards.board(day.election, day.room).total
    assert (line.rounds_out, line.knockers_out) == (1, 2)  # the pack's holder and a teller who knocked
    knock_up_round_close(knock_up_round=made, user=anytown.user(Role.ORGANISER))
    line = boards.board(day.election, day.room).total
    assert (line.rounds_out, line.knockers_out) == (0, 0)


@pytest.mark.parametrize("extra", [0, 60])
def test_a_pack_reads_in_few_queries(client, anytown, day, django_assert_max_num_queries, extra):
    for number in range(100, 100 + extra):
        canvassed(
            _person(day, anytown.polling_district, number, "Mill Road"), "L", campaign=day.election.campaign
        )
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER), pack_size=300)
    pack = made.walk_list.packs.get()
    client.force_login(anytown.user(Role.CANVASSER))
    with django_assert_max_num_queries(11):
        page = client.get(reverse("gotv:knockup_pack", args=[pack.pk]))
    assert page.content.decode().count('class="knockup-person"') == 4 + extra
