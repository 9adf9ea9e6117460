"""Retention by election cycle (issue 16, item 4): cycles from the CLP's general elections, the
preview a month ahead listing exactly what the nightly run then removes, counts in the audit log."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Answer, LatestIntention, Visit
from labourhub import retention
from labourhub.models import AuditEvent, Role
from labourhub.retention import add_months
from labourhub.services import retention_apply
from labourhub.tasks import retention_nightly
from members.models import EmailRecipient, Member, MemberImport, Status
from tests.gotv.factories import ElectionFactory, canvassed
from tests.members.factories import EmailSendFactory, MemberFactory
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory
from voters.models import Contact, RegisterImport

TODAY = datetime.date(2026, 11, 27)  # for the rules on fixed dates; the records are relative to today


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def _elector(clp, surname):
    return ElectorFactory(
        polling_district=clp.polling_district,
        home=PropertyFactory(polling_district=clp.polling_district),
        surname=surname,
    )


def _visit(clp, surname, day):
    """A door visit with an answer and a latest intention, recorded on `day`."""
    result = canvassed(_elector(clp, surname))
    visit = result.visit
    Visit.unscoped.filter(pk=visit.pk).update(recorded_at=_at(day))
    Contact.unscoped.filter(pk=visit.contact_id).update(at=_at(day))
    return visit


def _lapsed(clp, lapsed_on):
    return MemberFactory(constituency=clp.constituency, status=Status.LAPSED, lapsed_on=lapsed_on)


def _recipient(clp, member, day):
    send = EmailSendFactory(constituency=clp.constituency)
    return EmailRecipient.unscoped.create(
        send=send,
        member=member,
        email=member.email or "x@anytown.example",
        batch_number=1,
        planned_at=_at(day),
    )


def _register_file(clp, day):
    record = RegisterImport.unscoped.create(
        constituency=clp.constituency, kind=RegisterImport.Kind.FULL, file_name="anytown.csv", status="done"
    )
    record.file.save("anytown.csv", ContentFile(b"Elector Number\n"), save=False)
    record.created_at = _at(day)
    record.save(update_fields=["file", "created_at"])
    return record


def _member_file(clp, day):
    record = MemberImport.unscoped.create(
        constituency=clp.constituency, file_name="members.csv", state=MemberImport.State.DONE
    )
    record.file.save("members.csv", ContentFile(b"Membership Number\n"), save=False)
    record.save(update_fields=["file"])
    MemberImport.unscoped.filter(pk=record.pk).update(created_at=_at(day))
    return record


# --- Cycles -------------------------------------------------------------------------------------


def test_the_canvass_period_is_the_current_and_previous_cycle_between_general_elections(anytown):
    for poll in (datetime.date(2017, 6, 8), datetime.date(2019, 12, 12), datetime.date(2024, 7, 4)):
        ElectionFactory(constituency=anytown.constituency, poll_date=poll)
    # A local election and a coming general election do not start a cycle.
    ElectionFactory(constituency=anytown.constituency, poll_date=datetime.date(2025, 5, 1), kind="local")
    ElectionFactory(constituency=anytown.constituency, poll_date=datetime.date(2029, 5, 3))
    assert retention.cycle_starts(anytown.constituency, TODAY, 2) == [
        datetime.date(2024, 7, 5),
        datetime.date(2019, 12, 13),
    ]
    canvass = retention.category("canvass_answers")
    assert retention.cutoff(canvass, anytown.constituency, _at(TODAY)) == timezone.make_aware(
        datetime.datetime(2019, 12, 13)
    )


def test_with_too_few_elections_a_cycle_is_the_fallback_years(anytown, otherton, settings):
    settings.RETENTION_CYCLE_YEARS = 4
    ElectionFactory(constituency=anytown.constituency, poll_date=datetime.date(2024, 7, 4))
    assert retention.cycle_starts(anytown.constituency, TODAY, 2) == [
        datetime.date(2024, 7, 5),
        datetime.date(2020, 7, 5),
    ]
    # Otherton knows no election: the current cycle is the last 4 years, the previous the 4 before.
    assert retention.cycle_starts(otherton.constituency, TODAY, 2) == [
        datetime.date(2022, 11, 27),
        datetime.date(2018, 11, 27),
    ]


def test_fixed_periods_come_from_the_settings(anytown, settings):
    settings.RETENTION_LAPSED_MEMBER_YEARS = 3
    settings.RETENTION_UPLOAD_DAYS = 10
    at = _at(TODAY)
    assert retention.cutoff(retention.category("lapsed_members"), anytown.constituency, at).date() == (
        datetime.date(2023, 11, 27)
    )
    assert retention.cutoff(retention.category("register_import_files"), anytown.constituency, at).date() == (
        datetime.date(2026, 11, 17)
    )
    assert retention.category("lapsed_members").in_words() == "3 years"


# --- Preview and run ---------------------------------------------------------------------------------


def _days(day, n):
    return day + datetime.timedelta(days=n)


@pytest.fixture
def records(anytown, otherton):
    """Anytown's records either side of each period at the preview date (a month from today), and
    Otherton's old ones. General elections 7 and 2 years ago: canvassing up to the older poll day is
    past its period (the current and previous cycles started the days after the polls)."""
    today = timezone.localdate()
    on = retention.preview_date(today)
    first_poll, last_poll = add_months(today, -84), add_months(today, -24)
    for clp in (anytown, otherton):
        for poll in (first_poll, last_poll):
            ElectionFactory(constituency=clp.constituency, poll_date=poll)
    old_visit = _visit(anytown, "Anytownold", first_poll)
    new_visit = _visit(anytown, "Anytownnew", _days(first_poll, 1))
    elector = _elector(anytown, "Anytownmail")
    old_contact = ContactFactory(elector=elector, channel="email", at=_at(_days(first_poll, -300)))
    new_contact = ContactFactory(elector=elector, channel="email", at=_at(_days(first_poll, 300)))
    two_years = add_months(on, -24)
    old_member = _lapsed(anytown, _days(two_years, -1))
    new_member = _lapsed(anytown, two_years)
    current = MemberFactory(constituency=anytown.constituency, status=Status.CURRENT)
    old_email = _recipient(anytown, current, _days(two_years, -1))
    new_email = _recipient(anytown, current, _days(two_years, 1))
    old_file = _register_file(anytown, _days(on, -31))
    new_file = _register_file(anytown, _days(on, -29))
    old_member_file = _member_file(anytown, _days(on, -40))
    AuditEvent.objects.create(
        action="test.old", constituency=anytown.constituency, at=_at(add_months(today, -12 * 7))
    )
    other_visit = _visit(otherton, "Othertonold", _days(first_poll, -30))
    other_member = _lapsed(otherton, add_months(today, -60))
    return {
        "on": on,
        "old": {
            "canvass_answers": {old_visit.pk},
            "contacts": {old_visit.contact_id, old_contact.pk},
            "lapsed_members": {old_member.pk},
            "member_email_log": {old_email.pk},
            "register_import_files": {old_file.pk},
            "member_import_files": {old_member_file.pk},
        },
        "kept": {"visits": {new_visit.pk}, "contacts": {new_visit.contact_id, new_contact.pk}},
        "new_member": new_member,
        "new_email": new_email,
        "new_file": new_file,
        "other": {"visit": other_visit, "member": other_member},
    }


def test_the_run_on_the_preview_date_removes_exactly_what_the_preview_listed(anytown, records):
    on = records["on"]
    listed = {
        item.category.key: set(item.queryset.values_list("pk", flat=True))
        for item in retention.due(anytown.constituency, retention.start_of(on))
        if not item.category.held
    }
    assert {key: ids for key, ids in listed.items() if ids} == records["old"]
    answers_before = Answer.objects.filter(visit__in=records["old"]["canvass_answers"]).count()
    assert answers_before

    # The nightly run, at 02:30 on the preview date.
    removed = retention_apply(
        constituency=anytown.constituency,
        at=timezone.make_aware(datetime.datetime.combine(on, datetime.time(2, 30))),
    )

    assert removed == {key: len(ids) for key, ids in listed.items()}
    assert not Visit.unscoped.filter(pk__in=records["old"]["canvass_answers"]).exists()
    assert not Answer.objects.filter(visit__in=records["old"]["canvass_answers"]).exists()
    assert not Contact.unscoped.filter(pk__in=records["old"]["contacts"]).exists()
    assert not Member.unscoped.filter(pk__in=records["old"]["lapsed_members"]).exists()
    assert not EmailRecipient.unscoped.filter(pk__in=records["old"]["member_email_log"]).exists()
    assert RegisterImport.unscoped.get(pk=min(records["old"]["register_import_files"])).file.name == ""
    assert MemberImport.unscoped.get(pk=min(records["old"]["member_import_files"])).file.name == ""
    # Everything inside its period is kept, with the latest intention it gave.
    assert set(Visit.unscoped.values_list("pk", flat=True)) >= records["kept"]["visits"]
    assert LatestIntention.unscoped.filter(visit__in=records["kept"]["visits"]).exists()
    assert Contact.unscoped.filter(pk__in=records["kept"]["contacts"]).count() == 2
    assert Member.unscoped.filter(pk=records["new_member"].pk).exists()
    assert EmailRecipient.unscoped.filter(pk=records["new_email"].pk).exists()
    assert RegisterImport.unscoped.get(pk=records["new_file"].pk).file.name != ""
    # Otherton's old records wait for Otherton's own run.
    assert Visit.unscoped.filter(pk=records["other"]["visit"].pk).exists()
    assert Member.unscoped.filter(pk=records["other"]["member"].pk).exists()
    # The append-only audit log is counted, never removed.
    assert AuditEvent.objects.filter(action="test.old").exists()

    event = AuditEvent.objects.get(action="retention.run", constituency=anytown.constituency)
    assert event.detail["removed"] == removed
    assert event.detail["held"] == {"audit_log": 1}
    # A second run finds nothing more.
    again = retention_apply(constituency=anytown.constituency, at=retention.start_of(on))
    assert set(again.values()) == {0}


def test_today_what_falls_due_during_the_month_is_not_yet_due(anytown, records):
    """The same records today: the lapsed member and the email log that fall due during the month
    are not due yet; the canvassing of the older cycle is."""
    due_now = {
        item.category.key: set(item.queryset.values_list("pk", flat=True))
        for item in retention.due(anytown.constituency, timezone.now())
    }
    assert due_now["lapsed_members"] == set()
    assert due_now["member_email_log"] == set()
    assert due_now["canvass_answers"] == records["old"]["canvass_answers"]


def test_the_nightly_task_runs_every_clp_and_is_on_the_beat(anytown, otherton, settings):
    old = _lapsed(anytown, timezone.localdate() - datetime.timedelta(days=3 * 366))
    other_old = _lapsed(otherton, timezone.localdate() - datetime.timedelta(days=3 * 366))
    kept = _lapsed(anytown, timezone.localdate() - datetime.timedelta(days=30))
    retention_nightly()
    assert not Member.unscoped.filter(pk__in=[old.pk, other_old.pk]).exists()
    assert Member.unscoped.filter(pk=kept.pk).exists()
    runs = AuditEvent.objects.filter(action="retention.run")
    assert {e.constituency_id for e in runs} >= {anytown.constituency.pk, otherton.constituency.pk}
    assert runs.get(constituency=anytown.constituency).detail["removed"]["lapsed_members"] == 1
    assert settings.CELERY_BEAT_SCHEDULE["retention-nightly"]["task"] == "labourhub.tasks.retention_nightly"


# --- Pages -------------------------------------------------------------------------------------------


def test_the_preview_page_shows_each_category_its_count_and_the_last_run(client, anytown, records):
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    retention_apply(constituency=anytown.constituency)  # today's run: the older cycle's canvassing goes
    response = client.get(reverse("retention_preview", args=[anytown.constituency.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    counts = {row["due"].category.key: row["count"] for row in response.context["removed"]}
    assert counts["lapsed_members"] == 1 and counts["member_email_log"] == 1
    assert counts["canvass_answers"] == 0  # gone in today's run
    assert response.context["on"] == records["on"]
    assert (
        "Canvass and phone-bank answers (intentions, issues, notes, follow-ups): <strong>1</strong> removed"
        in html
    )
    assert 'data-category="audit_log"' in html
    assert AuditEvent.objects.filter(action="retention.preview", constituency=anytown.constituency).exists()


def test_the_records_page_lists_what_the_run_removes(client, anytown, records):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.get(reverse("retention_records", args=[anytown.constituency.pk, "lapsed_members"]))
    assert response.status_code == 200
    (old,) = Member.unscoped.filter(pk__in=records["old"]["lapsed_members"])
    lines = response.context["lines"]
    assert len(lines) == 1 and old.membership_number in lines[0]
    assert old.membership_number in response.content.decode()


@pytest.mark.parametrize("role", [Role.CANVASSER, Role.ORGANISER, Role.CLP_OFFICER])
def test_roles_without_protect_data_cannot_open_the_preview(client, anytown, role):
    client.force_login(anytown.user(role))
    response = client.get(reverse("retention_preview", args=[anytown.constituency.pk]))
    assert response.status_code == 404


def test_another_clps_data_protection_lead_sees_nothing(client, anytown, otherton, records):
    client.force_login(otherton.user(Role.DATA_PROTECTION_LEAD))
    for url in (
        reverse("retention_preview", args=[anytown.constituency.pk]),
        reverse("retention_records", args=[anytown.constituency.pk, "canvass_answers"]),
    ):
        assert client.get(url).status_code == 404
    index = client.get(reverse("retention_index")).content.decode()
    assert reverse("retention_preview", args=[otherton.constituency.pk]) in index
    assert "Anytown" not in index


def test_an_unknown_category_is_a_404(client, anytown):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get(reverse("retention_records", args=[anytown.constituency.pk, "nope"])).status_code == 404


def test_the_home_page_links_the_preview_for_those_who_may_see_it(client, anytown):
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    assert reverse("retention_index") in client.get(reverse("home")).content.decode()
    client.force_login(anytown.user(Role.ORGANISER))
    assert reverse("retention_index") not in client.get(reverse("home")).content.decode()
