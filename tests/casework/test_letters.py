"""Letters and emails from templates (casework/letters.py, services.letter_*): the merge, the four
shipped defaults, the office lead's own wording, letters and emails on the timeline, referrals and
chasers moving the case, sending at most once, and the nightly chaser tasks."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework import letters, services
from casework.models import Chaser, Letter, LetterKind, LetterTemplate, Status, TimelineEntry
from casework.working_days import add_working_days
from labourhub.models import AuditEvent
from tests.casework.factories import AgencyFactory, case_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _letter(office, case, **kw):
    fields = {
        "kind": LetterKind.ACKNOWLEDGEMENT,
        "medium": Letter.Medium.LETTER,
        "recipient_name": case.name,
        "recipient_address": "1 Anytown Road\nAT1 1AA",
        "subject": "Your enquiry",
        "body": "Dear constituent",
    }
    fields.update(kw)
    return services.letter_create(user=office["worker"], case=case, **fields)


# --- The merge ---------------------------------------------------------------------------------


def test_merge_fills_known_fields():
    assert letters.merge("Dear {{ constituent_name }}, ref {{case_reference}}", {
        **dict.fromkeys(letters.FIELDS, ""), "constituent_name": "Ada", "case_reference": "ANY/1/2026",
    }) == "Dear Ada, ref ANY/1/2026"  # fmt: skip


def test_unknown_merge_field_is_an_error_naming_it():
    with pytest.raises(letters.UnknownMergeField) as error:
        letters.merge("Dear {{ constituent_nmae }} of {{ postcode }}", dict.fromkeys(letters.FIELDS, ""))
    assert error.value.names == ["constituent_nmae", "postcode"]
    assert "{{ constituent_nmae }}" in str(error.value) and "constituent_name" in str(error.value)


def test_merged_values_are_not_read_again_for_fields(anytown, office):
    """A constituent named like a merge field keeps that name: the merge is one pass."""
    case = case_in(anytown, name="{{ case_reference }} <b>Evil</b>")
    subject, body = letters.draft(
        case=case, kind=LetterKind.ACKNOWLEDGEMENT, user=office["worker"], agency=None
    )
    assert body.startswith("Dear {{ case_reference }} <b>Evil</b>,")
    assert case.reference in subject


@pytest.mark.parametrize("kind", LetterKind.values)
def test_every_shipped_default_merges(anytown, office, kind):
    agency = AgencyFactory(name="DWP", contact_route="mp.enquiries@dwp.example", response_working_days=20)
    case = case_in(anytown, agency=agency, due_on=datetime.date(2026, 6, 1), address="1 Anytown Road")
    subject, body = letters.draft(case=case, kind=kind, user=office["worker"], agency=agency)
    assert "{{" not in subject + body
    assert case.reference in subject
    assert ("DWP" in body) == letters.to_agency(kind) or kind == LetterKind.HOLDING


def test_referral_default_carries_the_data_protection_wording(anytown, office):
    agency = AgencyFactory(name="DWP")
    case = case_in(anytown, agency=agency)
    _, body = letters.draft(case=case, kind=LetterKind.REFERRAL, user=office["worker"], agency=agency)
    assert "has consented to" in body and "sharing the details" in body
    assert "data controller in their own right, separate from any political party" in body
    assert office["office"].representative in body


# --- The office's own templates -----------------------------------------------------------------


def test_lead_saves_the_offices_wording_and_drafts_use_it(anytown, office, otherton, other_office):
    services.letter_template_save(
        user=office["lead"], office=office["office"], kind=LetterKind.ACKNOWLEDGEMENT,
        subject="Thanks ({{ case_reference }})", body="Hello {{ constituent_name }}",
    )  # fmt: skip
    case = case_in(anytown, name="Ada Anytown")
    assert letters.draft(case=case, kind="acknowledgement", user=office["worker"], agency=None) == (
        f"Thanks ({case.reference})",
        "Hello Ada Anytown",
    )
    theirs = case_in(otherton)  # another office keeps the shipped default
    assert letters.draft(case=theirs, kind="acknowledgement", user=other_office["worker"], agency=None)[
        1
    ].startswith("Dear ")
    assert AuditEvent.objects.filter(action="casework.letter_template_save").count() == 1


def test_only_the_lead_edits_templates(office):
    with pytest.raises(ValidationError, match="Only the office lead"):
        services.letter_template_save(
            user=office["worker"], office=office["office"], kind="chaser", subject="s", body="b"
        )
    assert not LetterTemplate.objects.exists()


def test_template_with_an_unknown_field_is_refused_naming_it(office):
    with pytest.raises(ValidationError) as error:
        services.letter_template_save(
            user=office["lead"], office=office["office"], kind="chaser",
            subject="Ref {{ case_reference }}", body="Dear {{ agency_nmae }}",
        )  # fmt: skip
    assert "{{ agency_nmae }}" in error.value.message_dict["body"][0]
    assert "subject" not in error.value.message_dict
    assert not LetterTemplate.objects.exists()


# --- Letters and emails on the timeline --------------------------------------------------------


def test_a_letter_joins_the_timeline_and_is_audited(anytown, office):
    case = case_in(anytown)
    letter = _letter(office, case)
    assert letter.state == Letter.State.PRINTED
    assert letter.entry.kind == TimelineEntry.Kind.LETTER_OUT
    assert letter.entry.text == f"Letter to {case.name}: Your enquiry"
    assert AuditEvent.objects.filter(action="casework.letter_create", detail__letter=letter.pk).exists()


def test_an_email_joins_the_timeline_queued(anytown, office, django_capture_on_commit_callbacks):
    case = case_in(anytown)
    with django_capture_on_commit_callbacks() as queued:
        letter = _letter(office, case, medium="email", to_email="ada@example.org")
    assert len(queued) == 1  # the send is queued for the worker when the letter commits
    assert letter.state == Letter.State.QUEUED
    assert letter.entry.kind == TimelineEntry.Kind.EMAIL_OUT


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"medium": "email", "to_email": ""}, "to_email"),
        ({"recipient_address": ""}, "recipient_address"),
        ({"body": "  "}, "body"),
        ({"kind": "referral"}, "agency"),
    ],
)
def test_a_letter_missing_what_it_needs_is_refused(anytown, office, fields, problem):
    case = case_in(anytown)
    with pytest.raises(ValidationError) as error:
        _letter(office, case, **fields)
    assert problem in error.value.message_dict
    assert not Letter.unscoped.exists() and not TimelineEntry.unscoped.filter(case=case).exists()


def test_sending_the_referral_sets_the_case_awaiting_the_agency_in_working_days(anytown, office):
    agency = AgencyFactory(name="HM Passport Office", response_working_days=20)
    case = case_in(anytown, status=Status.TRIAGE)
    _letter(office, case, kind="referral", agency=agency, recipient_name="HM Passport Office")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_AGENCY and case.agency == agency
    assert case.due_on == add_working_days(TODAY(), 20, office["office"].nation)
    assert TimelineEntry.unscoped.filter(
        case=case, kind=TimelineEntry.Kind.STATUS, text__contains="referral sent"
    )


def test_no_referral_on_a_closed_case(anytown, office):
    case = case_in(anytown, status="closed", status_class="closed", outcome="advice")
    with pytest.raises(ValidationError, match="reopen it"):
        _letter(office, case, kind="referral", agency=AgencyFactory())


def test_another_offices_caseworker_cannot_write_on_the_case(anytown, other_office):
    case = case_in(anytown)
    with pytest.raises(ValidationError, match="not a caseworker of this office"):
        services.letter_create(
            user=other_office["worker"], case=case, kind="acknowledgement", medium="letter",
            recipient_name="x", recipient_address="y", subject="s", body="b",
        )  # fmt: skip


# --- Sending, at most once ---------------------------------------------------------------------


def test_email_is_sent_once_however_often_the_task_runs(anytown, office, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = case_in(anytown)
    letter = _letter(office, case, medium="email", to_email="ada@example.org", body="Dear Ada")
    assert services.letter_email_send(letter_id=letter.pk) is True
    assert services.letter_email_send(letter_id=letter.pk) is False  # a second delivery of the task
    assert len(mail.outbox) == 1
    [sent] = mail.outbox
    assert sent.to == ["ada@example.org"] and sent.subject == "Your enquiry"
    assert sent.body.startswith("Dear Ada\n\nYours sincerely,")
    assert sent.extra_headers["X-Case-Reference"] == case.reference
    letter.refresh_from_db()
    assert letter.state == Letter.State.SENT and letter.sent_at is not None


def test_a_refused_email_is_marked_not_sent_with_the_reason(anytown, office, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    letter = _letter(office, case_in(anytown), medium="email", to_email="ada@example.org")
    assert services.letter_email_send(letter_id=letter.pk) is False
    letter.refresh_from_db()
    assert letter.state == Letter.State.FAILED and "refused" in letter.error.lower()


# --- Chasers -----------------------------------------------------------------------------------


def _late(anytown, days_late=3, **kw):
    agency = kw.pop("agency", None) or AgencyFactory()
    return case_in(
        anytown, status=Status.AWAITING_AGENCY, agency=agency,
        due_on=TODAY() - datetime.timedelta(days=days_late), **kw,
    )  # fmt: skip


def test_nightly_check_sets_one_chaser_per_missed_due_date(anytown, office):
    late = _late(anytown)
    _late(anytown, days_late=0)  # due today: not late yet
    case_in(anytown, status="closed", status_class="closed", outcome="advice", agency=late.agency,
            due_on=TODAY() - datetime.timedelta(days=9))  # fmt: skip
    assert services.chasers_create() == 1
    assert services.chasers_create() == 0  # the next night: the same missed date, no second chaser
    [chaser] = Chaser.unscoped.all()
    assert (chaser.case, chaser.agency, chaser.missed_due_on) == (late, late.agency, late.due_on)
    task = TimelineEntry.unscoped.get(case=late, kind=TimelineEntry.Kind.TASK)
    assert task.author == late.owner and str(late.agency) in task.text


def test_the_beat_runs_the_chaser_check_every_hour(anytown, office):
    """Issue 15 item 4's "automatic chaser tasks": the beat entry names the task, and the task runs
    the check (called here as the worker would; tests/casework/test_letter_worker.py runs a worker)."""
    from django.conf import settings

    from casework.tasks import chasers_create_task

    entry = settings.CELERY_BEAT_SCHEDULE["casework-chasers"]
    assert entry["task"] == chasers_create_task.name == "casework.tasks.chasers_create_task"
    assert entry["schedule"] == 60 * 60
    late = _late(anytown)
    assert chasers_create_task() == 1
    assert Chaser.unscoped.get().case == late


def test_sending_the_chaser_marks_it_done_and_gives_the_agency_more_days(anytown, office):
    late = _late(anytown)
    services.chasers_create()
    letter = _letter(office, late, kind="chaser", recipient_name="Housing")
    chaser = Chaser.unscoped.get(case=late)
    assert chaser.done_at is not None and chaser.done_letter == letter
    late.refresh_from_db()
    assert late.status == Status.AWAITING_AGENCY
    assert late.due_on == add_working_days(TODAY(), services.CHASE_AGAIN_AFTER_WORKING_DAYS, "ENG")
    assert not late.is_overdue
    # Late again on the new date: a new chaser.
    late.due_on = TODAY() - datetime.timedelta(days=1)
    late.save(update_fields=["due_on"])
    assert services.chasers_create() == 1
    assert Chaser.unscoped.filter(case=late).to_send().count() == 1
