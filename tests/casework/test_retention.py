"""Retention and handover (issue 15, item 7): closed cases anonymised after the office's period by
the nightly run (counts kept for reports, run counts audited), the preview of next month's, and the
office lead's bulk handover and bulk close, which say what they will do and ask first."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from casework import attachments, reports, retention, services
from casework.models import (
    Attachment,
    Case,
    CaseAssignment,
    InboundMessage,
    Letter,
    Office,
    Status,
    StatusClass,
    TimelineEntry,
)
from casework.tasks import case_retention_task
from labourhub.models import AuditEvent
from tests.casework.factories import AgencyFactory, TimelineEntryFactory, case_in
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def closed_case(anytown, days_ago, **kw):
    kw.setdefault("status", Status.CLOSED)
    kw.setdefault("status_class", StatusClass.CLOSED)
    kw.setdefault("outcome", Case.Outcome.RESOLVED if kw["status"] == Status.CLOSED else "")
    closed_on = TODAY - datetime.timedelta(days=days_ago)
    return case_in(anytown, closed_on=closed_on, opened_on=closed_on - datetime.timedelta(days=30), **kw)


def test_closed_cases_past_the_period_are_anonymised_and_counts_kept(anytown, office):
    home = PropertyFactory(polling_district=anytown.polling_district, postcode="AT11AA")
    elector = ElectorFactory(home=home, polling_district=anytown.polling_district)
    agency = AgencyFactory(name="Anytown Council")
    topic = office["office"].topics.get(name="Housing")
    old = closed_case(anytown, 731, elector=elector, topic=topic, agency=agency, email="a@example.com",
                      phone="0123", address="1 Anytown Road")  # fmt: skip
    TimelineEntryFactory(case=old, text="Her tenancy and her health")
    cancelled = closed_case(anytown, 800, status=Status.CANCELLED, status_class=StatusClass.CANCELLED)
    recent = closed_case(anytown, 729)
    still_open = case_in(anytown, opened_on=TODAY - datetime.timedelta(days=2000))
    TimelineEntryFactory(case=recent, text="Kept")

    assert services.case_retention_run() == {office["office"].pk: 2}

    old.refresh_from_db()
    assert (old.name, old.address, old.postcode, old.email, old.phone, old.summary, old.elector_id) == (
        retention.ANONYMISED_NAME, "", "", "", "", retention.ANONYMISED_NAME, None
    )  # fmt: skip
    assert old.anonymised_at is not None
    assert (old.topic, old.agency, old.ward, old.outcome, old.status) == (
        topic, agency, anytown.ward, Case.Outcome.RESOLVED, Status.CLOSED
    )  # fmt: skip
    assert list(old.timeline.values_list("text", flat=True)) == [""]
    assert Case.unscoped.get(pk=cancelled.pk).name == retention.ANONYMISED_NAME
    assert Case.unscoped.get(pk=recent.pk).name == recent.name
    assert TimelineEntry.unscoped.get(case=recent).text == "Kept"
    assert Case.unscoped.get(pk=still_open.pk).anonymised_at is None
    # The reports still count it: by topic, by ward (kept from the elector), by agency.
    period = reports.Period(TODAY - datetime.timedelta(days=900), TODAY)
    cases = Case.unscoped.filter(office=office["office"])
    assert {r.label: r.closed for r in reports.by_ward(cases, period)}[anytown.ward.name] == 1
    assert {r.label: r.closed for r in reports.by_agency(cases, period)}["Anytown Council"] == 1
    event = AuditEvent.objects.get(action="casework.retention_run", detail__office=office["office"].pk)
    assert event.detail["anonymised"] == 2


def test_anonymising_removes_the_cases_files_messages_and_letters(
    anytown, office, casework_files, django_capture_on_commit_callbacks
):
    old, kept = closed_case(anytown, 731), closed_case(anytown, 10)
    lead = office["lead"]
    stored = {}
    for case in (old, kept):
        attachment = attachments.attachment_add(case=case, filename="tenancy.txt", data=b"Her tenancy\n")
        raw = attachments.store_bytes(
            b"From: a@example.com\n\nHer health", office_id=case.office_id, suffix=".eml"
        )
        InboundMessage.unscoped.create(
            office=case.office, message_id=f"<{case.pk}@example.com>", source=InboundMessage.Source.UPLOAD,
            state=InboundMessage.State.ATTACHED, case=case, from_address="a@example.com", from_name="Ann Smith",
            subject="My tenancy", body="Her health", raw_file=raw,
        )  # fmt: skip
        entry = TimelineEntryFactory(case=case, text="Email to Ann Smith")
        Letter.unscoped.create(
            case=case, kind="acknowledgement", medium=Letter.Medium.EMAIL, recipient_name="Ann Smith",
            recipient_address="1 Anytown Road", to_email="a@example.com", subject="Your case", body="Dear Ann",
            state=Letter.State.SENT, entry=entry, created_by=lead,
        )  # fmt: skip
        stored[case.pk] = [attachments.stored_path(attachment.stored_as), attachments.stored_path(raw)]
    assert all(path.exists() for paths in stored.values() for path in paths)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_retention_run()

    assert not any(path.exists() for path in stored[old.pk])
    assert all(path.exists() for path in stored[kept.pk])
    assert not Attachment.unscoped.filter(case=old).exists()
    message = InboundMessage.unscoped.get(case=old)
    assert (message.from_address, message.from_name, message.subject, message.body, message.raw_file) == (
        "", "", "", "", ""
    )  # fmt: skip
    letter = Letter.unscoped.get(case=old)
    assert (
        "Ann"
        not in f"{letter.recipient_name} {letter.recipient_address} {letter.to_email} {letter.subject} {letter.body}"
    )
    assert Letter.unscoped.get(case=kept).body == "Dear Ann"
    assert InboundMessage.unscoped.get(case=kept).from_name == "Ann Smith"


def test_a_second_run_changes_nothing(anytown, office):
    closed_case(anytown, 1000)
    assert services.case_retention_run() == {office["office"].pk: 1}
    assert services.case_retention_run() == {office["office"].pk: 0}
    runs = AuditEvent.objects.filter(action="casework.retention_run").order_by("pk")
    assert [e.detail["anonymised"] for e in runs] == [1, 0]


def test_each_office_keeps_cases_for_its_own_period(anytown, otherton, office, other_office):
    Office.objects.filter(pk=office["office"].pk).update(retention_days=30)
    short = closed_case(anytown, 31)
    other = closed_case(otherton, 31)
    assert services.case_retention_run() == {office["office"].pk: 1, other_office["office"].pk: 0}
    assert Case.unscoped.get(pk=short.pk).anonymised_at is not None
    assert Case.unscoped.get(pk=other.pk).anonymised_at is None


def test_preview_lists_next_months_cases_for_the_lead_and_is_audited(client, anytown, office):
    soon = closed_case(anytown, 730 - 10)
    later = closed_case(anytown, 730 - 40)
    due_now = closed_case(anytown, 731)
    client.force_login(office["lead"])
    response = client.get(reverse("casework:retention_preview", args=[office["office"].pk]))
    assert [r.reference for r in response.context["rows"]] == [soon.reference]
    page = response.content.decode()
    assert soon.reference in page and later.reference not in page and due_now.reference not in page
    assert (soon.closed_on + datetime.timedelta(days=730)).strftime("%-d %b %Y") in page
    assert AuditEvent.objects.filter(
        action="casework.report_view", detail__report="retention_preview"
    ).exists()


def test_preview_is_the_leads_only(client, anytown, office):
    client.force_login(office["worker"])
    assert client.get(reverse("casework:retention_preview", args=[office["office"].pk])).status_code == 403


def test_the_nightly_beat_entry_runs_the_task():
    entry = settings.CELERY_BEAT_SCHEDULE["casework-retention"]
    assert entry["task"] == case_retention_task.name == "casework.tasks.case_retention_task"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {30}


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_retention_task(celery_worker, anytown, office):
    case = closed_case(anytown, 900)
    case_retention_task.delay()
    celery_worker.wait_for(lambda: Case.unscoped.get(pk=case.pk).anonymised_at is not None)
    assert Case.unscoped.get(pk=case.pk).name == retention.ANONYMISED_NAME


# --- Handover -------------------------------------------------------------------------------------


def _form(office, **kw):
    data = {"from_user": office["worker"].pk, "action": "hand_over", "to_user": office["mine"].pk, "topic": "",
            "outcome": ""}  # fmt: skip
    return data | kw


def test_handover_says_what_it_will_do_then_does_it_when_confirmed(client, anytown, office):
    a = case_in(anytown)
    b = case_in(anytown, owner=office["lead"], assignees=[office["worker"]])
    closed = closed_case(anytown, 5)
    untouched = case_in(anytown, owner=office["lead"])
    client.force_login(office["lead"])
    url = reverse("casework:handover", args=[office["office"].pk])
    response = client.post(url, _form(office))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This will hand 2 cases worked by" in page and a.reference in page and closed.reference not in page
    assert Case.unscoped.get(pk=a.pk).owner == office["worker"]  # nothing done yet

    response = client.post(url, _form(office, confirm="yes", count="2"))
    assert response.status_code == 302
    assert Case.unscoped.get(pk=a.pk).owner == office["mine"]
    assert Case.unscoped.get(pk=b.pk).owner == office["lead"]  # owned by the lead: only the assignment moves
    for case in (a, b):
        assert set(CaseAssignment.unscoped.filter(case=case).values_list("user", flat=True)) >= {
            office["mine"].pk
        }
        assert not CaseAssignment.unscoped.filter(case=case, user=office["worker"]).exists()
        assert TimelineEntry.unscoped.filter(case=case, text__startswith="Handed over from").exists()
    assert Case.unscoped.get(pk=closed.pk).owner == office["worker"]
    assert Case.unscoped.get(pk=untouched.pk).owner == office["lead"]
    event = AuditEvent.objects.get(action="casework.cases_hand_over")
    assert event.detail["count"] == 2 and sorted(event.detail["cases"]) == sorted([a.pk, b.pk])
    # The new caseworker (who sees only their own cases) now sees them.
    assert set(Case.objects.for_user(office["mine"]).values_list("pk", flat=True)) >= {a.pk, b.pk}


def test_handover_refuses_a_confirmation_when_the_cases_changed(client, anytown, office):
    case_in(anytown)
    client.force_login(office["lead"])
    url = reverse("casework:handover", args=[office["office"].pk])
    response = client.post(url, _form(office, confirm="yes", count="5"))
    assert response.status_code == 409
    assert "The cases changed since you looked" in response.content.decode()
    assert not AuditEvent.objects.filter(action="casework.cases_hand_over").exists()


def test_bulk_close_with_an_outcome(client, anytown, office):
    cases = [case_in(anytown) for _ in range(3)]
    client.force_login(office["lead"])
    url = reverse("casework:handover", args=[office["office"].pk])
    form = _form(office, action="close", to_user="", outcome=Case.Outcome.NO_RESPONSE)
    response = client.post(url, form)
    assert "This will close 3 open cases" in response.content.decode()
    assert client.post(url, form | {"confirm": "yes", "count": "3"}).status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert (case.status, case.outcome, case.closed_on) == (Status.CLOSED, Case.Outcome.NO_RESPONSE, TODAY)
    assert AuditEvent.objects.get(action="casework.cases_close_bulk").detail["count"] == 3
    assert AuditEvent.objects.filter(action="casework.case_move").count() == 3


def test_handover_filters_by_topic(client, anytown, office):
    housing = office["office"].topics.get(name="Housing")
    in_topic = case_in(anytown, topic=housing.subtopics.get())
    case_in(anytown, topic=office["office"].topics.get(name="Immigration"))
    plan = services.cases_handover_plan(user=office["lead"], office=office["office"], from_user=office["worker"],
                                        action="hand_over", to_user=office["mine"], topic=housing)  # fmt: skip
    assert [c.pk for c in plan.cases] == [in_topic.pk]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"to_user": ""}, "Say who takes the cases over."),
        ({"action": "close", "outcome": ""}, "Closing cases needs their outcome."),
        ({"from_user": "nobody"}, "Select a valid choice"),
        ({"to_user": "worker"}, "Choose someone other than the caseworker leaving."),
    ],
)
def test_handover_bad_input_is_a_clear_400(client, anytown, office, change, message):
    case_in(anytown)
    if change.get("to_user") == "worker":
        change = {"to_user": office["worker"].pk}
    client.force_login(office["lead"])
    response = client.post(reverse("casework:handover", args=[office["office"].pk]), _form(office, **change))
    assert response.status_code == 400 and message in response.content.decode()


def test_handover_is_the_leads_only(client, anytown, office):
    case = case_in(anytown)
    client.force_login(office["worker"])
    url = reverse("casework:handover", args=[office["office"].pk])
    assert client.post(url, _form(office, confirm="yes", count="1")).status_code == 403
    assert Case.unscoped.get(pk=case.pk).owner == office["worker"]
    with pytest.raises(Exception, match="Only the office lead"):
        services.cases_hand_over(user=office["worker"], office=office["office"], from_user=office["worker"],
                                 to_user=office["mine"], case_ids=[case.pk])  # fmt: skip
