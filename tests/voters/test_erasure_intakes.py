"""Erasure that sticks (issue 16, item 3): after a person is erased, a register re-import, a member
import, a canvass sync, a phone bank outcome, a write through the shared visit service (the API's
way in), an event sign-up or walk-in and `reapply_suppressions` after a restore each catch them, say
how many they caught, and none brings their data back. And `erase_elector`'s output and
exit codes."""

import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns import events_services
from campaigns.events_privacy import SIGNUP_CAUGHT_ACTION
from campaigns.models import CallEntry, EventContact, EventMessage, PhoneNumber, Signup, Visit
from campaigns.services import (
    SyncStatus,
    VisitInput,
    call_claim_next,
    call_list_create,
    call_record,
    canvass_record_visits,
)
from labourhub.models import AuditEvent, Role
from labourhub.privacy import ERASE_ACTION, Person, person_erase
from members.models import Member
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.members.factories import MemberFactory
from tests.voters.factories import ContactFactory
from voters.models import Contact, Elector, Suppression
from voters.register_files import synthetic_people, write_register

MEMBER_HEADER = "Membership Number,Forename,Surname,Email,Postcode,Status,Joined,Branch,Email Opt-in\r\n"


@pytest.fixture
def register(tmp_path, anytown, run_import):
    people = list(synthetic_people(12, pds=[anytown.polling_district.code], town="Anytown"))
    path = write_register(tmp_path / "register.csv", people)
    run_import(path, anytown.constituency)
    return path


@pytest.fixture
def jane(anytown, register):
    """One elector of the imported register, with contacts, a phone and a member record."""
    elector = Elector.unscoped.filter(polling_district__constituency=anytown.constituency).order_by("pk")[3]
    ContactFactory(elector=elector, channel="door", notes="Keen on the new library")
    PhoneNumber.unscoped.create(elector=elector, number="07700900123")
    MemberFactory(constituency=anytown.constituency, membership_number="A777777", elector=elector)
    return elector


def _erase(anytown, jane):
    dpl = anytown.user(Role.DATA_PROTECTION_LEAD)
    return person_erase(
        person=Person(anytown.constituency, frozenset({jane.pk})), user=dpl, reason="SAR-2026-04"
    )


def test_a_register_re_import_catches_them_and_brings_nothing_back(anytown, jane, register, run_import):
    _erase(anytown, jane)
    record = run_import(register, anytown.constituency)
    jane.refresh_from_db()
    assert record.status == "done"
    assert record.suppressed == 1
    assert any("1 electors match an earlier objection or erasure" in note for note in record.notes)
    assert jane.do_not_contact and jane.on_register
    assert not Contact.unscoped.filter(elector=jane).exists()
    assert not Member.unscoped.filter(membership_number="A777777").exists()


def test_a_member_import_leaves_out_an_erased_member(anytown, jane, tmp_path):
    _erase(anytown, jane)
    path = tmp_path / "members.csv"
    path.write_bytes(
        (
            MEMBER_HEADER
            + "A777777,Jane,Anytownson,jane@anytown.example,AT1 1AA,Current,2020-01-01,,Y\r\n"
            + "A888888,Sam,Anytownson,sam@anytown.example,AT1 1AA,Current,2021-01-01,,Y\r\n"
        ).encode()
    )
    out = io.StringIO()
    call_command("import_members", str(path), "--constituency", anytown.constituency.gss_code, stdout=out)
    assert "1 rows of people erased at their request were left out." in out.getvalue()
    assert not Member.unscoped.filter(membership_number="A777777").exists()
    assert Member.unscoped.filter(membership_number="A888888").exists()
    assert Member.unscoped.get(membership_number="A888888").constituency == anytown.constituency
    from members.models import MemberImport

    assert MemberImport.unscoped.get().report["suppressed"] == 1


def test_a_canvass_sync_for_them_is_caught_and_not_recorded(client, anytown, jane):
    campaign = campaign_with_survey(anytown.constituency)
    pack = pack_with_doors(campaign, [jane.home])
    canvasser = anytown.user(Role.CANVASSER)
    pack.assigned_to = canvasser
    pack.save(update_fields=["assigned_to"])
    _erase(anytown, jane)  # after the phone downloaded the pack
    client.force_login(canvasser)
    item = {
        "uuid": str(uuid.uuid4()),
        "pack": pack.pk,
        "elector": jane.pk,
        "survey_version": campaign.current_survey_version().pk,
        "outcome": "spoke",
        "answers": {"vi": {"code": "L", "strength": "soft"}},
        "notes": "Jane says hello",
    }
    response = client.post(
        reverse("campaigns:sync"), json.dumps({"answers": [item]}), content_type="application/json"
    )
    body = response.json()
    assert response.status_code == 200
    assert body["suppressed"] == 1 and body["results"][0]["status"] == SyncStatus.SUPPRESSED
    assert not Visit.unscoped.filter(elector=jane).exists()
    assert not Contact.unscoped.filter(elector=jane).exists()
    assert "Jane says hello" not in json.dumps(list(AuditEvent.objects.values("detail")))


def test_a_phone_bank_outcome_for_them_is_caught_and_closes_the_entry(anytown, jane):
    campaign = campaign_with_survey(anytown.constituency)
    call_list = call_list_create(campaign=campaign, name="Evening calls", criteria={})
    caller = anytown.user(Role.CANVASSER)
    entry = call_claim_next(call_list=call_list, user=caller)
    while entry is not None and entry.elector_id != jane.pk:  # the caller reaches her
        call_record(entry=entry, user=caller, outcome="refused_call", client_uuid=uuid.uuid4())
        entry = call_claim_next(call_list=call_list, user=caller)
    assert entry is not None
    _erase(anytown, jane)  # while the caller has her on screen
    result = call_record(entry=entry, user=caller, outcome="refused_call", client_uuid=uuid.uuid4())
    assert result.status == SyncStatus.SUPPRESSED
    assert not CallEntry.unscoped.filter(call_list=call_list, elector=jane).exists()  # erased with her
    assert not Visit.unscoped.filter(elector=jane).exists()


def test_reapply_suppressions_after_a_restore_removes_what_came_back(anytown, jane):
    _erase(anytown, jane)
    # A backup from before the erasure is restored: her flag, a contact and her member record are back.
    Elector.unscoped.filter(pk=jane.pk).update(do_not_contact=False, do_not_contact_reason="")
    ContactFactory(elector=jane, notes="Restored from Tuesday's backup")
    MemberFactory(constituency=anytown.constituency, membership_number="A777777", elector=jane)
    out = io.StringIO()
    call_command("reapply_suppressions", "--constituency", anytown.constituency.gss_code, stdout=out)
    jane.refresh_from_db()
    assert jane.do_not_contact
    assert not Contact.unscoped.filter(elector=jane).exists()
    assert not Member.unscoped.filter(membership_number="A777777").exists()
    printed = out.getvalue()
    assert "electors covered by a tombstone (kept do not contact): 1" in printed
    assert "member records covered by a tombstone: 1" in printed
    assert "removed again: contacts: 1" in printed


def test_reapply_suppressions_refuses_an_unknown_constituency(db):
    with pytest.raises(CommandError, match="no such constituency"):
        call_command("reapply_suppressions", "--constituency", "E14999999")


def test_erase_elector_prints_what_went(anytown, jane):
    out = io.StringIO()
    call_command(
        "erase_elector",
        "--constituency",
        anytown.constituency.gss_code,
        "--elector",
        jane.elector_number_raw,
        "--reason",
        "Letter of 3 March",
        stdout=out,
    )
    printed = out.getvalue()
    assert f"Erased elector {jane.elector_number_display} (id {jane.pk})" in printed
    assert "  contacts: 1" in printed and "  phone numbers: 1" in printed
    assert "  membership records (this CLP's copy): 1" in printed
    jane.refresh_from_db()
    assert jane.do_not_contact
    tombstones = Suppression.unscoped.filter(kind=Suppression.Kind.ERASURE, reason="Letter of 3 March")
    assert sorted(tombstones.values_list("field", flat=True)) == ["email", "membership", "name"]
    assert AuditEvent.objects.get(action=ERASE_ACTION).user is None


@pytest.mark.parametrize(
    "args,message",
    [
        (["--elector", "ZZ9-99999"], "No elector ZZ9-99999"),
        (["--elector", "not a number"], "is not an elector number"),
        (["--elector", "AN1-1", "--constituency", "E14999999"], "no such constituency"),
    ],
)
def test_erase_elector_exits_non_zero_when_there_is_no_such_elector(anytown, jane, args, message):
    base = {"--constituency": anytown.constituency.gss_code, "--reason": "x"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    with pytest.raises(CommandError, match=message):
        call_command("erase_elector", *[part for pair in base.items() for part in pair])
    assert not Suppression.unscoped.exists()
    assert Contact.unscoped.filter(elector=jane).exists()


def test_an_objection_is_caught_by_a_canvass_sync_too(anytown, jane):
    from campaigns.services import canvass_record_visit

    campaign = campaign_with_survey(anytown.constituency)
    person_erase(
        person=Person(anytown.constituency, frozenset({jane.pk})), user=None, reason="No more", erase=False
    )
    result = canvass_record_visit(
        canvasser=anytown.user(Role.CANVASSER),
        campaign=campaign,
        elector=jane,
        outcome="spoke",
        client_uuid=uuid.uuid4(),
    )
    assert result.status == SyncStatus.SUPPRESSED
    assert Contact.unscoped.filter(elector=jane).count() == 1  # an objection keeps what was held


def test_the_md5_suppressions_are_migrated_to_the_keyed_hash(anytown, jane):
    """voters migration 0015: an objection stored as a bare MD5 of the name is re-keyed from the
    elector it matches; one that matches nobody is dropped."""
    import hashlib
    import importlib

    from django.db import connection

    migration = importlib.import_module("voters.migrations.0015_sar16_hmac_suppressions")
    old = hashlib.md5(f"{jane.surname.upper()}|{jane.first_names.upper()}".encode()).hexdigest()  # noqa: S324
    Suppression.unscoped.create(constituency=anytown.constituency, key=old, reason="Objected in 2024")
    Suppression.unscoped.create(constituency=anytown.constituency, key="0" * 32, reason="Nobody now")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration._to_hmac(None, editor)
    from labourhub.privacy import tombstone_key

    assert list(Suppression.unscoped.values_list("key", "reason")) == [
        (tombstone_key(jane.surname, jane.first_names), "Objected in 2024")
    ]


# --- Event sign-ups, and writes through the shared visit service (the API's way in) ---------------


def _jane_booked(anytown, jane):
    """Jane's member record booked on an event before she asked to be erased."""
    from tests.campaigns.event_factories import event_with_shift

    member = Member.unscoped.get(membership_number="A777777")
    event, shift = event_with_shift(anytown.constituency)
    contact = EventContact.unscoped.create(
        constituency=anytown.constituency, name=member.full_name, email=member.email, member=member
    )
    Signup.unscoped.create(shift=shift, contact=contact, status=Signup.Status.BOOKED)
    return member, event, shift


def _public_sign_up(client, event, shift, name, email):
    return client.post(
        reverse("campaigns:event_public", args=[event.token]),
        {"shift": shift.pk, "name": name, "email": email, "consent_email": "on", "website": ""},
    )


def test_an_event_sign_up_by_them_is_caught_and_stores_nothing(client, anytown, jane):
    member, event, shift = _jane_booked(anytown, jane)
    email = member.email
    _erase(anytown, jane)
    assert not EventContact.unscoped.filter(email__iexact=email).exists()  # erased with her
    assert not Signup.unscoped.filter(shift=shift).exists()

    by_email = _public_sign_up(client, event, shift, "J. Doe", email.upper())
    by_name = _public_sign_up(client, event, shift, f"{jane.first_names} {jane.surname}", "new@example.org")
    someone_else = _public_sign_up(client, event, shift, "Sam Otherperson", "sam@example.org")

    for response in (by_email, by_name):
        assert response.status_code == 400
        text = response.content.decode()
        assert "could not take this sign-up online" in text
        assert "erase" not in text.lower() and "objected" not in text.lower()  # the reason is not told
    assert someone_else.status_code == 302
    assert list(EventContact.unscoped.values_list("email", flat=True)) == ["sam@example.org"]
    assert Signup.unscoped.count() == 1
    assert not EventMessage.unscoped.exclude(signup__contact__email="sam@example.org").exists()
    caught = AuditEvent.objects.filter(action=SIGNUP_CAUGHT_ACTION, object_id=str(event.pk))
    assert caught.count() == 2
    assert jane.surname not in json.dumps(list(caught.values("detail")))


def test_a_walk_in_of_theirs_is_caught_and_the_organiser_told(client, anytown, jane):
    _, event, shift = _jane_booked(anytown, jane)
    _erase(anytown, jane)
    organiser = anytown.user(Role.ORGANISER)
    assert (
        events_services.signup_walk_in(
            user=organiser, shift=shift, name=f"{jane.first_names} {jane.surname}", email="walkin@example.org"
        )
        is None
    )
    client.force_login(organiser)
    response = client.post(
        reverse("campaigns:event_check_in", args=[event.pk]),
        {
            "part": "walk_in",
            "shift": shift.pk,
            "name": f"{jane.first_names} {jane.surname}",
            "email": "w@x.org",
        },
        follow=True,
    )
    assert "asked the party to erase" in response.content.decode()
    assert not EventContact.unscoped.exists() and not Signup.unscoped.exists()
    assert AuditEvent.objects.filter(action=SIGNUP_CAUGHT_ACTION).count() == 2


def test_an_objection_does_not_stop_them_signing_up_themselves(anytown, jane):
    from tests.campaigns.event_factories import event_with_shift

    person_erase(
        person=Person(anytown.constituency, frozenset({jane.pk})),
        user=anytown.user(Role.DATA_PROTECTION_LEAD),
        reason="No leaflets",
        erase=False,
    )
    event, shift = event_with_shift(anytown.constituency)
    signup = events_services.event_signup(
        event=event,
        shift=shift,
        name=f"{jane.first_names} {jane.surname}",
        email="jane@example.org",
        consent_email=True,
        wording="Emails about this event",
    )
    assert signup is not None and signup.pk


def test_a_write_through_the_shared_visit_service_is_caught_as_the_api_will_be(anytown, jane):
    """The API (issue 18) writes contacts through canvass_record_visits, as the phone and phone-bank
    pages do: the tombstone check is in that service, not in the sync view."""
    campaign = campaign_with_survey(anytown.constituency)
    _erase(anytown, jane)
    [result] = canvass_record_visits(
        canvasser=anytown.user(Role.CANVASSER),
        visits=[
            VisitInput(
                campaign=campaign,
                elector=jane,
                outcome="spoke",
                client_uuid=uuid.uuid4(),
                notes="Written by an API client",
                channel="door",
            )
        ],
    )
    assert result.status == SyncStatus.SUPPRESSED
    assert not Visit.unscoped.filter(elector=jane).exists()
    assert not Contact.unscoped.filter(elector=jane).exists()


def test_reapply_suppressions_deletes_their_restored_event_sign_ups(anytown, jane):
    member, event, shift = _jane_booked(anytown, jane)
    email = member.email
    _erase(anytown, jane)
    # Tuesday's backup is restored: her event contact and sign-up are back, no longer linked.
    contact = EventContact.unscoped.create(constituency=anytown.constituency, name="Jane", email=email)
    Signup.unscoped.create(shift=shift, contact=contact)
    kept = EventContact.unscoped.create(
        constituency=anytown.constituency, name="Sam", email="sam@example.org"
    )
    out = io.StringIO()
    call_command("reapply_suppressions", "--constituency", anytown.constituency.gss_code, stdout=out)
    assert list(EventContact.unscoped.all()) == [kept]
    assert not Signup.unscoped.exists()
    assert "event contacts covered by a tombstone (deleted again): 1" in out.getvalue()
