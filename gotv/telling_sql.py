"""Hand-written SQL for the tellers' hot path: a telling is one statement, a batch's box one more.

Why by hand: on polling day every teller's number is a request, and the ORM spent more CPU
compiling the five statements of a telling than PostgreSQL spent running them (issue 13,
"Performance"). Here a telling is one statement: it resolves the typed number against the
election's register publication within the box's districts, inserts the telling ON CONFLICT
(client_uuid) DO NOTHING and the elector's VoteRecord ON CONFLICT DO NOTHING (locking an existing
one FOR SHARE, as gotv.services._vote_record_insert does, so an undo about to delete it waits for
this telling), and returns what the phone needs. For a batch of one telling it also writes the
batch's audit row (TellingAudit), so the row is in the telling's transaction: no statement and no
commit (WAL flush) of its own, no ORM to compile it.

Why it is safe: every value reaches PostgreSQL as a bound parameter (%(name)s); the only text put
into the SQL is the table names below, constants taken from the models. States (the VoteRecord's
source) are passed as parameters from their TextChoices; the one piece of SQL not written here
is the scoping rule's, compiled by Django from labourhub.scoping.constituencies_for with its own
parameters (through labourhub.scoping_sql, which compiles it once per process). Nothing here decides who may do what: `election_read` reports whether the election
is in the user's scope and the caller refuses; `box_context` reads a box only together with its
election's id; the telling statement runs only for an election and box the caller let through.

Why prepared: PostgreSQL spent longer planning the telling statement (about 0.6 ms) than running
it (about 0.25 ms). The three statements here run on a server-binding cursor that prepares them
(psycopg `prepare=True`: parsed and planned once per connection, then only executed); the
project's other queries keep Django's default client-side binding. Prepared statements live in
the database session, so this needs a direct connection or session pooling (not PgBouncer's
transaction pooling, which the project does not use).

Rows come back as named tuples.
"""

import json
from typing import NamedTuple

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor

from gotv.models import BallotBox, BallotBoxDistrict, Election, Telling, VoteRecord
from gotv.poll_numbers import BoxDistricts
from labourhub.models import AuditEvent, Constituency, PollingDistrict, Region
from labourhub.webhooks.models import EventType, Subscription
from voters.models import Elector, RegisterEntry

_T = {
    "box": BallotBox._meta.db_table,
    "link": BallotBoxDistrict._meta.db_table,
    "district": PollingDistrict._meta.db_table,
    "election": Election._meta.db_table,
    "telling": Telling._meta.db_table,
    "vote": VoteRecord._meta.db_table,
    "entry": RegisterEntry._meta.db_table,
    "elector": Elector._meta.db_table,
    "constituency": Constituency._meta.db_table,
    "region": Region._meta.db_table,
    "subscription": Subscription._meta.db_table,
    "audit": AuditEvent._meta.db_table,
}


class _PreparedCursor(ServerBindingCursor):
    """Server-side binding, and every statement prepared (see the module docstring)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _prepared_cursor():
    """Django's cursor (query logging, execute wrappers, error wrapping) on a _PreparedCursor."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_PreparedCursor(connection.connection))


def _columns(model):
    return [f.attname for f in model._meta.concrete_fields]


_ELECTION_PARTS = [(model, _columns(model)) for model in (Election, Constituency, Region)]
_ELECTION_SQL = """
SELECT {columns}, c.id IN ({{scope}}) AS allowed
  FROM {election} AS e
  JOIN {constituency} AS c ON c.id = e.constituency_id
  JOIN {region} AS r ON r.id = c.region_id
 WHERE e.id = %s
""".format(
    columns=", ".join(
        f"{alias}.{model._meta.get_field(name).column}"
        for alias, (model, names) in zip("ecr", _ELECTION_PARTS, strict=True)
        for name in names
    ),
    **_T,
)


def election_read(*, election_id, scope):
    """(election, allowed) or (None, False): the election with its constituency and region (the
    audit row names both), as Election.objects.select_related("constituency__region") gives it,
    and whether its constituency is in `scope`, the (sql, params) of
    labourhub.scoping_sql.constituencies_sql(user, action) (scoping's rule as Django compiles
    it, parameters and all). The election is read whether or not it is allowed: the late-entry
    rule needs it; the caller refuses."""
    scope_sql, scope_params = scope
    with _prepared_cursor() as cursor:
        cursor.execute(_ELECTION_SQL.format(scope=scope_sql), [*scope_params, election_id])
        row = cursor.fetchone()
    if row is None:
        return None, False
    return _election_of(row)


def _election_of(row):
    """(election, allowed) from an _ELECTION_SQL row."""
    objects, start = [], 0
    for model, names in _ELECTION_PARTS:
        objects.append(model.from_db(connection.alias, names, row[start : start + len(names)]))
        start += len(names)
    election, constituency, region = objects
    constituency.region = region
    election.constituency = constituency
    return election, bool(row[-1])


class BoxRow(NamedTuple):
    id: int
    election_id: int
    station_id: int
    label: str
    co_located: bool
    kind: (
        str | None
    )  # "link": a district the box (or its co-located station) serves; "district": any of the constituency's
    district_id: int | None
    code: str | None
    first_number: int | None
    last_number: int | None


_BOX_SQL = """
WITH box AS (
    SELECT id, election_id, station_id, label, co_located
      FROM {box} WHERE id = %(box)s AND election_id = %(election)s
)
SELECT box.id, box.election_id, box.station_id, box.label, box.co_located,
       r.kind, r.district_id, r.code, r.first_number, r.last_number
  FROM box
  LEFT JOIN LATERAL (
        SELECT 'link' AS kind, link.polling_district_id AS district_id, pd.code,
               link.first_number, link.last_number
          FROM {box} AS served
          JOIN {link} AS link ON link.box_id = served.id
          JOIN {district} AS pd ON pd.id = link.polling_district_id
         WHERE served.station_id = box.station_id AND (box.co_located OR served.id = box.id)
        UNION ALL
        SELECT 'district', pd.id, pd.code, NULL, NULL
          FROM {election} AS e
          JOIN {district} AS pd ON pd.constituency_id = e.constituency_id
         WHERE e.id = box.election_id
  ) AS r ON true
""".format(**_T)


def box_context(*, box_id, election_id):
    """(BallotBox, BoxDistricts) for box `box_id` of election `election_id`, or (None, None): one
    statement where BallotBox + BoxDistricts.of took three (the same BoxDistricts, through
    BoxDistricts.build)."""
    with _prepared_cursor() as cursor:
        cursor.execute(_BOX_SQL, {"box": box_id, "election": election_id})
        return _box_of([BoxRow(*row) for row in cursor.fetchall()])


# The election read and its box read in one statement, for a batch's first entry (which names
# both): the box's rows as _BOX_SQL gives them, joined to the election row (repeated on each).
_ELECTION_AND_BOX_SQL = _ELECTION_SQL.replace(" AS allowed\n", " AS allowed, b.*\n").replace(
    "\n WHERE e.id = %s",
    """
  LEFT JOIN LATERAL (
        SELECT box.id, box.election_id, box.station_id, box.label, box.co_located,
               d.kind, d.district_id, d.code, d.first_number, d.last_number
          FROM {box} AS box
          LEFT JOIN LATERAL (
                SELECT 'link' AS kind, link.polling_district_id AS district_id, pd.code,
                       link.first_number, link.last_number
                  FROM {box} AS served
                  JOIN {link} AS link ON link.box_id = served.id
                  JOIN {district} AS pd ON pd.id = link.polling_district_id
                 WHERE served.station_id = box.station_id AND (box.co_located OR served.id = box.id)
                UNION ALL
                SELECT 'district', pd.id, pd.code, NULL, NULL
                  FROM {district} AS pd
                 WHERE pd.constituency_id = e.constituency_id
          ) AS d ON true
         WHERE box.id = %s AND box.election_id = e.id
  ) AS b ON true
 WHERE e.id = %s""".format(**_T),
)
assert _ELECTION_AND_BOX_SQL != _ELECTION_SQL
_ELECTION_WIDTH = sum(len(names) for _, names in _ELECTION_PARTS) + 1  # + allowed


def election_and_box_read(*, election_id, box_id, scope):
    """(election, allowed, box, districts): election_read and box_context in one statement (box
    and districts None when the box is not the election's, all four None/False without the
    election). The box is read only together with its election, as box_context reads it; the
    caller refuses an election that is not allowed before it uses the box."""
    scope_sql, scope_params = scope
    with _prepared_cursor() as cursor:
        cursor.execute(_ELECTION_AND_BOX_SQL.format(scope=scope_sql), [*scope_params, box_id, election_id])
        rows = cursor.fetchall()
    if not rows:
        return None, False, None, None
    election, allowed = _election_of(rows[0][:_ELECTION_WIDTH])
    box, districts = _box_of(
        [BoxRow(*row[_ELECTION_WIDTH:]) for row in rows if row[_ELECTION_WIDTH] is not None]
    )
    return election, allowed, box, districts


def _box_of(rows):
    """(BallotBox, BoxDistricts) from a box's BoxRows, or (None, None) for none."""
    if not rows:
        return None, None
    head = rows[0]
    box = BallotBox(
        id=head.id,
        election_id=head.election_id,
        station_id=head.station_id,
        label=head.label,
        co_located=head.co_located,
    )
    box._state.adding, box._state.db = False, connection.alias
    districts = BoxDistricts.build(
        ((r.district_id, r.code, r.first_number, r.last_number) for r in rows if r.kind == "link"),
        ((r.district_id, r.code) for r in rows if r.kind == "district"),
    )
    return box, districts


class TellingRow(NamedTuple):
    """One row per register entry the number may name (in id order); at least one row. The first
    four columns are the same on every row."""

    prior_id: int | None  # a telling with this client UUID was already stored (nothing written)
    telling_id: int | None  # the telling this statement stored
    vote_record_id: int | None  # the VoteRecord it inserted: this is the elector's first "voted"
    held_id: int | None  # the elector's existing VoteRecord, now locked FOR SHARE
    told_elector_id: int | None  # the elector the stored telling names
    elector_id: int | None  # a candidate entry (None on the one row when there is none)
    polling_district_id: int | None
    elector_number: int | None
    elector_suffix: int | None
    elector_number_raw: str | None
    code: str | None  # the candidate's polling district code
    first_names: str | None
    surname: str | None
    subscribed: bool  # an active webhook subscription wants telling.recorded (gotv/webhooks.py)
    audit_id: int | None  # the audit row this statement wrote (TellingAudit; found or already_told)


class TellingAudit(NamedTuple):
    """The audit row of a batch of one telling (gotv.telling_sync), written by the telling
    statement itself when the statement alone decides the outcome: the telling stored and either
    the elector's first VoteRecord inserted ("found") or their existing one locked
    ("already_told"). Its columns are audit_record's for that batch: action, the teller, no
    object, the election's constituency and region, the client's address and the request id,
    detail {status: 1}. In any other outcome the statement writes none and the caller audits."""

    action: str
    ip_address: str | None
    request_id: str
    constituency_id: int
    region_id: int | None


# `chosen` is resolution_of's choice (gotv.poll_numbers): with a prefix the first entry, if the box
# covers it; without, the one entry the box covers, when there is exactly one.
_TELLING_SQL = """
WITH prior AS (
    SELECT id FROM {telling} WHERE client_uuid = %(uuid)s
),
box_districts AS (
    SELECT * FROM unnest(%(box_districts)s::bigint[], %(firsts)s::integer[], %(lasts)s::integer[])
           AS bd(district_id, first_number, last_number)
),
candidates AS (
    SELECT entry.id, entry.elector_id, entry.polling_district_id, entry.elector_number,
           entry.elector_suffix, entry.elector_number_raw, pd.code, el.first_names, el.surname,
           EXISTS (SELECT 1 FROM box_districts bd
                    WHERE bd.district_id = entry.polling_district_id
                      AND (bd.first_number IS NULL
                           OR entry.elector_number BETWEEN bd.first_number AND bd.last_number)) AS on_box
      FROM {entry} AS entry
      JOIN {elector} AS el ON el.id = entry.elector_id
      JOIN {district} AS pd ON pd.id = entry.polling_district_id
     WHERE entry.publication_id = %(publication)s
       AND entry.polling_district_id = ANY(%(search)s::bigint[])
       AND entry.elector_number = %(number)s
       AND entry.elector_suffix = %(suffix)s
),
chosen AS (
    SELECT c.* FROM candidates c
     WHERE NOT EXISTS (SELECT 1 FROM prior)
       AND c.on_box
       AND CASE WHEN %(prefixed)s THEN c.id = (SELECT min(id) FROM candidates)
                ELSE (SELECT count(*) FROM candidates WHERE on_box) = 1 END
),
told AS (
    INSERT INTO {telling} (client_uuid, election_id, box_id, teller_id, raw_number, elector_id,
                           polling_district_id, elector_number, elector_suffix, recorded_at,
                           received_at, downloaded_at, flags)
    SELECT %(uuid)s, %(election)s, %(box)s, %(teller)s, %(raw_number)s, elector_id,
           polling_district_id, elector_number, elector_suffix, %(recorded_at)s,
           %(received_at)s, %(downloaded_at)s, %(flags)s::jsonb
      FROM chosen
    ON CONFLICT (client_uuid) DO NOTHING
    RETURNING id, elector_id, polling_district_id
),
voted AS (
    INSERT INTO {vote} (election_id, elector_id, polling_district_id, source, at, telling_id,
                        knock_up_outcome_id)
    SELECT %(election)s, elector_id, polling_district_id, %(source)s, %(recorded_at)s, id, NULL
      FROM told
    ON CONFLICT (election_id, elector_id) DO NOTHING
    RETURNING id
),
held AS (
    SELECT v.id FROM {vote} AS v JOIN told ON v.elector_id = told.elector_id
     WHERE v.election_id = %(election)s
       FOR SHARE OF v
),
audited AS (
    INSERT INTO {audit} (at, user_id, action, object_type, object_id, constituency_id, region_id,
                         ip_address, request_id, detail)
    SELECT %(received_at)s, %(teller)s, %(audit_action)s, '', '', %(audit_constituency)s,
           %(audit_region)s, %(audit_ip)s::inet, %(audit_request)s,
           jsonb_build_object(CASE WHEN EXISTS (SELECT 1 FROM voted) THEN 'found'
                                   ELSE 'already_told' END, 1)
      FROM told
     WHERE %(audit)s AND (EXISTS (SELECT 1 FROM voted) OR EXISTS (SELECT 1 FROM held))
    RETURNING id
)
SELECT (SELECT id FROM prior), (SELECT id FROM told), (SELECT id FROM voted), (SELECT id FROM held),
       (SELECT elector_id FROM told),
       c.elector_id, c.polling_district_id, c.elector_number, c.elector_suffix,
       c.elector_number_raw, c.code, c.first_names, c.surname,
       EXISTS (SELECT 1 FROM {subscription} WHERE state = %(active)s AND %(event)s = ANY (event_types)),
       (SELECT id FROM audited)
  FROM (SELECT 1) AS one
  LEFT JOIN candidates c ON true
 ORDER BY c.id
""".format(**_T)


def telling_insert(
    *,
    client_uuid,
    election,
    box,
    box_districts,
    teller,
    raw_number,
    number,
    search,
    recorded_at,
    received_at,
    downloaded_at,
    flags,
    audit=None,
):
    """Run the telling statement (see the module docstring); [TellingRow, ...]. `number` is the
    parsed PollNumber, `search` the district ids from gotv.poll_numbers.districts_to_search;
    `audit` a TellingAudit, or None for no audit row."""
    served = list(box_districts.ranges.items())
    params = {
        "uuid": client_uuid,
        "election": election.pk,
        "box": box.pk,
        "teller": teller.pk,
        "raw_number": raw_number,
        "publication": election.publication_id,
        "search": list(search),
        "number": number.number,
        "suffix": number.suffix,
        "prefixed": bool(number.prefix),
        "box_districts": [pd for pd, _ in served],
        "firsts": [bounds[0] if bounds else None for _, bounds in served],
        "lasts": [bounds[1] if bounds else None for _, bounds in served],
        "recorded_at": recorded_at,
        "received_at": received_at,
        "downloaded_at": downloaded_at,
        "flags": json.dumps(flags),
        "source": VoteRecord.Source.TELLING.value,
        "active": Subscription.State.ACTIVE.value,
        "event": EventType.TELLING_RECORDED.value,
        "audit": audit is not None,
        "audit_action": audit.action if audit else "",
        "audit_ip": audit.ip_address if audit else None,
        "audit_request": audit.request_id if audit else "",
        "audit_constituency": audit.constituency_id if audit else None,
        "audit_region": audit.region_id if audit else None,
    }
    with _prepared_cursor() as cursor:
        cursor.execute(_TELLING_SQL, params)
        return [TellingRow(*row) for row in cursor.fetchall()]
