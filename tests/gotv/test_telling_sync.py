"""The teller's sync endpoint: what a phone's queued numbers, undos and counts do on the server."""

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from gotv import offline
from gotv.models import BoxTurnoutCount, Election, Telling, TellingUndo, VoteRecord, WarpCount
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from tests.gotv.factories import enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db
SYNC = "/polling-day/telling/sync/"


def _elector(clp, number, **fields):
    return ElectorFactory(
        home=PropertyFactory(polling_district=clp.polling_district), elector_number=number, **fields
    )


@pytest.fixture
def day(anytown):
    electors = [
        _elector(anytown, 101, first_names="Ada", surname="Anytownson"),
        _elector(anytown, 102, first_names="Ben", surname="Bloggs"),
        _elector(anytown, 103, first_names="Cy", surname="Cole"),
    ]
    return polling_day(anytown, electors=electors)


@pytest.fixture
def teller(anytown):
    return anytown.user(Role.TELLER)


def telling(day, number, user=None, **extra):
    entry = {
        "uuid": str(uuid.uuid4()),
        "kind": "telling",
        "election": day.election.pk,
        "box": day.box.pk,
        "number": number,
        "recorded_at": timezone.now().isoformat(),
    }
    if user is not None:
        entry["download"] = offline.download_token_issue(user=user, election=day.election)
    entry.update(extra)
    return entry


def post(client, entries):
    response = client.post(SYNC, json.dumps({"entries": entries}), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_number_is_found_with_the_name_and_told_once(client, day, teller):
    client.force_login(teller)
    [result] = post(client, [telling(day, "101")])
    assert (result["status"], result["final"], result["name"]) == ("found", True, "Ada Anytownson")
    assert Telling.unscoped.get().raw_number == "101"
    assert VoteRecord.unscoped.get().elector.surname == "Anytownson"
    assert AuditEvent.objects.filter(action="telling.sync", user=teller).exists()


def test_a_batch_of_one_is_audited_by_its_telling_statement_as_audit_record_would(client, day, teller):
    """found and already_told: the telling statement writes the batch's audit row; a duplicate:
    audit_record after it. The rows say the same apart from the outcome and the request."""
    client.force_login(teller)
    first, again = telling(day, "101"), telling(day, "101")
    assert [r["status"] for r in post(client, [first]) + post(client, [again]) + post(client, [first])] == [
        "found",
        "already_told",
        "duplicate",
    ]
    columns = ("action", "user", "object_type", "object_id", "constituency", "region", "ip_address")
    rows = list(AuditEvent.objects.filter(action="telling.sync").order_by("pk").values(*columns, "detail"))
    constituency = day.election.constituency
    same = ("telling.sync", teller.pk, "", "", constituency.pk, constituency.region_id, "127.0.0.1")
    assert [tuple(row[c] for c in columns) for row in rows] == [same] * 3
    assert [row["detail"] for row in rows] == [{"found": 1}, {"already_told": 1}, {"duplicate": 1}]
    request_ids = AuditEvent.objects.filter(action="telling.sync").values_list("request_id", flat=True)
    assert len(set(request_ids)) == 3 and all(request_ids)


def test_the_same_batch_sent_again_is_applied_once(client, day, teller):
    client.force_login(teller)
    batch = [telling(day, "101"), telling(day, "102")]
    assert [r["status"] for r in post(client, batch)] == ["found", "found"]
    assert [r["status"] for r in post(client, batch)] == ["duplicate", "duplicate"]
    assert Telling.unscoped.count() == 2
    assert VoteRecord.unscoped.count() == 2


def test_letters_in_a_number_are_refused_with_the_reason_and_nothing_written(client, day, teller):
    client.force_login(teller)
    [result] = post(client, [telling(day, "1O1")])
    assert result["status"] == "invalid" and result["final"]
    assert "letters in the number" in result["message"]
    assert not Telling.unscoped.exists() and not VoteRecord.unscoped.exists()


def test_an_unknown_number_is_refused_with_the_reason_and_nothing_written(client, day, teller):
    client.force_login(teller)
    [result] = post(client, [telling(day, "999")])
    assert result["status"] == "not_on_box"
    assert "No 999 on this box's register" in result["message"]
    [result] = post(client, [telling(day, "ZZ9-101")])
    assert result["status"] == "unknown"
    assert "no polling district ZZ9" in result["message"]
    assert not Telling.unscoped.exists() and not VoteRecord.unscoped.exists()


def test_malformed_entries_get_a_clear_answer_never_a_500(client, day, teller):
    client.force_login(teller)
    results = post(
        client,
        [
            "not an object",
            {"kind": "vote twice"},
            telling(day, "101", uuid="not-a-uuid"),
            telling(day, 101),
            telling(day, "101", box="one"),
            {"kind": "turnout", "uuid": str(uuid.uuid4()), "election": day.election.pk, "box": day.box.pk},
        ],
    )
    assert [r["status"] for r in results] == ["invalid"] * 6
    assert "not an object" in results[0]["message"]
    assert "kind 'vote twice'" in results[1]["message"]
    assert "not a UUID" in results[2]["message"]
    assert "number must be text" in results[3]["message"]
    assert "box must be a number" in results[4]["message"]
    assert "ballots_issued must be a number" in results[5]["message"]
    assert not Telling.unscoped.exists()
    for body in (b"{", b'{"entries": 3}', json.dumps({"entries": [{}] * 201}).encode()):
        response = client.post(SYNC, body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]


def test_signed_out_phones_are_told_to_sign_in(client, day):
    response = client.post(
        SYNC, json.dumps({"entries": [telling(day, "101")]}), content_type="application/json"
    )
    assert response.status_code == 401
    assert not Telling.unscoped.exists()


def test_two_tellers_at_one_box_make_two_tellings_and_one_voted(client, anytown, day, teller):
    client.force_login(teller)
    assert post(client, [telling(day, "102")])[0]["status"] == "found"
    client.force_login(anytown.user(Role.ORGANISER))  # organisers tell too
    [second] = post(client, [telling(day, "102")])
    assert second["status"] == "already_told"
    assert "already told" in second["message"]
    assert Telling.unscoped.count() == 2
    assert VoteRecord.unscoped.count() == 1


def test_undo_through_the_queue_keeps_the_row_and_unmarks_the_voter(client, day, teller):
    client.force_login(teller)
    told = telling(day, "103")
    undo = {"uuid": str(uuid.uuid4()), "kind": "undo", "election": day.election.pk, "target": told["uuid"]}
    results = post(client, [told, undo])
    assert [r["status"] for r in results] == ["found", "undone"]
    assert Telling.unscoped.count() == 1  # an undo is a row, never a delete
    assert TellingUndo.unscoped.get().telling.raw_number == "103"
    assert not VoteRecord.unscoped.exists()
    assert post(client, [undo])[0]["status"] == "already_undone"


def test_an_undo_before_its_telling_arrives_waits(client, day, teller):
    client.force_login(teller)
    undo = {
        "uuid": str(uuid.uuid4()),
        "kind": "undo",
        "election": day.election.pk,
        "target": str(uuid.uuid4()),
    }
    [result] = post(client, [undo])
    assert (result["status"], result["final"]) == ("wait", False)
    assert not TellingUndo.unscoped.exists()


def test_only_the_last_five_entries_can_be_undone(client, day, teller, anytown):
    client.force_login(teller)
    for number in range(201, 207):
        enter(day.election.publication, _elector(anytown, number))
    base = timezone.now() - datetime.timedelta(minutes=10)
    entries = [
        telling(day, str(n), recorded_at=(base + datetime.timedelta(minutes=i)).isoformat())
        for i, n in enumerate(range(201, 207))
    ]
    post(client, entries)
    undo = {
        "uuid": str(uuid.uuid4()),
        "kind": "undo",
        "election": day.election.pk,
        "target": entries[0]["uuid"],
    }
    [result] = post(client, [undo])
    assert result["status"] == "refused"
    assert "last 5 entries" in result["message"]
    assert VoteRecord.unscoped.count() == 6


def test_after_close_of_poll_and_grace_tellings_are_refused_with_the_reason(client, day, teller):
    now = timezone.localtime()
    Election.unscoped.filter(pk=day.election.pk).update(
        poll_date=now.date() - datetime.timedelta(days=1),
        polls_open=datetime.time(7, 0),
        polls_close=datetime.time(22, 0),
        late_grace_minutes=30,
    )
    client.force_login(teller)
    [result] = post(client, [telling(day, "101")])
    assert result["status"] == "refused" and result["final"]
    assert "The polls closed at 22:00; tellings were taken until 22:30" in result["message"]
    assert not Telling.unscoped.exists()


def test_within_the_grace_period_a_telling_made_before_the_close_is_kept_flagged_late(client, day, teller):
    now = timezone.localtime()
    closed = now - datetime.timedelta(minutes=10)
    Election.unscoped.filter(pk=day.election.pk).update(
        polls_open=datetime.time(0, 0), polls_close=closed.time(), late_grace_minutes=30
    )
    if closed.date() != now.date():
        pytest.skip("the close of poll would fall on yesterday (test run just after midnight)")
    client.force_login(teller)
    entry = telling(day, "101", recorded_at=(closed - datetime.timedelta(minutes=5)).isoformat())
    [result] = post(client, [entry])
    assert result["status"] == "found"
    assert "late" in Telling.unscoped.get().flags
    [after] = post(client, [telling(day, "102", recorded_at=now.isoformat())])
    assert after["status"] == "refused" and "after the polls closed" in after["message"]


def test_a_teller_whose_grant_ended_is_let_in_only_with_a_page_served_before(client, day, teller):
    token = offline.download_token_issue(user=teller, election=day.election)  # page loaded while a teller
    grant_revoke(grant=Grant.objects.get(user=teller), revoked_by=None, reason="Went home")
    client.force_login(teller)
    [kept] = post(client, [telling(day, "101", download=token)])
    assert kept["status"] == "found"
    assert Telling.unscoped.get().flags == ["grant_ended"]
    [refused] = post(client, [telling(day, "102", user=teller)])  # a page served after the end
    assert refused["status"] == "refused"
    [forged] = post(client, [telling(day, "103", download="made-up")])
    assert forged["status"] == "refused"
    assert Telling.unscoped.count() == 1


def test_a_teller_revoked_between_two_requests_is_refused_on_the_next(client, day, teller):
    """The scoping SQL is compiled once per process and the statements prepared per connection
    (labourhub.scoping_sql, gotv.telling_sql): neither may keep an answer from the last request."""
    client.force_login(teller)
    [first] = post(client, [telling(day, "101")])
    assert first["status"] == "found"
    grant_revoke(grant=Grant.objects.get(user=teller), revoked_by=None, reason="Went home")
    [after] = post(client, [telling(day, "102")])
    assert after["status"] == "refused" and after["final"]
    assert Telling.unscoped.count() == 1


def test_a_teller_of_another_clp_can_neither_tell_nor_read(client, otherton, day):
    client.force_login(otherton.user(Role.TELLER))
    entries = [
        telling(day, "101"),
        {"uuid": str(uuid.uuid4()), "kind": "turnout", "election": day.election.pk, "box": day.box.pk,
         "ballots_issued": 5},
    ]  # fmt: skip
    results = post(client, entries)
    assert [r["status"] for r in results] == ["refused", "refused"]
    body = json.dumps(results)
    assert "Anytown" not in body and "Ada" not in body
    assert not Telling.unscoped.exists() and not BoxTurnoutCount.unscoped.exists()
    box = reverse("gotv:telling_box", args=[day.election.pk, day.box.pk])
    assert client.get(box).status_code == 404
    assert (
        client.get(reverse("gotv:telling_search", args=[day.election.pk, day.box.pk]) + "?q=Ada").status_code
        == 404
    )
    assert "Anytown" not in client.get(reverse("gotv:telling_home")).content.decode()


def test_a_box_of_another_election_is_refused(client, anytown, day, teller):
    other = polling_day(anytown, name="Anytown by-election")
    client.force_login(teller)
    [result] = post(client, [telling(day, "101", box=other.box.pk)])
    assert result["status"] == "refused"
    assert f"Box {other.box.pk} is not a box of" in result["message"]
    assert not Telling.unscoped.exists()


def test_turnout_counts_are_snapshots_the_latest_wins_and_history_is_kept(client, day, teller):
    client.force_login(teller)
    base = timezone.now() - datetime.timedelta(hours=2)

    def count(n, minutes):
        return {"uuid": str(uuid.uuid4()), "kind": "turnout", "election": day.election.pk, "box": day.box.pk,
                "ballots_issued": n, "recorded_at": (base + datetime.timedelta(minutes=minutes)).isoformat()}  # fmt: skip

    first, second = count(120, 0), count(250, 60)
    assert [r["status"] for r in post(client, [second, first, second])] == [
        "recorded",
        "recorded",
        "duplicate",
    ]
    latest = BoxTurnoutCount.unscoped.filter(box=day.box).order_by("-as_of").first()
    assert latest.ballots_issued == 250
    assert BoxTurnoutCount.unscoped.count() == 2
    [bad] = post(client, [count(-3, 0)])
    assert bad["status"] == "invalid" and "ballots_issued" in bad["message"]


def test_warp_counts_add_up_and_an_organiser_marks_one_invalid(client, anytown, day, teller):
    client.force_login(teller)

    def warp(votes, **who):
        return {"uuid": str(uuid.uuid4()), "kind": "warp", "election": day.election.pk, "box": day.box.pk,
                "votes": votes, **who}  # fmt: skip

    results = post(client, [warp(40, party="L"), warp(25, party="L"), warp(9, label="Anytown Independent")])
    assert [r["status"] for r in results] == ["recorded"] * 3
    [bad] = post(client, [warp(3, party="NOPE")])
    assert bad["status"] == "invalid" and "'NOPE' is not a party code" in bad["message"]
    wrong = WarpCount.unscoped.get(votes=25)

    page = reverse("gotv:telling_counts", args=[day.election.pk])
    assert client.get(page).status_code == 404  # tellers enter counts; organisers check them
    assert client.post(reverse("gotv:warp_invalidate", args=[wrong.pk]), {"reason": "x"}).status_code == 404

    client.force_login(anytown.user(Role.ORGANISER))
    response = client.post(reverse("gotv:warp_invalidate", args=[wrong.pk]), {"reason": ""}, follow=True)
    assert "say why this count is wrong" in response.content.decode()
    client.post(reverse("gotv:warp_invalidate", args=[wrong.pk]), {"reason": "Counted twice"})
    wrong.refresh_from_db()
    assert wrong.invalid and wrong.invalid_reason == "Counted twice"
    assert WarpCount.unscoped.count() == 3  # marked, never deleted
    response = client.get(page)
    assert response.context["boxes"][0]["warp_total"] == 49
    assert "Counted twice" in response.content.decode()
