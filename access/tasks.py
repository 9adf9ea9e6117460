"""Thin Celery tasks: load ids, call a service."""

from celery import shared_task

from access import services
from labourhub.status.services import heartbeat_ping


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=8)
def notification_send_task(notification_id):
    services.notification_send(notification_id=notification_id)


@shared_task
def access_sweep_task():
    """Beat runs this every 15 minutes: escalate overdue steps, send expiry reminders, record expiries."""
    result = services.access_sweep()
    heartbeat_ping(job="access-sweep")
    return result
