"""Phone banks: only callable numbers, one caller per person (SKIP LOCKED), outcomes recorded like doors."""

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CallEntry, PhoneNumber, Visit
from campaigns.services import call_claim_next, call_list_create, call_record
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact


def people_with_phones(anytown, count, **phone_fields):
    electors = []
    for n in range(count):
        elector = ElectorFactory(
            home=PropertyFactory(polling_district=anytown.polling_district), surname=f"Anytownson{n}"
        )
        PhoneNumber.unscoped.create(elector=elector, number=f"0770090{n:04d}", **phone_fields)
        electors.append(elector)
    return electors


def test_only_callable_numbers_make_the_list(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    callable_ones = people_with_phones(anytown, 2)
    people_with_phones(anytown, 1, tps=True)
    ElectorFactory(home=PropertyFactory(polling_district=anytown.polling_district), surname="Anytownson")
    call_list = call_list_create(campaign=campaign, name="Evening calls", criteria={})
    assert {e.elector for e in call_list.entries.all()} == set(callable_ones)


def test_a_caller_is_not_given_someone_another_caller_holds(transactional_db, anytown):
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 3)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    first, second = call_list.entries.order_by("position")[:2]
    held, release = threading.Event(), threading.Event()

    def another_caller_mid_claim():
        try:
            with transaction.atomic():
                CallEntry.unscoped.select_for_update().get(pk=first.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=another_caller_mid_claim)
    thread.start()
    try:
        assert held.wait(10)
        got = call_claim_next(call_list=call_list, user=anytown.user(Role.CANVASSER))  # not blocked
        assert got.pk == second.pk
    finally:
        release.set()
        thread.join()


def test_many_callers_at_once_never_share_a_person(transactional_db, anytown):
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 12)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    callers = [anytown.user(role) for role in (Role.CANVASSER, Role.ORGANISER, Role.CLP_OFFICER, Role.ADMIN)]
    claimed, errors = [], []

    def call_three(caller):
        try:
            for _ in range(3):
                entry = call_claim_next(call_list=call_list, user=caller)
                claimed.append(entry.pk)
                call_record(entry=entry, user=caller, outcome="refused_call", client_uuid=uuid.uuid4())
        except Exception as error:  # reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=call_three, args=(caller,)) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(claimed) == 12 and len(set(claimed)) == 12
    assert call_claim_next(call_list=call_list, user=callers[0]) is None


def test_someone_contacted_since_the_list_was_made_is_skipped(anytown, anytown_canvasser):
    from voters.services import contact_record

    campaign = campaign_with_survey(anytown.constituency)
    knocked, fresh = people_with_phones(anytown, 2)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    contact_record(elector=knocked, channel="door", user=anytown_canvasser)
    assert call_claim_next(call_list=call_list, user=anytown_canvasser).elector == fresh


def test_no_answer_comes_back_later_and_a_call_back_is_a_follow_up(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    entry = call_claim_next(call_list=call_list, user=anytown_canvasser)
    call_record(entry=entry, user=anytown_canvasser, outcome="no_answer", client_uuid=uuid.uuid4())
    entry.refresh_from_db()
    assert entry.status == CallEntry.Status.WAITING and entry.call_back_at is not None
    assert call_claim_next(call_list=call_list, user=anytown_canvasser) is None  # not yet


def test_a_caller_records_a_call_from_the_page(client, anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    [elector] = people_with_phones(anytown, 1)
    call_list = call_list_create(
        campaign=campaign, name="Calls", criteria={}, script="Hello, I'm calling from Labour"
    )
    client.force_login(anytown_canvasser)
    response = client.post(reverse("campaigns:call_next", args=[call_list.pk]))
    entry = CallEntry.unscoped.get()
    assert response.url == reverse("campaigns:call", args=[entry.pk])
    page = client.get(response.url)
    assert b"07700900000" in page.content and b"calling from Labour" in page.content
    form = {
        "client_uuid": str(page.context["client_uuid"]),
        "outcome": "answered",
        "q-vi": "L",
        "q-vi-strength": "hard",
        "q-issues": ["nhs"],
        "notes": "Anytown: keen",
    }
    client.post(response.url, form)
    client.post(response.url, form)  # a double tap records once
    visit = Visit.unscoped.get()
    assert visit.channel == "phone" and visit.call_list == call_list
    assert Contact.unscoped.get(elector=elector).channel == "phone"
    assert CallEntry.unscoped.get().status == CallEntry.Status.DONE


@pytest.mark.parametrize("role", [Role.CANVASSER, Role.ORGANISER])
def test_only_the_caller_who_claimed_a_person_sees_them(client, anytown, role):
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    entry = call_claim_next(call_list=call_list, user=anytown.user(Role.CLP_OFFICER))
    client.force_login(anytown.user(role))
    assert client.get(reverse("campaigns:call", args=[entry.pk])).status_code == 404


def test_members_who_agreed_to_calls_are_on_the_list_with_their_number(anytown):
    from tests.members.factories import MemberFactory

    campaign = campaign_with_survey(anytown.constituency)
    home = PropertyFactory(polling_district=anytown.polling_district)
    keen, unasked, objector = (ElectorFactory(home=home, surname=f"Anytownson{n}") for n in range(3))
    MemberFactory(constituency=anytown.constituency, elector=keen, consent_phone=True, mobile="07700900555")
    MemberFactory(
        constituency=anytown.constituency, elector=unasked, consent_phone=False, mobile="07700900556"
    )
    MemberFactory(
        constituency=anytown.constituency, elector=objector, consent_phone=True, mobile="07700900557"
    )
    PhoneNumber.unscoped.create(elector=objector, number="07700900557", objected=True)
    call_list = call_list_create(campaign=campaign, name="Members", criteria={})
    [entry] = call_list.entries.select_related("phone")
    assert entry.elector == keen and entry.phone.number == "07700900555" and entry.phone.source == "member"


def test_a_call_back_time_is_local(client, anytown, anytown_canvasser):
    from campaigns.models import FollowUp

    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    client.force_login(anytown_canvasser)
    client.post(reverse("campaigns:call_next", args=[call_list.pk]))
    entry = CallEntry.unscoped.get(status=CallEntry.Status.CLAIMED)
    response = client.post(
        reverse("campaigns:call", args=[entry.pk]),
        {"client_uuid": str(uuid.uuid4()), "outcome": "call_back", "call_back_at": "2026-12-01T18:30"},
    )
    assert response.status_code == 302
    [follow_up] = FollowUp.unscoped.filter(kind="call_back")
    assert f"{timezone.localtime(follow_up.due_at):%H:%M}" == "18:30"


# --- Issue 14, items 7 and 12: the caller's way through a list ------------------------------------


@pytest.mark.parametrize("when", ["", "2026-13-45T99:00"])
def test_call_back_later_needs_a_time(client, anytown, anytown_canvasser, when):
    """ "Call back later" with no time (or one that is not a time) was accepted, and the person was
    rung again in an hour: now the caller is asked when, and nothing is recorded until they say."""
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    client.force_login(anytown_canvasser)
    client.post(reverse("campaigns:call_next", args=[call_list.pk]))
    entry = CallEntry.unscoped.get(status=CallEntry.Status.CLAIMED)
    response = client.post(
        reverse("campaigns:call", args=[entry.pk]),
        {"client_uuid": str(uuid.uuid4()), "outcome": "call_back", "call_back_at": when},
    )
    assert response.status_code == 200
    assert "Say when to call back" in response.text
    assert not Visit.unscoped.exists()
    assert CallEntry.unscoped.get().status == CallEntry.Status.CLAIMED


def test_call_back_later_needs_a_time_in_the_service_too(anytown, anytown_canvasser):
    from django.core.exceptions import ValidationError

    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    entry = call_claim_next(call_list=call_list, user=anytown_canvasser)
    with pytest.raises(ValidationError, match="call_back_at"):
        call_record(entry=entry, user=anytown_canvasser, outcome="call_back", client_uuid=uuid.uuid4())
    assert not Visit.unscoped.exists()


def test_saving_a_call_says_so_plainly_and_offers_the_next_person(client, anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 2)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    client.force_login(anytown_canvasser)
    first = client.post(reverse("campaigns:call_next", args=[call_list.pk]))
    page = client.get(first.url)
    assert 'name="then" value="next"' in page.text  # "Save and call the next person"
    response = client.post(
        first.url,
        {"client_uuid": str(uuid.uuid4()), "outcome": "no_answer", "then": "next"},
        follow=True,
    )
    second = CallEntry.unscoped.get(status=CallEntry.Status.CLAIMED, claimed_by=anytown_canvasser)
    assert response.redirect_chain[-1][0] == reverse("campaigns:call", args=[second.pk])
    assert second.pk != int(first.url.rstrip("/").split("/")[-1])
    text = response.text
    assert "Call recorded." in text and "(recorded)" not in text


def test_saving_a_call_and_stopping_goes_back_to_the_list(client, anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 2)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    client.force_login(anytown_canvasser)
    first = client.post(reverse("campaigns:call_next", args=[call_list.pk]))
    response = client.post(first.url, {"client_uuid": str(uuid.uuid4()), "outcome": "no_answer"})
    assert response.url == reverse("campaigns:calllist", args=[call_list.pk])
    assert not CallEntry.unscoped.filter(status=CallEntry.Status.CLAIMED).exists()


def test_a_phone_banker_finds_call_lists_on_the_canvassing_page(client, anytown, otherton, anytown_canvasser):
    mine = call_list_create(
        campaign=campaign_with_survey(anytown.constituency), name="Anytown calls", criteria={}
    )
    theirs = call_list_create(
        campaign=campaign_with_survey(otherton.constituency, name="Otherton campaign"),
        name="Otherton calls",
        criteria={},
    )
    client.force_login(anytown_canvasser)
    page = client.get(reverse("campaigns:index")).text
    assert reverse("campaigns:calllist", args=[mine.pk]) in page
    assert reverse("campaigns:calllist", args=[theirs.pk]) not in page and "Otherton calls" not in page
