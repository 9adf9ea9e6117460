"""Thin Celery tasks for casework: each calls a service."""

from celery import shared_task

from casework import services


@shared_task
def case_retention_task():
    """Beat runs this nightly: anonymise closed cases past their office's retention period."""
    return services.case_retention_run()
