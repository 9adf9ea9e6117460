"""The API's scheduled job: stored answers of idempotent POSTs are forgotten after
IDEMPOTENCY_KEEP_HOURS (a retry after that is a new request)."""

from celery import shared_task

from labourhub.api_v1.idempotency import idempotent_requests_forget
from labourhub.status.services import heartbeat_ping


@shared_task
def idempotent_requests_forget_task():
    idempotent_requests_forget()
    heartbeat_ping(job="api-idempotency-prune")
