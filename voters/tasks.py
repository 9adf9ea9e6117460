from celery import shared_task

from labourhub.status.services import heartbeat_ping
from voters.models import RegisterImport
from voters.services import (
    register_import_requeue_lost,
    register_import_run,
    register_import_stopped,
    register_import_sweep,
)


@shared_task
def register_import_task(register_import_id):
    """Run one uploaded import (progress and the report are written to its row). Delivered again
    while running (late acks: the worker running it stopped), the import ends as failed, unless a live
    worker still holds it."""
    record = RegisterImport.unscoped.filter(pk=register_import_id).first()
    if record is not None and record.status == RegisterImport.Status.QUEUED:
        register_import_run(register_import=record)
    elif record is not None and record.status == RegisterImport.Status.RUNNING:
        register_import_stopped(register_import=record)


@shared_task
def register_import_sweep_task():
    """Beat: fail imports whose worker is gone, drop staging tables nobody owns, queue again imports
    whose message was lost."""
    failed, dropped = register_import_sweep()
    result = {"failed": failed, "dropped": dropped, "requeued": register_import_requeue_lost()}
    heartbeat_ping(job="voters-import-sweep")
    return result
