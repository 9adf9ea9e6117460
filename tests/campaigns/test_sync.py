"""The sync endpoint's contract: each client UUID applied once, clear per-item results, never a 500."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import FollowUp, LatestIntention, SyncProblem, Visit
from labourhub.models import Grant
from labourhub.services import grant_revoke
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact


@pytest.fixture
def door(anytown, anytown_canvasser):
    """A campaign, a pack of three doors in Anytown with one elector each, given to the canvasser."""
    campaign = campaign_with_survey(anytown.constituency)
    homes = [PropertyFactory(polling_district=anytown.polling_district) for _ in range(3)]
    electors = [ElectorFactory(home=home, surname="Anytownson") for home in homes]
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    return {
        "campaign": campaign,
        "pack": pack,
        "electors": electors,
        "version": campaign.current_survey_version(),
    }


def item(door, who=None, **overrides):
    payload = {
        "uuid": str(uuid.uuid4()),
        "pack": door["pack"].pk,
        "elector": (who or door["electors"][0]).pk,
        "survey_version": door["version"].pk,
        "outcome": "spoke",
        "answers": {"vi": {"code": "L", "strength": "soft"}, "issues": ["housing"], "postal": True},
        "notes": "Dog in garden",
        "recorded_at": timezone.now().isoformat(),
    }
    payload.update(overrides)
    return payload


def sync(client, *items):
    response = client.post(
        reverse("campaigns:sync"), json.dumps({"answers": list(items)}), content_type="application/json"
    )
    return response


def test_a_visit_is_recorded_with_its_answers_contact_and_follow_up(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    sent = item(door)
    response = sync(client, sent)
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "recorded", result
    visit = Visit.unscoped.get(client_uuid=sent["uuid"])
    assert visit.contact.channel == "door" and visit.contact.outcome == "Spoke"
    assert Contact.unscoped.filter(elector=door["electors"][0]).count() == 1
    latest = LatestIntention.unscoped.get(elector=door["electors"][0])
    assert latest.display == "L soft"
    assert list(visit.issues.values_list("issue__code", flat=True)) == ["housing"]
    assert FollowUp.unscoped.get(visit=visit).kind == FollowUp.Kind.POSTAL_VOTE


def test_a_repeated_uuid_is_acknowledged_not_duplicated(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    sent = item(door)
    sync(client, sent)
    [again] = sync(client, sent).json()["results"]
    assert again["status"] == "duplicate"
    assert Visit.unscoped.count() == 1 and Contact.unscoped.count() == 1


def test_a_conflicting_repeat_is_refused_and_logged(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    sent = item(door)
    sync(client, sent)
    [again] = sync(client, {**sent, "answers": {"vi": "T"}}).json()["results"]
    assert again["status"] == "conflict"
    assert Visit.unscoped.get().answers.get(question__key="vi").intention.code == "L"
    assert SyncProblem.unscoped.get().kind == SyncProblem.Kind.CONFLICT


def test_one_bad_item_does_not_stop_the_others(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    good = item(door)
    bad = item(door, answers={"vi": "ZZZ"})
    results = sync(client, bad, good).json()["results"]
    assert [r["status"] for r in results] == ["refused", "recorded"]
    assert "'ZZZ' is not a voting-intention code" in results[0]["message"]
    assert SyncProblem.unscoped.get().payload["answers"] == {"vi": "ZZZ"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"uuid": "not-a-uuid"}, "is not a UUID"),
        ({"survey_version": 999999}, "survey version 999999 does not exist"),
        ({"outcome": "exploded"}, "outcome 'exploded'"),
        ({"answers": {"labour-0-10": 11}}, "0 to 10"),
        ({"outcome": "not_in"}, "nobody answered"),
        ({"pack": 999999}, "not open to you"),
        ({"elector": "seven"}, "elector must be a number"),
    ],
)
def test_bad_items_get_a_clear_refusal(client, anytown_canvasser, door, overrides, message):
    client.force_login(anytown_canvasser)
    [result] = sync(client, item(door, **overrides)).json()["results"]
    assert result["status"] == "refused"
    assert message in result["message"]
    assert not Visit.unscoped.exists()


def test_an_elector_outside_the_pack_is_refused(client, anytown, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    stranger = ElectorFactory(home=PropertyFactory(polling_district=anytown.polling_district))
    [result] = sync(client, item(door, who=stranger)).json()["results"]
    assert result["status"] == "refused"
    assert f"elector {stranger.pk} is not on pack" in result["message"]


def test_another_clps_canvasser_cannot_sync_into_a_pack(client, otherton, door):
    client.force_login(otherton.user("canvasser"))
    [result] = sync(client, item(door)).json()["results"]
    assert result == {**result, "status": "refused", "message": f"pack {door['pack'].pk} is not open to you."}


def test_a_skewed_clock_is_flagged_and_server_time_is_used(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    days_ago = (timezone.now() - timedelta(days=9)).isoformat()
    [result] = sync(client, item(door, recorded_at=days_ago)).json()["results"]
    assert result["status"] == "recorded" and result["flags"] == ["clock_skew"]
    visit = Visit.unscoped.get()
    assert abs((visit.contact.at - timezone.now()).total_seconds()) < 60


def test_visits_recorded_before_a_revocation_are_accepted_and_flagged(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    token = client.get(reverse("campaigns:pack_data", args=[door["pack"].pk])).json()["token"]
    recorded = timezone.now() - timedelta(seconds=1)
    grant_revoke(grant=Grant.objects.get(user=anytown_canvasser), revoked_by=None)
    before = item(door, recorded_at=recorded.isoformat(), download=token)
    after = item(door, who=door["electors"][1])
    results = sync(client, before, after).json()["results"]
    assert [r["status"] for r in results] == ["recorded", "refused"]
    assert results[0]["flags"] == ["grant_ended"]


def test_an_enormous_note_is_cut_on_the_visit_and_kept_in_full(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    note = "x" * 50_000
    [result] = sync(client, item(door, notes=note)).json()["results"]
    assert result["status"] == "recorded" and "note_truncated" in result["flags"]
    assert len(Visit.unscoped.get().notes) == 4000
    assert SyncProblem.unscoped.get(kind="truncated").payload["notes"] == note


@pytest.mark.parametrize(
    "body, status",
    [("not json", 400), ('{"answers": 5}', 400), ('{"answers": [' + "{}," * 300 + "{}]}", 400)],
)
def test_malformed_batches_get_a_clear_error_not_a_500(client, anytown_canvasser, body, status):
    client.force_login(anytown_canvasser)
    response = client.post(reverse("campaigns:sync"), body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["error"]


def test_signed_out_phones_are_told_to_sign_in(client):
    response = sync(client)
    assert response.status_code == 401


def test_the_same_uuid_twice_in_one_batch_is_recorded_once(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    sent = item(door)
    results = sync(client, sent, sent).json()["results"]
    assert [r["status"] for r in results] == ["recorded", "duplicate"]
    assert Visit.unscoped.count() == 1


def test_a_batch_costs_the_same_few_statements_whatever_its_size(client, anytown_canvasser, door):
    """Each visit, its contact and its elector's last contact are written by one statement for the
    whole batch (campaigns/recording_sql.py; was four more statements per answer)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(anytown_canvasser)
    sync(client, item(door))  # warm: the session's and the page's one-off reads
    counts = []
    for size in (1, 30):
        answers = [item(door, who=door["electors"][n % 3]) for n in range(size)]
        with CaptureQueriesContext(connection) as queries:
            results = sync(client, *answers).json()["results"]
        assert [r["status"] for r in results] == ["recorded"] * size
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 18, counts


def test_two_phones_sending_the_same_uuid_at_once_make_one_visit(
    transactional_db, anytown, anytown_canvasser
):
    import threading

    from django.db import connection

    from campaigns.sync import sync_batch

    campaign = campaign_with_survey(anytown.constituency)
    home = PropertyFactory(polling_district=anytown.polling_district)
    elector = ElectorFactory(home=home, surname="Anytownson")
    pack = pack_with_doors(campaign, [home])
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    door = {"pack": pack, "electors": [elector], "version": campaign.current_survey_version()}
    batch = [item(door) for _ in range(5)]
    statuses, start = [], threading.Barrier(2)

    def phone():
        try:
            start.wait(5)
            statuses.extend(r["status"] for r in sync_batch(user=anytown_canvasser, items=batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=phone) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == ["duplicate"] * 5 + ["recorded"] * 5
    assert Visit.unscoped.count() == 5 and Contact.unscoped.count() == 5


def test_answers_to_an_older_survey_version_keep_their_own_questions(client, anytown_canvasser, door):
    from campaigns.services import survey_revise, survey_spec

    old = door["version"]
    spec = [q for q in survey_spec(old) if q["key"] != "postal"]
    spec[0]["text"] = "Who gets your vote on 7 May?"
    survey_revise(survey=old.survey, questions=spec, note="No postal question")
    client.force_login(anytown_canvasser)
    [result] = sync(client, item(door)).json()["results"]  # a phone still holding version 1
    assert result["status"] == "recorded"
    answers = Visit.unscoped.get().answers.select_related("question")
    assert {a.question.version_id for a in answers} == {old.pk}
    assert answers.get(question__key="vi").question.text == "How will you vote?"


def test_a_body_over_the_upload_limit_is_a_clear_413(client, anytown_canvasser, door, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(anytown_canvasser)
    response = sync(client, item(door, notes="x" * 20_000))
    assert response.status_code == 413 and "too big" in response.json()["error"]


def test_the_door_list_shows_who_else_knocked_today(client, anytown, anytown_canvasser, door):
    from labourhub.models import Role

    organiser = anytown.user(Role.ORGANISER)
    client.force_login(organiser)
    sync(client, item(door))
    url = reverse("campaigns:pack_today", args=[door["pack"].pk])
    home = str(door["electors"][0].home_id)
    # My own knocks are there as mine (so a second phone shows them done), never as someone else's.
    mine = client.get(url).json()["doors"]
    assert list(mine) == [home] and "by" not in mine[home] and re.fullmatch(r"\d\d:\d\d", mine[home]["mine"])
    client.force_login(anytown_canvasser)
    knocked = client.get(url).json()["doors"]
    assert list(knocked) == [home] and "mine" not in knocked[home]
    assert knocked[home]["by"] == organiser.full_name.split()[0]
