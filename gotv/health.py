"""What polling day tells the status page (labourhub/status, found by app_modules("health"))."""

import datetime

from gotv.models import Election


def poll_dates(*, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Poll dates of every CLP's elections between start and end: dates only, nothing personal."""
    return sorted(
        set(Election.unscoped.filter(poll_date__range=(start, end)).values_list("poll_date", flat=True))
    )
