"""The report of data-subject requests and days to answer, per CLP and per region (read only)."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labourhub.dataprotection.models import CLOSED, PAUSED, RequestStatus, SubjectRequest
from labourhub.scoping import Action, constituencies_for

if TYPE_CHECKING:
    from labourhub.models import User


@dataclass
class Line:
    """One CLP's (or one region's) figures."""

    name: str
    received: int = 0
    open: int = 0
    overdue: int = 0
    answered: int = 0
    answered_on_time: int = 0
    refused: int = 0
    withdrawn: int = 0
    days: list[int] = field(default_factory=list)  # days to answer, day of receipt as day one

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days) if self.days else None

    @property
    def on_time_share(self) -> float | None:
        """Share of answered requests answered by their due date (extensions and pauses included)."""
        return self.answered_on_time / self.answered if self.answered else None

    def add(
        self,
        status: str,
        received_on: datetime.date,
        due_on: datetime.date,
        closed_on: datetime.date | None,
        today: datetime.date,
    ) -> None:
        self.received += 1
        if status not in CLOSED:
            self.open += 1
            self.overdue += status not in PAUSED and due_on < today
        elif status == RequestStatus.ANSWERED and closed_on is not None:
            self.answered += 1
            self.answered_on_time += closed_on <= due_on
            self.days.append((closed_on - received_on).days + 1)
        elif status == RequestStatus.REFUSED:
            self.refused += 1
        else:
            self.withdrawn += 1


@dataclass
class Report:
    clps: list[Line]
    regions: list[Line]


def requests_report(user: User, *, today: datetime.date, since: datetime.date | None = None) -> Report:
    """Every CLP where `user` may read data protection figures (regional staff: their region's
    CLPs), with its requests received since `since`; one line per region of those CLPs."""
    areas = constituencies_for(user, Action.READ_DATA_PROTECTION).select_related("region").order_by("name")
    clps = {c.pk: Line(c.name) for c in areas}
    region_of = {c.pk: c.region.name for c in areas}
    rows = SubjectRequest.objects.for_user(user, Action.READ_DATA_PROTECTION)
    if since is not None:
        rows = rows.filter(received_on__gte=since)
    regions: dict[str, Line] = defaultdict(lambda: Line(""))
    for constituency_id, status, received_on, due_on, closed_on in rows.values_list(
        "constituency_id", "status", "received_on", "due_on", "closed_on"
    ):
        clps[constituency_id].add(status, received_on, due_on, closed_on, today)
        regions[region_of[constituency_id]].add(status, received_on, due_on, closed_on, today)
    region_lines = []
    for name in sorted(set(region_of.values())):
        line = regions[name]
        line.name = name
        region_lines.append(line)
    return Report(clps=list(clps.values()), regions=region_lines)
