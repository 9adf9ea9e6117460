"""Celery tasks for casework: each loads ids and calls a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from casework import inbound, services
from labourhub.status.services import heartbeat_ping


@shared_task
def mailboxes_poll():
    inbound.mailboxes_poll()
    heartbeat_ping(job="casework-mailbox-poll")


@shared_task
def mailbox_poll(office_id):
    inbound.mailbox_poll(office_id=office_id)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60, max_retries=None
)
def letter_email_send_task(letter_id):
    services.letter_email_send(letter_id=letter_id)


@shared_task
def chasers_create_task():
    """Hourly (CELERY_BEAT_SCHEDULE "casework-chasers"): a chaser task for every agency past its due date."""
    result = services.chasers_create()
    heartbeat_ping(job="casework-chasers")
    return result


@shared_task
def case_retention_task():
    """Beat runs this nightly: anonymise closed cases past their office's retention period."""
    result = services.case_retention_run()
    heartbeat_ping(job="casework-retention")
    return result
