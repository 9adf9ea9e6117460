"""Reports on members: read-only queries that views render (counts, no names)."""

from typing import NamedTuple

from django.db import connection

# Per month of the last 24: members at the month's end, joined and lapsed in it. The constituencies are
# one array parameter, so no SQL is built from strings here.
_BY_MONTH_SQL = """
SELECT to_char(month, 'YYYY-MM'),
       count(m.id) FILTER (WHERE m.lapsed_on IS NULL OR m.lapsed_on > month_end),
       count(m.id) FILTER (WHERE m.joined_on >= month AND m.joined_on <= month_end),
       count(m.id) FILTER (WHERE m.lapsed_on >= month AND m.lapsed_on <= month_end)
FROM generate_series(date_trunc('month', now()) - interval '23 months',
                     date_trunc('month', now()), interval '1 month') AS month
CROSS JOIN LATERAL (SELECT (month + interval '1 month - 1 day')::date AS month_end) e
LEFT JOIN members_member m ON m.constituency_id = ANY(%(constituencies)s) AND m.joined_on <= e.month_end
GROUP BY month ORDER BY month
"""


class MonthCounts(NamedTuple):
    month: str  # "YYYY-MM"
    members: int  # at the end of the month
    joined: int
    lapsed: int


def membership_by_month(*, constituencies):
    """The last 24 months, oldest first, for the members of `constituencies` (a queryset the caller
    has scoped, e.g. `constituencies_for(user, Action.VIEW_MEMBERS)`)."""
    ids = list(constituencies.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(_BY_MONTH_SQL, {"constituencies": ids})
        return [MonthCounts(*row) for row in cursor.fetchall()]
