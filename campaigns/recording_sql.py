"""Recording a canvass visit, as constant SQL: the look-ups a write needs and the write itself.

Why: issue 18's API write (one contact a call, through the phone pages' own `sync_batch` and
`canvass_record_visits`) spent most of its Python having Django build and compile querysets, not
running them: the pack with its walk list, campaign and CLP (~2 ms a write), the door outcomes,
and the visit's insert inside a savepoint, its contact inside another, the elector's last contact
and the visit's contact link (eight statements for three rows). Here each is one statement whose
text is built once per process, so Postgres keeps it prepared and Python compiles nothing.

The rules stay where they were: the pack rule is scoping's own, compiled by `labourhub.scoping_sql`;
what a contact is, and that the last-contact time only moves forwards, is `voters.services.
contact_record`'s (tests/campaigns/test_recording_sql.py compares the rows both write).

Why the SQL is safe: its text is built only from our models' table and column names, constant
fragments and scoping_sql's Django-compiled rule; every value is a bound parameter.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connection

from campaigns.models import CallList, Campaign, DoorOutcome, Pack, Visit, WalkList
from labourhub.models import Constituency
from labourhub.sql_rows import columns as _columns
from labourhub.sql_rows import instances as _instances
from labourhub.webhooks.models import EventType, Subscription
from voters.models import Contact, Elector

# --- look-ups ------------------------------------------------------------------------------------

_PACK_SQL = (
    f"SELECT {_columns(Pack, 'p')}, {_columns(WalkList, 'w')}, {_columns(Campaign, 'c')}, "
    f"{_columns(Constituency, 'k')}, EXISTS ({{rule}}) "
    f"FROM {Pack._meta.db_table} p JOIN {WalkList._meta.db_table} w ON w.id = p.walk_list_id "
    f"JOIN {Campaign._meta.db_table} c ON c.id = w.campaign_id "
    f"JOIN {Constituency._meta.db_table} k ON k.id = c.constituency_id WHERE p.id = %s"
)
_CALL_LIST_SQL = (
    f"SELECT {_columns(CallList, 'l')}, {_columns(Campaign, 'c')}, {_columns(Constituency, 'k')}, "
    f"EXISTS ({{rule}}) "
    f"FROM {CallList._meta.db_table} l JOIN {Campaign._meta.db_table} c ON c.id = l.campaign_id "
    f"JOIN {Constituency._meta.db_table} k ON k.id = c.constituency_id WHERE l.id = %s"
)


class Source(NamedTuple):
    row: Pack | CallList
    campaign: Campaign
    open_to_user: bool  # the pages' own rule (Pack/CallList.objects.for_user) answers yes, now


def source_with_rule(kind: str, pk: int, rule: tuple[str, Sequence[Any]]) -> Source | None:
    """The pack (kind "pack") or call list `pk` with its campaign and CLP, and whether `rule` (the
    compiled `SELECT pk` of the model's scoping for this user and row, from scoping_sql) finds it:
    one statement. None when there is no such row."""
    rule_sql, rule_params = rule
    sql = (_PACK_SQL if kind == "pack" else _CALL_LIST_SQL).replace("{rule}", rule_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rule_params, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    if kind == "pack":
        pack, walk_list, campaign, constituency = _instances(row, Pack, WalkList, Campaign, Constituency)
        pack.walk_list, walk_list.campaign = walk_list, campaign
        found: Pack | CallList = pack
    else:
        found, campaign, constituency = _instances(row, CallList, Campaign, Constituency)
        found.campaign = campaign
    campaign.constituency = constituency
    return Source(found, campaign, bool(row[-1]))


_OUTCOMES_SQL = (
    f"SELECT {_columns(DoorOutcome, 'o')} FROM {DoorOutcome._meta.db_table} o WHERE o.code = ANY (%s)"
)


def door_outcomes(codes: Sequence[str]) -> list[DoorOutcome]:
    """The door and phone outcomes with these codes (reference data)."""
    with connection.cursor() as cursor:
        cursor.execute(_OUTCOMES_SQL, [list(codes)])
        return [_instances(row, DoorOutcome)[0] for row in cursor.fetchall()]


# --- the write -----------------------------------------------------------------------------------

# Every column of a visit but its id and contact (the contact's id is drawn in the statement).
_VISIT_FIELDS = [f for f in Visit._meta.concrete_fields if f.attname not in ("id", "contact_id")]
# The contact's columns beyond the visit's: (name in `given`, type).
_CONTACT_EXTRA = [("contact_at", "timestamptz"), ("contact_outcome", "text"), ("campaign_label", "text"),
                  ("source", "text")]  # fmt: skip
_GIVEN = [*(f.column for f in _VISIT_FIELDS), *(name for name, _ in _CONTACT_EXTRA)]
_ROW = "(" + ", ".join(
    [*(f"%s::{f.cast_db_type(connection)}" for f in _VISIT_FIELDS), *(f"%s::{t}" for _, t in _CONTACT_EXTRA)]
) + ")"  # fmt: skip
_VISIT_COLUMNS = ", ".join(f'"{f.column}"' for f in _VISIT_FIELDS)
_INSERT_SQL = f"""
WITH given ({", ".join(_GIVEN)}) AS (VALUES {{rows}}),
visit AS (
  INSERT INTO {Visit._meta.db_table} ({_VISIT_COLUMNS}, contact_id)
  SELECT {_VISIT_COLUMNS}, nextval(pg_get_serial_sequence('{Contact._meta.db_table}', 'id')) FROM given
  ORDER BY client_uuid  -- one lock order on the UUID index for every batch
  ON CONFLICT (client_uuid) DO NOTHING
  RETURNING id, client_uuid, contact_id),
contact AS (
  INSERT INTO {Contact._meta.db_table} (id, elector_id, channel, at, by_id, campaign_label, campaign_ref,
                                        outcome, notes, source, created_at)
  SELECT visit.contact_id, g.elector_id, g.channel, g.contact_at, g.canvasser_id, g.campaign_label,
         g.client_uuid::text, g.contact_outcome, g.notes, g.source, statement_timestamp()
    FROM visit JOIN given g USING (client_uuid)
  RETURNING id, elector_id, at, created_at),
latest AS (SELECT elector_id, max(at) AS at FROM contact GROUP BY elector_id ORDER BY elector_id),
moved AS (  -- only ever forwards: a contact recorded late (offline) must not move it back
  UPDATE {Elector._meta.db_table} e SET last_contact_at = latest.at FROM latest
   WHERE e.id = latest.elector_id AND (e.last_contact_at IS NULL OR e.last_contact_at < latest.at))
SELECT visit.id, visit.client_uuid, contact.id, contact.created_at,
       EXISTS (SELECT 1 FROM {Subscription._meta.db_table} WHERE state = %s AND %s = ANY (event_types))
  FROM visit JOIN contact ON contact.id = visit.contact_id
"""
_SUBSCRIBED = [Subscription.State.ACTIVE.value, EventType.CONTACT_RECORDED.value]


class Stored(NamedTuple):
    visit_id: int
    contact_id: int
    contact_created_at: Any
    subscribed: bool  # an active webhook subscription wants contact.recorded (campaigns/webhooks.py)


class VisitRow(NamedTuple):
    visit: Visit  # unsaved, every field set but its contact
    contacted_at: Any
    outcome_label: str
    campaign_label: str
    source: str


def visits_with_contacts_insert(rows: Sequence[VisitRow]) -> dict[uuid.UUID, Stored]:
    """Insert each visit whose client UUID is new, with its contact (as `voters.services.contact_record`
    writes one) and its elector's last contact moved on, and say whether anyone subscribes to the
    contacts (where no one does, the usual case, the webhook look costs no statement): one statement.
    A UUID already stored (or stored by a concurrent request, which this waits for) is left alone and
    missing from the answer."""
    if not rows:
        return {}
    params: list[Any] = []
    for row in rows:
        visit = row.visit
        params.extend(f.get_db_prep_save(getattr(visit, f.attname), connection) for f in _VISIT_FIELDS)
        params.extend([row.contacted_at, row.outcome_label, row.campaign_label, row.source])
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL.replace("{rows}", ", ".join([_ROW] * len(rows))), [*params, *_SUBSCRIBED])
        return {
            client_uuid: Stored(pk, contact, created, subscribed)
            for pk, client_uuid, contact, created, subscribed in cursor
        }
