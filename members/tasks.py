"""Celery tasks: each loads ids and calls a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from labourhub.status.services import heartbeat_ping
from members import importers, services

# A task that cannot reach Postgres (down, restarting after a crash) is tried again, every minute at
# most, instead of being dropped: planning and sending are safe to repeat.
_UNTIL_THE_DATABASE_ANSWERS = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": False,
    "max_retries": None,
}


@shared_task(**_UNTIL_THE_DATABASE_ANSWERS)
def member_email_plan(send_id):
    services.email_send_plan(send_id=send_id)


@shared_task(**_UNTIL_THE_DATABASE_ANSWERS)
def member_email_batch_send(batch_id):
    services.email_batch_send(batch_id=batch_id)


@shared_task
def member_email_sweep():
    services.email_sweep()
    heartbeat_ping(job="members-email-sweep")


@shared_task
def member_import_run(import_id):
    importers.member_import_run(import_id=import_id)


@shared_task
def member_import_sweep():
    """Beat: fail member imports whose worker is gone, queue again those whose message was lost."""
    result = {"failed": services.member_import_sweep(), "requeued": services.member_import_requeue_lost()}
    heartbeat_ping(job="members-import-sweep")
    return result
