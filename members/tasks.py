"""Celery tasks: each loads ids and calls a service."""

from celery import shared_task

from members import importers, services


@shared_task
def member_email_plan(send_id):
    services.email_send_plan(send_id=send_id)


@shared_task
def member_email_batch_send(batch_id):
    services.email_batch_send(batch_id=batch_id)


@shared_task
def member_email_sweep():
    services.email_sweep()


@shared_task
def member_import_run(import_id):
    importers.member_import_run(import_id=import_id)
