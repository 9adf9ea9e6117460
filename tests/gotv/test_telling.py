"""Tellers' numbers: resolved against the election's register, stored once, "voted" once."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from gotv import offline
from gotv.models import OfflineFlag, Telling, TellingUndo, VoteRecord
from gotv.services import telling_record, telling_undo, vote_record_add
from labourhub.models import Grant, Role
from tests.factories import GrantFactory, PollingDistrictFactory, UserFactory
from tests.gotv.factories import (
    BallotBoxFactory,
    ElectionFactory,
    PollingStationFactory,
    RegisterPublicationFactory,
    enter,
    polling_day,
)
from tests.voters.factories import ElectorFactory, PropertyFactory


def _elector(clp, number, district=None, **fields):
    district = district or clp.polling_district
    return ElectorFactory(home=PropertyFactory(polling_district=district), elector_number=number, **fields)


def _tell(day, teller, raw, **extra):
    return telling_record(
        teller=teller,
        election=day.election,
        box=day.box,
        raw_number=raw,
        client_uuid=extra.pop("client_uuid", uuid.uuid4()),
        recorded_at=extra.pop("recorded_at", timezone.now()),
        **extra,
    )


@pytest.fixture
def teller(anytown):
    return anytown.user(Role.TELLER)


@pytest.mark.django_db
class TestRecording:
    def test_a_number_on_the_box_is_found_with_the_name(self, anytown, teller):
        elector = _elector(anytown, 888, first_names="Ada", surname="Lovelace")
        day = polling_day(anytown, electors=[elector])
        result = _tell(day, teller, "888")
        assert result.status == "found"
        assert result.name == "Ada Lovelace"
        telling = Telling.unscoped.get()
        assert (telling.elector, telling.raw_number, telling.teller) == (elector, "888", teller)
        record = VoteRecord.unscoped.get()
        assert (record.elector, record.source, record.telling) == (elector, "telling", telling)

    def test_the_poll_card_forms_all_find_the_elector(self, anytown, teller):
        elector = _elector(anytown, 888)
        elector.elector_suffix = 8
        elector.save(update_fields=["elector_suffix"])
        day = polling_day(anytown, electors=[elector])
        code = anytown.polling_district.code
        for typed in ("888/8", "888.8", f"{code}-888/8", f"{code.lower()} 888.8"):
            assert _tell(day, teller, typed).status in ("found", "already_told"), typed
        assert Telling.unscoped.filter(elector=elector).count() == 4
        assert VoteRecord.unscoped.filter(elector=elector).count() == 1

    def test_resolves_against_the_elections_register_not_todays(self, anytown, teller):
        """At the annual rollover numbers change: the election's publication decides."""
        moved = _elector(anytown, 5, surname="Oldfive")
        newcomer = _elector(anytown, 6, surname="Newfive")
        old = RegisterPublicationFactory(
            constituency=anytown.constituency, published_on=datetime.date(2024, 12, 1)
        )
        new = RegisterPublicationFactory(
            constituency=anytown.constituency, published_on=datetime.date(2025, 12, 1)
        )
        enter(old, moved, number=5)
        enter(old, newcomer, number=6)
        enter(new, moved, number=7)  # re-numbered
        enter(new, newcomer, number=5)  # today's 5 is someone else
        day = polling_day(anytown)
        day.election.publication = old
        day.election.save(update_fields=["publication"])
        assert _tell(day, teller, "5").name == moved.full_name
        assert _tell(day, teller, "7").status == "not_on_box"
        day.election.publication = new
        day.election.save(update_fields=["publication"])
        assert _tell(day, teller, "5").name == newcomer.full_name

    def test_the_same_entry_sent_again_is_stored_once(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 12)])
        key = uuid.uuid4()
        assert _tell(day, teller, "12", client_uuid=key).status == "found"
        again = _tell(day, teller, "12", client_uuid=key)
        assert again.status == "duplicate"
        assert again.stored
        assert Telling.unscoped.count() == 1

    def test_a_reused_entry_id_with_another_number_is_refused(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 12), _elector(anytown, 13)])
        key = uuid.uuid4()
        _tell(day, teller, "12", client_uuid=key)
        clash = _tell(day, teller, "13", client_uuid=key)
        assert clash.status == "conflict"
        assert Telling.unscoped.get().raw_number == "12"
        assert not VoteRecord.unscoped.filter(elector__elector_number=13).exists()

    def test_another_users_entry_id_reveals_nothing(self, anytown, otherton, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 12, surname="Anytownson")])
        key = uuid.uuid4()
        _tell(day, teller, "12", client_uuid=key)
        other_teller = otherton.user(Role.TELLER)
        replay = _tell(day, other_teller, "12", client_uuid=key)
        assert replay.status == "conflict"
        assert (replay.telling, replay.name) == (None, "")
        assert "Anytown" not in replay.message

    def test_two_tellers_one_number_make_one_voted_and_two_tellings(self, anytown, teller):
        elector = _elector(anytown, 40)
        day = polling_day(anytown, electors=[elector])
        other_teller = UserFactory(email="second.teller@anytown.example")
        GrantFactory(user=other_teller, role=Role.TELLER, constituency=anytown.constituency)
        assert _tell(day, teller, "40").status == "found"
        second = _tell(day, other_teller, "40")
        assert second.status == "already_told"
        assert "already told" in second.message
        assert Telling.unscoped.filter(elector=elector).count() == 2
        assert VoteRecord.unscoped.filter(elector=elector).count() == 1


@pytest.mark.django_db
class TestBadNumbers:
    def test_letters_in_a_number_write_nothing(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 88)])
        result = _tell(day, teller, "8a8")
        assert (result.status, result.stored) == ("invalid", False)
        assert "letters" in result.message
        assert not Telling.unscoped.exists() and not VoteRecord.unscoped.exists()

    def test_an_unknown_number_writes_nothing_and_says_so(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 88)])
        result = _tell(day, teller, "999")
        assert result.status == "not_on_box"
        assert "No 999 on this box's register" in result.message
        code = anytown.polling_district.code
        result = _tell(day, teller, f"{code}-999")
        assert result.status == "unknown"
        assert f"No {code}-999" in result.message
        assert _tell(day, teller, "ZZ9-1").status == "unknown"
        assert not Telling.unscoped.exists()

    def test_a_number_from_another_boxs_district_is_not_on_this_box(self, anytown, teller):
        other_district = PollingDistrictFactory(constituency=anytown.constituency, code="AN2")
        elsewhere = _elector(anytown, 50, district=other_district)
        day = polling_day(anytown, electors=[elsewhere])
        result = _tell(day, teller, "AN2-50")
        assert result.status == "not_on_box"
        assert "AN2" in result.message
        assert not Telling.unscoped.exists()

    def test_co_located_boxes_tell_for_the_whole_station(self, anytown, teller):
        other_district = PollingDistrictFactory(constituency=anytown.constituency, code="AN2")
        here, there = _elector(anytown, 50), _elector(anytown, 60, district=other_district)
        day = polling_day(anytown, electors=[here, there])
        BallotBoxFactory(station=day.station, label="Box 2", districts=[other_district], co_located=True)
        day.box.co_located = True
        day.box.save(update_fields=["co_located"])
        assert _tell(day, teller, "60").status == "found"
        assert Telling.unscoped.get().polling_district == other_district

    def test_a_number_in_two_of_the_boxs_districts_asks_for_the_district(self, anytown, teller):
        other_district = PollingDistrictFactory(constituency=anytown.constituency, code="AN2")
        a, b = _elector(anytown, 70), _elector(anytown, 70, district=other_district)
        day = polling_day(anytown, electors=[a, b])
        day.box.districts.create(polling_district=other_district)
        result = _tell(day, teller, "70")
        assert result.status == "ambiguous"
        assert "AN2-70" in result.message or f"{anytown.polling_district.code}-70" in result.message
        assert _tell(day, teller, "AN2-70").name == b.full_name

    def test_a_split_district_checks_the_number_range(self, anytown, teller):
        low, high = _elector(anytown, 100), _elector(anytown, 2000)
        day = polling_day(anytown, electors=[low, high])
        link = day.box.districts.get()
        link.first_number, link.last_number = 1, 1200
        link.save(update_fields=["first_number", "last_number"])
        assert _tell(day, teller, "100").status == "found"
        assert _tell(day, teller, "2000").status == "not_on_box"


@pytest.mark.django_db
class TestWhoMayTellAndWhen:
    def test_a_teller_of_another_clp_is_refused(self, anytown, otherton):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        result = _tell(day, otherton.user(Role.TELLER), "1")
        assert result.status == "refused"
        assert not Telling.unscoped.exists()

    def test_a_box_of_another_election_is_refused(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        other = ElectionFactory(constituency=anytown.constituency)
        box = BallotBoxFactory(
            station=PollingStationFactory(election=other), districts=[anytown.polling_district]
        )
        result = telling_record(
            teller=teller, election=day.election, box=box, raw_number="1", client_uuid=uuid.uuid4()
        )
        assert result.status == "refused"
        assert not Telling.unscoped.exists()

    def test_tellings_after_close_of_poll_and_grace_are_refused_with_the_reason(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        now = timezone.localtime()
        day.election.poll_date = (now - datetime.timedelta(days=1)).date()
        day.election.polls_open, day.election.polls_close = datetime.time(7), datetime.time(22)
        day.election.save(update_fields=["poll_date", "polls_open", "polls_close"])
        # Typed at 23:00 on poll day: after the close and its grace whatever the time the test runs.
        typed_at = timezone.make_aware(datetime.datetime.combine(day.election.poll_date, datetime.time(23)))
        result = _tell(day, teller, "1", recorded_at=typed_at)
        assert result.status == "refused"
        assert "polls closed at 22:00" in result.message and "until 22:30" in result.message
        assert not Telling.unscoped.exists()

    def test_a_telling_in_the_grace_period_typed_before_close_is_taken_and_flagged(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1), _elector(anytown, 2)])
        now = timezone.localtime()
        close = now - datetime.timedelta(minutes=10)
        day.election.poll_date = close.date()
        day.election.polls_open = datetime.time(0, 0)
        day.election.polls_close = close.time().replace(microsecond=0)
        day.election.save(update_fields=["poll_date", "polls_open", "polls_close"])
        if now.date() != close.date():
            pytest.skip("close of poll would fall on the previous day")
        early = _tell(day, teller, "1", recorded_at=close - datetime.timedelta(minutes=5))
        assert early.status == "found"
        assert OfflineFlag.LATE in early.flags
        after_close = _tell(day, teller, "2", recorded_at=now)
        assert after_close.status == "refused"
        assert "after the polls closed" in after_close.message

    def test_before_the_polls_open_nothing_is_taken(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        day.election.poll_date = timezone.localdate() + datetime.timedelta(days=1)
        day.election.save(update_fields=["poll_date"])
        result = _tell(day, teller, "1")
        assert result.status == "refused" and "open" in result.message

    def test_after_a_revoked_grant_only_pages_downloaded_before_count(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1), _elector(anytown, 2)])
        downloaded = timezone.now() - datetime.timedelta(minutes=30)
        token = offline.download_token_issue(user=teller, election=day.election, now=downloaded)
        Grant.objects.filter(user=teller).update(revoked_at=timezone.now() - datetime.timedelta(minutes=5))
        from_page = offline.download_time_read(token, user=teller, election=day.election)
        assert from_page == downloaded
        kept = _tell(day, teller, "1", downloaded_at=from_page, recorded_at=downloaded)
        assert kept.status == "found" and OfflineFlag.GRANT_ENDED in kept.flags
        assert _tell(day, teller, "2").status == "refused"  # no download time: the phone's word only
        late_page = offline.download_token_issue(user=teller, election=day.election)
        late = offline.download_time_read(late_page, user=teller, election=day.election)
        assert _tell(day, teller, "2", downloaded_at=late).status == "refused"

    def test_a_download_token_is_the_users_and_the_elections_only(self, anytown, otherton, teller):
        day = polling_day(anytown)
        token = offline.download_token_issue(user=teller, election=day.election)
        assert (
            offline.download_time_read(token, user=otherton.user(Role.TELLER), election=day.election) is None
        )
        assert offline.download_time_read(token + "x", user=teller, election=day.election) is None
        other = ElectionFactory(constituency=anytown.constituency)
        assert offline.download_time_read(token, user=teller, election=other) is None


@pytest.mark.django_db
class TestUndo:
    def test_an_undo_is_a_row_and_the_voter_is_no_longer_voted(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        told = _tell(day, teller, "1").telling
        result = telling_undo(telling=told, user=teller)
        assert result.status == "undone"
        assert Telling.unscoped.filter(pk=told.pk).exists()
        assert TellingUndo.unscoped.get().telling == told
        assert not VoteRecord.unscoped.exists()
        assert telling_undo(telling=told, user=teller).status == "already_undone"
        assert TellingUndo.unscoped.count() == 1

    def test_undoing_one_of_two_tellings_keeps_the_voter_voted(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        first = _tell(day, teller, "1").telling
        second = _tell(day, teller, "1").telling
        telling_undo(telling=first, user=teller)
        assert VoteRecord.unscoped.get().telling == second
        telling_undo(telling=second, user=teller)
        assert not VoteRecord.unscoped.exists()

    def test_a_doorstep_voted_survives_an_undone_telling(self, anytown, teller):
        elector = _elector(anytown, 1)
        day = polling_day(anytown, electors=[elector])
        assert vote_record_add(election=day.election, elector=elector, source=VoteRecord.Source.DOORSTEP)
        told = _tell(day, teller, "1")
        assert told.status == "already_told"
        telling_undo(telling=told.telling, user=teller)
        assert VoteRecord.unscoped.get().source == VoteRecord.Source.DOORSTEP

    def test_a_teller_undoes_only_their_last_five(self, anytown, teller):
        day = polling_day(anytown, electors=[_elector(anytown, n) for n in range(1, 8)])
        start = timezone.now() - datetime.timedelta(minutes=10)
        tellings = [
            _tell(day, teller, str(n), recorded_at=start + datetime.timedelta(minutes=n)).telling
            for n in range(1, 8)
        ]
        assert telling_undo(telling=tellings[0], user=teller).status == "refused"
        assert telling_undo(telling=tellings[2], user=teller).status == "undone"
        organiser = anytown.user(Role.ORGANISER)
        assert telling_undo(telling=tellings[0], user=organiser).status == "undone"

    def test_another_teller_cannot_undo_my_entry(self, anytown, teller, otherton):
        day = polling_day(anytown, electors=[_elector(anytown, 1)])
        told = _tell(day, teller, "1").telling
        assert telling_undo(telling=told, user=otherton.user(Role.CLP_SECRETARY)).status == "refused"
        assert not TellingUndo.unscoped.exists()


def test_one_batch_posted_three_times_at_once_is_stored_once(transactional_db, anytown, teller):
    """Three connections apply the same 20 entries concurrently: one row each, one voted each."""
    electors = [_elector(anytown, n) for n in range(1, 21)]
    day = polling_day(anytown, electors=electors)
    batch = [(str(n), uuid.uuid4()) for n in range(1, 21)]
    barrier = threading.Barrier(3)
    statuses, errors = [], []

    def send():
        try:
            barrier.wait()
            for raw, key in batch:
                statuses.append(_tell(day, teller, raw, client_uuid=key).status)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Telling.unscoped.count() == 20
    assert VoteRecord.unscoped.count() == 20
    assert sorted(set(statuses)) == ["duplicate", "found"]
    assert statuses.count("found") == 20


def test_two_tellers_typing_one_number_at_once_make_one_voted(transactional_db, anytown, teller):
    electors = [_elector(anytown, n) for n in range(1, 31)]
    day = polling_day(anytown, electors=electors)
    other_teller = UserFactory(email="second.teller@anytown.example")
    GrantFactory(user=other_teller, role=Role.TELLER, constituency=anytown.constituency)
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def send(user):
        try:
            barrier.wait()
            for n in range(1, 31):
                statuses.append(_tell(day, user, str(n)).status)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(user,)) for user in (teller, other_teller)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Telling.unscoped.count() == 60
    assert VoteRecord.unscoped.count() == 30
    assert statuses.count("found") == 30 and statuses.count("already_told") == 30


@pytest.mark.django_db
def test_a_register_update_after_polling_day_can_drop_a_told_entry(anytown, teller):
    """Monthly updates rewrite the latest publication's entries (voters' _sync_publication deletes
    those of electors who moved or left): a telling must not block that, and keeps what was told."""
    elector = _elector(anytown, 31)
    day = polling_day(anytown, electors=[elector])
    telling = _tell(day, teller, "31").telling
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM voters_registerentry WHERE elector_id = %s", [elector.pk])
    telling = Telling.unscoped.get(pk=telling.pk)
    assert (telling.elector, telling.polling_district, telling.elector_number) == (
        elector,
        anytown.polling_district,
        31,
    )
