from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from labourhub.models import Constituency
from labourhub.services import retention_apply
from labourhub.sms import SmsRetry, sms_message_send
from labourhub.status.services import heartbeat_ping


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=8)
def account_email_send(*, subject, body, from_email, to, html=None):
    """Sign-in emails (verification, password reset) go out from the worker, so a slow
    or unreachable SMTP server never holds up a page."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task
def retention_nightly():
    """Celery beat, nightly: each CLP's records past their retention period removed, one
    transaction and one audit entry per CLP (labourhub.services.retention_apply)."""
    for constituency in Constituency.objects.order_by("pk"):
        retention_apply(constituency=constituency)
    heartbeat_ping(job="retention-nightly")


@shared_task(
    autoretry_for=(SmsRetry,), retry_backoff=2, retry_backoff_max=300, retry_jitter=False, max_retries=8
)
def sms_send_task(message_id):
    """One text message (labourhub/sms.py). The provider unreachable or answering 5xx: the row is
    put back and tried again with back-off; it is claimed before each try, so never sent twice."""
    sms_message_send(message_id=message_id)
