"""The board's heavy read in one statement: the promise counts per (district, box) and the
not-yet-voted promises by door for the map, from ONE evaluation of the promise list.

Why written by hand (issue 13, "Performance"): the ORM's promise list (`gotv.promises.promises`,
the one definition of who is a promise) starts from the electors and joins their register entries
and homes for all 25,000 promises of a constituency, and compiling it cost the request ~35 ms of
Python before Postgres started. The board needs neither the elector row nor the home for its
counts: every fact it counts is keyed by elector id, which the register entry has. So here the
promise list is read from the register entries alone (one row per promise, with its flags) and the
homes are joined only for the map's doors (the knock-up list at the boxes shown). On the
benchmark's 75,000 electors this halves Postgres' work for the counts (tests/perf/bench_board.py).

It must stay the same list as `promises()`: the same rules, restated in SQL below (marked "as
promises()" where each comes from), and tests/gotv/test_board_perf.py checks every count and
door against `promises.counts` / `promises.knock_up` on data with every kind of adjustment,
postal voter, chase, ward, split district and a second election.

Who is a promise is decided per register entry, by LEFT JOINs to the elector's latest intention
(if ours) and latest promise adjustment: it was a `promised` CTE, the UNION of every elector with
an intention of ours and every adjustment, hashed and de-duplicated before the entries were read,
so a committee room's board paid for the whole constituency's latest intentions. Now only the
room's entries are looked up (on the benchmark's data: a room's statement 87 -> 57 ms, the
overview's 138 -> 127 ms, best of 8 under load; same rows).

The facts are joined (LEFT JOIN to one row per elector: each source is unique per elector, or made
so by DISTINCT ON as `_in_force` picks the latest row), not tested with `pk IN (subquery)`: a hash
join that outgrows work_mem spills to disk in batches, where a hashed SubPlan silently falls back
to re-running the subquery for every row, the cliff a 40,000-elector board once fell off. The
statement still runs with work_mem = WORK_MEM (SET LOCAL: this transaction only) so nothing spills
at a constituency's size.

Where each promise votes: a whole district's box comes from a hash join to the election's
(district, box) pairs, passed as two arrays; only a split district's ranges are a CASE, tried
first (`_box_case`). A CASE with a WHEN per district, tried in turn for every promise, was ~10% of
the overview's statement on the benchmark's 60 districts. The map's doors are counted per home
before the homes are read, so each home is read once (one hash join at a constituency's size)
rather than looked up by index once per elector.

Why never prepared: as gotv/knockup_sql.py's, the statement runs unprepared (an unnamed statement,
planned for its values at every run: labourhub.sql_rows.unprepared_cursor), whatever
DATABASE_PREPARE_THRESHOLD. Its text no longer depends on the number of districts, so one prepared
statement would serve every election on a connection, and Postgres kept the generic plan (blind
to the election, the publication, the districts) after five runs; a room's statement, with its
district filter, already did before.

Why the string-built SQL is safe: the only text put together here is fixed text written in this
file, table names taken from the models, and one `WHEN ... THEN` per range of a split district
whose values are all bound parameters; every value (ids, codes, the states from their
TextChoices, the arrays of districts and boxes, the limit) is a parameter.

tallies_and_doors(election, *, door_box_ids, door_limit, district_ids=None) -> (rows, doors)
    rows:  [TallyRow(poll_district_id, box_id, promises, postal, voted, wont_vote, do_not_return,
           to_get_out)], one per (district, box), of `district_ids` only when given (a room's
           board: a third of the work where three rooms share a constituency)
    doors: [(latitude, longitude, electors)] of the knock-up list (gotv.promises.knock_up) at boxes
           `door_box_ids` with a location, at most `door_limit` rows (unordered, as before)
"""

from typing import NamedTuple

from django.db import connection, transaction

from campaigns.models import IntentionCode, LatestIntention
from gotv import promises as promise_lists
from gotv.models import PostalChaseContact, PromiseAdjustment, VoteRecord
from labourhub.models import PollingDistrict
from labourhub.sql_rows import unprepared_cursor
from voters.models import Elector, ElectorMark, Property, RegisterEntry


class TallyRow(NamedTuple):
    poll_district_id: int
    box_id: int | None
    promises: int
    postal: int
    voted: int
    wont_vote: int
    do_not_return: int
    to_get_out: int


_T = {
    "entry": RegisterEntry._meta.db_table,
    "district": PollingDistrict._meta.db_table,
    "latest": LatestIntention._meta.db_table,
    "code": IntentionCode._meta.db_table,
    "adjustment": PromiseAdjustment._meta.db_table,
    "mark": ElectorMark._meta.db_table,
    "vote": VoteRecord._meta.db_table,
    "chase": PostalChaseContact._meta.db_table,
    "elector": Elector._meta.db_table,
    "property": Property._meta.db_table,
}

# The knock-up rule (gotv.promises.knock_up) over the flags; keep the two the same.
_GET_OUT = "NOT voted AND NOT wont_vote AND NOT do_not_return AND (NOT postal OR postal_at_home)"

_STATEMENT = """
WITH adjusted AS (  -- as promises._adjusted: each elector's latest adjustment of each kind
    SELECT DISTINCT ON (elector_id, kind) elector_id, kind, value
      FROM {adjustment}
     WHERE election_id = %(election)s
     ORDER BY elector_id, kind, at DESC, id DESC
),
chased AS (  -- as promises(): the latest postal chase contact per elector
    SELECT DISTINCT ON (elector_id) elector_id, outcome
      FROM {chase}
     WHERE election_id = %(election)s
     ORDER BY elector_id, at DESC, id DESC
),
p AS MATERIALIZED (
    SELECT entry.elector_id, entry.polling_district_id AS poll_district_id, {box} AS box_id,
           mark.elector_id IS NOT NULL AS postal,
           vote.elector_id IS NOT NULL AS voted,
           COALESCE(wont.value, false) AS wont_vote,
           COALESCE(dnr.value, false) AS do_not_return,
           COALESCE(chased.outcome = %(at_home)s, false) AS postal_at_home
      FROM {entry} AS entry{wards}
      LEFT JOIN ({latest} AS latest JOIN {code} AS code ON code.id = latest.intention_id AND code.is_ours)
             ON latest.elector_id = entry.elector_id
      LEFT JOIN adjusted AS promise ON promise.elector_id = entry.elector_id AND promise.kind = %(promise)s
      LEFT JOIN adjusted AS wont ON wont.elector_id = entry.elector_id AND wont.kind = %(wont_vote)s
      LEFT JOIN adjusted AS dnr ON dnr.elector_id = entry.elector_id AND dnr.kind = %(do_not_return)s
      LEFT JOIN unnest(%(whole_districts)s::bigint[], %(whole_boxes)s::bigint[]) AS whole(district_id, box_id)
             ON whole.district_id = entry.polling_district_id
      LEFT JOIN {mark} AS mark
             ON mark.elector_id = entry.elector_id AND mark.election = %(democracy_club_id)s
            AND mark.kind = %(postal)s
      LEFT JOIN {vote} AS vote ON vote.elector_id = entry.elector_id AND vote.election_id = %(election)s
      LEFT JOIN chased ON chased.elector_id = entry.elector_id
     WHERE entry.publication_id = %(publication)s{districts}
       -- as promises(): ours by canvassing and not taken off by hand, or put on by hand (the
       -- latest adjustment decides when there is one), read for these entries' electors only
       AND COALESCE(promise.value, latest.elector_id IS NOT NULL)
)
SELECT 0 AS part, poll_district_id, box_id, COUNT(*) AS n,
       COUNT(*) FILTER (WHERE postal), COUNT(*) FILTER (WHERE voted),
       COUNT(*) FILTER (WHERE wont_vote), COUNT(*) FILTER (WHERE do_not_return),
       COUNT(*) FILTER (WHERE {get_out}),
       NULL::double precision AS lat, NULL::double precision AS lng
  FROM p
 GROUP BY poll_district_id, box_id
UNION ALL
(SELECT 1, NULL, NULL, SUM(at_home.n)::bigint, 0, 0, 0, 0, 0, home.latitude, home.longitude
   FROM (SELECT elector.home_id, COUNT(*) AS n  -- per home first: a door is looked up once
           FROM p
           JOIN {elector} AS elector ON elector.id = p.elector_id
          WHERE {get_out} AND p.box_id = ANY(%(door_boxes)s::bigint[])
          GROUP BY elector.home_id) AS at_home
   JOIN {property} AS home ON home.id = at_home.home_id
  WHERE home.latitude IS NOT NULL AND home.longitude IS NOT NULL
  GROUP BY home.latitude, home.longitude
  LIMIT %(door_limit)s)
"""

_WARDS = (
    "\n      JOIN {district} AS ward_pd ON ward_pd.id = entry.polling_district_id"
    " AND ward_pd.ward_id = ANY(%(wards)s::bigint[])"
).format(**_T)


# A committee room's board reads only its boxes' polling districts (all of each, so a split
# district's line is whole); the overview reads them all.
_DISTRICTS = "\n       AND entry.polling_district_id = ANY(%(districts)s::bigint[])"

WORK_MEM = "64MB"


def _box_case(links, params):
    """The box each (district, number) votes at, as promises._box_case: a split district's ranges
    first, then whole districts, the first that matches wins. A split district's ranges are a
    CASE; a whole district's box is a hash join to (district, box) arrays (the `whole` join), not a
    WHEN per district tried in turn for every promise (60 districts: ~15% of the overview's
    statement). Values go into `params`."""
    ranged = [link for link in links if link.first_number is not None or link.last_number is not None]
    whole = {}
    for link in links:
        if link.first_number is None and link.last_number is None:
            whole.setdefault(link.polling_district_id, link.box_id)  # the first whole link wins
    params["whole_districts"], params["whole_boxes"] = list(whole), list(whole.values())
    whens = []
    for n, link in enumerate(ranged):
        params[f"d{n}"], params[f"b{n}"] = link.polling_district_id, link.box_id
        condition = f"entry.polling_district_id = %(d{n})s"
        if link.first_number is not None:
            params[f"f{n}"] = link.first_number
            condition += f" AND entry.elector_number >= %(f{n})s"
        if link.last_number is not None:
            params[f"l{n}"] = link.last_number
            condition += f" AND entry.elector_number <= %(l{n})s"
        whens.append(f"WHEN {condition} THEN %(b{n})s::bigint")
    return f"COALESCE(CASE {' '.join(whens)} END, whole.box_id)" if whens else "whole.box_id"


def statement(election, *, door_box_ids, door_limit, links=None, district_ids=None):
    """The statement and its parameters (for tallies_and_doors, and for EXPLAIN in tests).
    `district_ids`: only these polling districts' promises (a room's); None: every district."""
    if links is None:
        links = promise_lists.box_links(election)
    ward_ids = list(election.wards.values_list("pk", flat=True))  # as promises.on_register
    params = {
        "election": election.pk,
        "publication": election.publication_id,
        "democracy_club_id": election.democracy_club_id or None,  # none: nobody is a postal voter
        "wards": ward_ids,
        "promise": PromiseAdjustment.Kind.PROMISE.value,
        "wont_vote": PromiseAdjustment.Kind.WONT_VOTE.value,
        "do_not_return": PromiseAdjustment.Kind.DO_NOT_RETURN.value,
        "postal": ElectorMark.Kind.POSTAL.value,
        "at_home": PostalChaseContact.Outcome.AT_HOME.value,
        "door_boxes": list(door_box_ids),
        "door_limit": door_limit,
        "districts": list(district_ids or ()),
    }
    box = _box_case(links, params)
    districts = _DISTRICTS if district_ids is not None else ""
    sql = _STATEMENT.format(
        box=box, wards=_WARDS if ward_ids else "", districts=districts, get_out=_GET_OUT, **_T
    )
    return sql, params


def run(sql, params):
    """Run `sql` with work_mem raised for it alone, never prepared (see the module docstring)."""
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        with unprepared_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def tallies_and_doors(election, *, door_box_ids, door_limit, links=None, district_ids=None):
    """See the module docstring (`links`: gotv.promises.box_links(election), if the caller has
    them; `district_ids`: only these districts' rows, as `statement`). Callers scope first (an
    election from `for_user`)."""
    result = run(
        *statement(
            election, door_box_ids=door_box_ids, door_limit=door_limit, links=links, district_ids=district_ids
        )
    )
    tallies = [TallyRow(*row[1:9]) for row in result if row[0] == 0]
    doors = [(row[9], row[10], row[3]) for row in result if row[0] == 1]
    return tallies, doors
