from celery import shared_task

from voters.models import RegisterImport
from voters.services import register_import_run


@shared_task
def register_import_task(register_import_id):
    """Run one uploaded import (progress and the report are written to its row)."""
    record = RegisterImport.objects.filter(pk=register_import_id, status=RegisterImport.Status.QUEUED).first()
    if record is not None:
        register_import_run(register_import=record)
