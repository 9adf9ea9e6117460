"""Thin Celery tasks: call a service."""

from celery import shared_task

from labourhub.dataprotection import services
from labourhub.status.services import heartbeat_ping


@shared_task
def subject_requests_remind_task():
    """Beat runs this hourly: reminders 7 and 2 days before a request's deadline and when overdue."""
    result = services.subject_requests_remind()
    heartbeat_ping(job="dataprotection-remind")
    return result
