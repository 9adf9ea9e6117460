"""Celery tasks for casework: each calls a service."""

from celery import shared_task

from casework import inbound


@shared_task
def mailboxes_poll():
    inbound.mailboxes_poll()


@shared_task
def mailbox_poll(office_id):
    inbound.mailbox_poll(office_id=office_id)
