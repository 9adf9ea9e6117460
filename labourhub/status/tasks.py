"""Thin Celery tasks: call a service."""

from datetime import timedelta

from celery import shared_task
from django.utils.dateparse import parse_datetime

from labourhub.status import services

# Beat sends each round with this expiry (settings.CELERY_BEAT_SCHEDULE): a round older than that is
# dropped, and the expiry stamped on the message tells the round when it was queued.
ROUND_EXPIRES_SECONDS = 300


@shared_task(bind=True)
def status_check_round_task(self):
    """Beat, every 30 s: a round a minute, every 30 s in polling-day mode."""
    expires = parse_datetime(self.request.expires) if isinstance(self.request.expires, str) else None
    queued_at = expires - timedelta(seconds=ROUND_EXPIRES_SECONDS) if expires else None
    services.status_check_round_if_due(queued_at=queued_at)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def status_notify_task():
    services.status_transitions_notify()
