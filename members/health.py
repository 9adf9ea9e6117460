"""What member emails tell the status page (labourhub/status, found by app_modules("health"))."""

import datetime

from members.models import EmailBatch


def email_batch_lag(*, now: datetime.datetime) -> float:
    """Seconds the oldest queued, unfinished email batch has waited (0 when none waits): a count of
    time, nothing about the recipients."""
    oldest = (
        EmailBatch.objects.filter(finished_at=None, enqueued_at__isnull=False)
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
