"""What polling day tells retention (labourhub.retention): the elections that mark a CLP's
electoral cycles."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from gotv.models import Election
from labourhub.models import Constituency


def election_dates(
    constituency: Constituency, before: datetime.date, kinds: Sequence[str]
) -> list[datetime.date]:
    """Poll dates on or before `before` of the constituency's elections of `kinds`."""
    return list(
        Election.unscoped.filter(constituency=constituency, kind__in=kinds, poll_date__lte=before)
        .order_by("-poll_date")
        .values_list("poll_date", flat=True)
        .distinct()
    )
