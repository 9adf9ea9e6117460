"""The board's heavy read in one statement: the promise counts per (district, box) and the
not-yet-voted promises by door for the map, from ONE evaluation of the promise list.

Before, the board built the promise list twice (`promises.counts` and the knock-up doors), each
time reading the election's wards and box districts again and rebuilding every hashed subquery
(in each parallel worker), and each COUNT(... FILTER) re-evaluated the flags. Here the promise
list (`gotv.promises.promises`, the one definition of who is a promise) is compiled by the ORM
into a MATERIALIZED CTE of one row per promise with its flags, and grouped twice from it.

Why the string-built SQL is safe: the only SQL text spliced in is the ORM's own compilation of
`promises(election)` (its values passed as parameters, in order) and fixed text written here;
every value from outside (box ids, the limit) is a parameter.

Why work_mem is raised for this one statement: every flag of the promise list is `pk IN
(subquery)`, which Postgres runs as a hashed SubPlan only while it ESTIMATES the hash fits in
work_mem (default 4 MB); past that it silently falls back to re-running the subquery for every
elector, O(electors x promises): minutes, not milliseconds, at a constituency's size (or sooner when
the statistics over-estimate, as just after a bulk load). That cliff is what a 40,000-elector board
run fell off. The statement therefore runs with work_mem = WORK_MEM (SET LOCAL: this transaction
only), enough for every set a constituency has (100,000 ids hash in about 8 MB).

tallies_and_doors(election, *, door_box_ids, door_limit) -> (rows, doors)
    rows:  [TallyRow(poll_district_id, box_id, promises, postal, voted, wont_vote, do_not_return,
           to_get_out)], one per (district, box)
    doors: [(latitude, longitude, electors)] of the knock-up list (gotv.promises.knock_up) at boxes
           `door_box_ids` with a location, at most `door_limit` rows (unordered, as before)
"""

from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F

from gotv import promises as promise_lists


class TallyRow(NamedTuple):
    poll_district_id: int
    box_id: int | None
    promises: int
    postal: int
    voted: int
    wont_vote: int
    do_not_return: int
    to_get_out: int


# The knock-up rule (gotv.promises.knock_up) over the CTE's flags; keep the two the same.
_GET_OUT = "NOT voted AND NOT wont_vote AND NOT do_not_return AND (NOT postal OR postal_at_home)"

_STATEMENT = f"""
WITH p AS MATERIALIZED ({{promises}})
SELECT 0 AS part, poll_district_id, box_id, COUNT(*) AS n,
       COUNT(*) FILTER (WHERE postal), COUNT(*) FILTER (WHERE voted),
       COUNT(*) FILTER (WHERE wont_vote), COUNT(*) FILTER (WHERE do_not_return),
       COUNT(*) FILTER (WHERE {_GET_OUT}),
       NULL::double precision AS lat, NULL::double precision AS lng
  FROM p
 GROUP BY poll_district_id, box_id
UNION ALL
(SELECT 1, NULL, NULL, COUNT(*), 0, 0, 0, 0, 0, lat, lng
   FROM p
  WHERE {_GET_OUT} AND box_id = ANY(%s) AND lat IS NOT NULL AND lng IS NOT NULL
  GROUP BY lat, lng
  LIMIT %s)
"""


WORK_MEM = "64MB"


def statement(election, *, door_box_ids, door_limit, links=None):
    """The statement and its parameters (for tallies_and_doors, and for EXPLAIN in tests)."""
    rows = (
        promise_lists.promises(election, links=links)
        .order_by()
        .values(
            "poll_district_id",
            "box_id",
            "postal",
            "voted",
            "wont_vote",
            "do_not_return",
            "postal_at_home",
            lat=F("home__latitude"),
            lng=F("home__longitude"),
        )
    )
    sql, params = rows.query.sql_with_params()
    return _STATEMENT.format(promises=sql), [*params, list(door_box_ids), door_limit]


def run(sql, params):
    """Run `sql` with work_mem raised for it alone (see the module docstring)."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        cursor.execute(sql, params)
        return cursor.fetchall()


def tallies_and_doors(election, *, door_box_ids, door_limit, links=None):
    """See the module docstring (`links`: gotv.promises.box_links(election), if the caller has
    them). Callers scope first (an election from `for_user`)."""
    result = run(*statement(election, door_box_ids=door_box_ids, door_limit=door_limit, links=links))
    tallies = [TallyRow(*row[1:9]) for row in result if row[0] == 0]
    doors = [(row[9], row[10], row[3]) for row in result if row[0] == 1]
    return tallies, doors
