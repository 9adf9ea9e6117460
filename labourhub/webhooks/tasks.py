from celery import shared_task

from labourhub.status.services import heartbeat_ping
from labourhub.webhooks import services


@shared_task
def webhook_deliveries_send_task(delivery_ids):
    services.deliveries_send(delivery_ids=delivery_ids)


@shared_task
def webhook_deliveries_due_task():
    services.deliveries_send_due()
    heartbeat_ping(job="webhooks-due")
