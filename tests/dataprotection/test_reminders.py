"""Reminders before a request's deadline (7 days, 2 days) and when overdue, by email to the handler
and the CLP's data protection leads: sent by the beat task through a real SMTP server, once each."""

import datetime
import email

import pytest
from django.utils import timezone

from labourhub.dataprotection import services
from labourhub.dataprotection.models import RequestStatus, SubjectRequest
from labourhub.dataprotection.tasks import subject_requests_remind_task
from labourhub.models import Role
from tests.dataprotection.factories import SubjectRequestFactory

pytestmark = pytest.mark.django_db


def _due_in(anytown, days, **kwargs):
    return SubjectRequestFactory(
        constituency=anytown.constituency,
        received_on=timezone.localdate() - datetime.timedelta(days=20),
        due_on=timezone.localdate() + datetime.timedelta(days=days),
        **kwargs,
    )


def _subjects(smtp_server):
    return [email.message_from_bytes(m["data"])["Subject"] for m in smtp_server.messages]


def test_each_reminder_is_sent_once_to_the_handler_and_the_leads(anytown, smtp_server):
    handler = anytown.user(Role.CLP_SECRETARY)
    request = _due_in(anytown, 6, handler=handler)
    assert subject_requests_remind_task() == 1
    assert subject_requests_remind_task() == 0  # the same stage is not sent again
    assert len(smtp_server.messages) == 1
    assert sorted(smtp_server.messages[0]["rcpt_tos"]) == sorted(
        [handler.email, anytown.user(Role.DATA_PROTECTION_LEAD).email]
    )
    assert f"{request.reference} is due in 6 days" in _subjects(smtp_server)[0]
    # Two days before: the second reminder; overdue: the third.
    services.subject_requests_remind(today=request.due_on - datetime.timedelta(days=2))
    services.subject_requests_remind(today=request.due_on - datetime.timedelta(days=1))
    services.subject_requests_remind(today=request.due_on + datetime.timedelta(days=1))
    services.subject_requests_remind(today=request.due_on + datetime.timedelta(days=5))
    subjects = _subjects(smtp_server)
    assert len(subjects) == 3, subjects
    assert "is due in 2 days" in subjects[1]
    assert subjects[2].startswith(f"Overdue: data request {request.reference}")
    request.refresh_from_db()
    assert request.reminders_sent == ["week", "two_days", "overdue"]


def test_a_request_logged_close_to_its_deadline_gets_only_the_latest_reminder(anytown, smtp_server):
    _due_in(anytown, 1)
    assert subject_requests_remind_task() == 1
    assert subject_requests_remind_task() == 0
    assert "is due in 1 day" in _subjects(smtp_server)[0]


def test_nothing_is_sent_for_requests_far_off_paused_or_closed(anytown, smtp_server):
    _due_in(anytown, 20)
    _due_in(anytown, 3, status=RequestStatus.AWAITING_ID, paused_since=timezone.localdate())
    _due_in(anytown, -3, status=RequestStatus.ANSWERED, closed_on=timezone.localdate())
    assert subject_requests_remind_task() == 0
    assert smtp_server.messages == []


def test_an_extension_starts_the_reminders_afresh(anytown, smtp_server):
    request = services.subject_request_create(
        user=anytown.user(Role.DATA_PROTECTION_LEAD),
        constituency=anytown.constituency,
        kind="access",
        received_on=timezone.localdate() - datetime.timedelta(days=28),
        requester_name="Anne Anytown",
    )
    services.subject_requests_remind()
    request.refresh_from_db()
    assert request.reminders_sent
    services.subject_request_extend(
        user=anytown.user(Role.DATA_PROTECTION_LEAD), subject_request=request, reason="Complex"
    )
    request.refresh_from_db()
    assert request.reminders_sent == []


def test_a_clp_without_a_data_protection_lead_reminds_its_secretary(anytown, smtp_server):
    from labourhub.models import Grant

    Grant.objects.filter(constituency=anytown.constituency, role=Role.DATA_PROTECTION_LEAD).delete()
    _due_in(anytown, 2)
    subject_requests_remind_task()
    assert smtp_server.messages[0]["rcpt_tos"] == [anytown.user(Role.CLP_SECRETARY).email]


def test_the_beat_schedule_runs_the_reminders(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "labourhub.dataprotection.tasks.subject_requests_remind_task" in tasks
    from labourhub.celery import app

    app.loader.import_default_modules()
    assert "labourhub.dataprotection.tasks.subject_requests_remind_task" in app.tasks


def test_the_worker_runs_the_beat_task_and_sends_the_reminder(anytown, smtp_server, celery_worker):
    """The beat entry's task, queued as beat queues it, runs in a real worker process."""
    request = _due_in(anytown, 2, handler=anytown.user(Role.DATA_PROTECTION_LEAD))
    subject_requests_remind_task.delay()
    celery_worker.wait_for(lambda: smtp_server.messages)
    assert f"{request.reference} is due in 2 days" in _subjects(smtp_server)[0]
    assert "labourhub.dataprotection.tasks.subject_requests_remind_task" in celery_worker.log_path.read_text()
    celery_worker.wait_for(
        lambda: SubjectRequest.unscoped.get(pk=request.pk).reminders_sent == ["week", "two_days"]
    )
