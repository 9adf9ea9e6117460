"""What the platform operator may know of casework: how many cases each office holds, by status
class. Counts only: no case, constituent or caseworker is named (the operator holds no caseworker
grant nor membership, so `Case.objects.for_user` gives them nothing)."""

from typing import NamedTuple

from django.db.models import Count, Q

from casework.models import Office, StatusClass


class OfficeCounts(NamedTuple):
    office: str
    kind: str
    open: int
    closed: int
    cancelled: int


def per_office() -> list[OfficeCounts]:
    rows = Office.objects.annotate(
        open_cases=Count("cases", filter=Q(cases__status_class=StatusClass.OPEN)),
        closed_cases=Count("cases", filter=Q(cases__status_class=StatusClass.CLOSED)),
        cancelled_cases=Count("cases", filter=Q(cases__status_class=StatusClass.CANCELLED)),
    ).order_by("name")
    return [
        OfficeCounts(o.name, o.get_kind_display(), o.open_cases, o.closed_cases, o.cancelled_cases)
        for o in rows
    ]
