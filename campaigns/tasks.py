"""Celery tasks for events: each loads ids and calls a service (campaigns/events_services.py)."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from campaigns import events_services
from labourhub.status.services import heartbeat_ping

# A message not sent (the mail server or the database away) is tried again; its claim row was
# removed, so it is sent once when it goes.
_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, SMTPException, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": False,
    "max_retries": 20,
}


@shared_task(**_RETRY)
def event_message_task(signup_id, kind, ref=0):
    events_services.event_message_send(signup_id=signup_id, kind=kind, ref=ref)


@shared_task(**_RETRY)
def event_notify_task(event_id, kind, ref):
    events_services.event_notify(event_id=event_id, kind=kind, ref=ref)


@shared_task
def event_reminders_task():
    events_services.event_reminders_send()
    heartbeat_ping(job="campaigns-event-reminders")
