"""The knocker's pack page read in one statement: the pack's doors in walking order, with the
promises still to get out at each (the knock-up list, gotv.promises.knock_up, at these doors only).

Why written by hand (issue 13, "Performance"): the pack page is the request knockers repeat all
day, ~350 people at 300 doors. Read through the ORM's knock-up list it cost ~37 ms of Python to
build and compile the queryset (two look-ups of its own besides), and Postgres hashed every
source table whole (every intention in the constituency, twice) to answer for 350 electors; the
model instances cost as much again. Here each rule is probed per elector through its index, and
the rows come back as named tuples.

It must stay the same list as `knock_up()`: the same rules, restated below (each marked "as
promises()"), and tests/gotv/test_knockup_pack_read.py checks it against `promises.knock_up` on data
with every kind of adjustment, postal voter, chase, ward, split district and a second election.
A "latest row" is the one with the latest `at`, ties to the higher id, as promises._in_force.

Why never prepared: with prepared statements on (DATABASE_PREPARE_THRESHOLD), psycopg prepares a
statement after that many runs on a connection and PostgreSQL may then keep one generic plan for
every pack; this statement's generic plan cannot see which pack, election and postal list it is
asked about and measured 108 ms of Postgres CPU a refresh against 23 ms for the plan made for the
values at hand. So it runs unprepared (psycopg `prepare=False`: an unnamed statement, planned for
its values at every run), whatever the setting; tests/perf/explain_knockup.py shows both plans on
the polling-day benchmark's data.

Why the string-built SQL is safe: the only text put together is fixed text written in this file
and table names taken from the models; every value (ids, codes, the states from their
TextChoices) is a bound parameter.
"""

from typing import NamedTuple

from campaigns.models import IntentionCode, LatestIntention, PackDoor
from gotv.models import Election, PostalChaseContact, PromiseAdjustment, VoteRecord
from labourhub.models import PollingDistrict
from labourhub.sql_rows import unprepared_cursor
from voters.models import Elector, ElectorMark, Property, RegisterEntry


class PackRow(NamedTuple):
    position: int
    home_id: int
    address: str
    elector_id: int
    first_names: str
    surname: str
    poll_number_raw: str


_T = {
    "door": PackDoor._meta.db_table,
    "property": Property._meta.db_table,
    "elector": Elector._meta.db_table,
    "entry": RegisterEntry._meta.db_table,
    "district": PollingDistrict._meta.db_table,
    "latest": LatestIntention._meta.db_table,
    "code": IntentionCode._meta.db_table,
    "adjustment": PromiseAdjustment._meta.db_table,
    "mark": ElectorMark._meta.db_table,
    "vote": VoteRecord._meta.db_table,
    "chase": PostalChaseContact._meta.db_table,
    "wards": Election.wards.through._meta.db_table,
}

# as promises._adjusted: the value of this elector's latest adjustment of a kind (NULL: none)
_LATEST_ADJUSTMENT = """(SELECT a.value FROM {adjustment} AS a
          WHERE a.election_id = %(election)s AND a.elector_id = elector.id AND a.kind = %({kind})s
          ORDER BY a.at DESC, a.id DESC LIMIT 1)"""

_STATEMENT = """
SELECT door.position, door.property_id,
       (SELECT home.address FROM {property} AS home WHERE home.id = door.property_id),
       elector.id, elector.first_names, elector.surname, entry.elector_number_raw
  FROM {door} AS door
  JOIN {elector} AS elector ON elector.home_id = door.property_id
  JOIN {entry} AS entry  -- as promises.on_register: on the election's register publication
    ON entry.elector_id = elector.id AND entry.publication_id = %(publication)s
 WHERE door.pack_id = %(pack)s
   -- as promises.on_register: a local election with wards named counts only those wards
   AND (NOT EXISTS (SELECT 1 FROM {wards} AS ew WHERE ew.election_id = %(election)s)
        OR EXISTS (SELECT 1 FROM {wards} AS ew JOIN {district} AS pd ON pd.ward_id = ew.ward_id
                    WHERE ew.election_id = %(election)s AND pd.id = entry.polling_district_id))
   -- as promises(): put on by hand (latest PROMISE adjustment true), else ours by canvassing
   -- and not taken off by hand (latest false)
   AND COALESCE({promise}, EXISTS (
           SELECT 1 FROM {latest} AS latest JOIN {code} AS code ON code.id = latest.intention_id
            WHERE latest.elector_id = elector.id AND code.is_ours))
   -- as promises.knock_up: not voted, not won't vote, not do not return
   AND (SELECT count(*) FROM {vote} AS vote
         WHERE vote.election_id = %(election)s AND vote.elector_id = elector.id) = 0
   AND NOT COALESCE({wont_vote}, false)
   AND NOT COALESCE({do_not_return}, false)
   -- postal voters (the election's postal list) only where their latest chase said "at home"
   AND ((SELECT count(*) FROM {mark} AS mark
          WHERE mark.election = %(democracy_club_id)s AND mark.kind = %(postal)s
            AND mark.elector_id = elector.id) = 0
        OR COALESCE((SELECT chase.outcome = %(at_home)s FROM {chase} AS chase
                      WHERE chase.election_id = %(election)s AND chase.elector_id = elector.id
                      ORDER BY chase.at DESC, chase.id DESC LIMIT 1), false))
 ORDER BY door.position, elector.surname, elector.first_names, elector.id
"""
# Counts, not EXISTS, for "voted" and "postal": Postgres may turn NOT EXISTS into a hash of every
# vote record of the election; a scalar subquery is always an index probe for this elector. The
# address likewise, for the doors with someone on them only (a join hashed every home).

_SQL = _STATEMENT.format(
    promise=_LATEST_ADJUSTMENT.format(kind="promise", **_T),
    wont_vote=_LATEST_ADJUSTMENT.format(kind="wont_vote", **_T),
    do_not_return=_LATEST_ADJUSTMENT.format(kind="do_not_return", **_T),
    **_T,
)


def pack_statement(*, pack_id, election):
    """(sql, params) of the pack's read, for pack_rows and for EXPLAIN (tests/perf/explain_knockup.py)."""
    return _SQL, {
        "pack": pack_id,
        "election": election.pk,
        "publication": election.publication_id,
        "democracy_club_id": election.democracy_club_id or None,  # none: nobody is a postal voter
        "promise": PromiseAdjustment.Kind.PROMISE.value,
        "wont_vote": PromiseAdjustment.Kind.WONT_VOTE.value,
        "do_not_return": PromiseAdjustment.Kind.DO_NOT_RETURN.value,
        "postal": ElectorMark.Kind.POSTAL.value,
        "at_home": PostalChaseContact.Outcome.AT_HOME.value,
    }


def pack_rows(*, pack_id, election):
    """[PackRow] of the pack's doors with someone still to knock up, in walking order, each
    door's people by surname. Callers have checked that the pack is the user's to knock."""
    with unprepared_cursor() as cursor:
        cursor.execute(*pack_statement(pack_id=pack_id, election=election))
        return [PackRow(*row) for row in cursor.fetchall()]
