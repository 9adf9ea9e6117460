"""What members tells webhook subscribers (labourhub/webhooks): a member joined (a new member row
from an import) or lapsed (an import moved them to lapsed). Found by SQL, in the import's own
transaction, one statement each. Names, number, status and dates only: never contact details, date
of birth or address (an integration fetches more through the API, with its own scopes).

The SQL text below is fixed (no input in it): values go as parameters."""

from __future__ import annotations

from datetime import datetime

from labourhub.webhooks.models import EventType
from labourhub.webhooks.services import events_emit_sql
from members.models import Status

MEMBER_FIELDS = ("member_id", "membership_number", "first_name", "last_name", "status", "joined_on",
                 "lapsed_on", "branch_id")  # fmt: skip


def _data(alias: str) -> str:
    return f"""jsonb_build_object(
        'member_id', m.id, 'membership_number', {alias}.membership_number, 'first_name', {alias}.first_name,
        'last_name', {alias}.last_name, 'status', {alias}.status, 'joined_on', {alias}.joined_on,
        'lapsed_on', {alias}.lapsed_on, 'branch_id', {alias}.branch_id)"""


def members_lapsing_emit(*, constituency_id: int, now: datetime) -> list[int]:
    """Before the import's UPDATE: members the file moves from another status to lapsed."""
    return events_emit_sql(
        event_type=EventType.MEMBER_LAPSED,
        select=f"""
            SELECT md5('member.lapsed:' || m.id || ':' || %(now)s::text)::uuid AS event_id,
                   m.constituency_id, %(now)s::timestamptz AS occurred_at, {_data("t")} AS data
            FROM members_member m JOIN member_import_rows t ON t.membership_number = m.membership_number
            WHERE m.constituency_id = %(clp)s AND m.status <> %(lapsed)s AND t.status = %(lapsed)s""",
        params={"clp": constituency_id, "now": now, "lapsed": Status.LAPSED},
    )


def members_joined_emit(*, import_id: int, now: datetime) -> list[int]:
    """After the import's INSERT: the members it added."""
    return events_emit_sql(
        event_type=EventType.MEMBER_JOINED,
        select=f"""
            SELECT md5('member.joined:' || m.id)::uuid AS event_id, m.constituency_id,
                   %(now)s::timestamptz AS occurred_at, {_data("m")} AS data
            FROM members_member m WHERE m.source_import_id = %(import)s AND m.created_at = %(now)s""",
        params={"import": import_id, "now": now},
    )
