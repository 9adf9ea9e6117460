"""The tombstones (voters.models.Suppression) checked at each intake of voters' data: which electors
an objection or an erasure covers, in one statement however many there are.

The keyed hash is labourhub.privacy's: `tombstone_key` in Python, `tombstone_key_sql` in PostgreSQL.
String-built SQL here comes from `tombstone_key_sql` (column names written below, keys bound as
parameters) and constant text; every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection

from labourhub.privacy import tombstone_key, tombstone_key_sql
from voters.models import Suppression

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

    from voters.models import Elector


def elector_tombstone_key(elector: Elector) -> str:
    return tombstone_key(elector.surname, elector.first_names)


def _elector_key_sql(alias: str = "e") -> tuple[str, list[bytes]]:
    return tombstone_key_sql(f"{alias}.surname", f"{alias}.first_names")


def suppressed_elector_ids(elector_ids: Iterable[int]) -> set[int]:
    """Which of these electors a tombstone (objection or erasure) of their CLP covers."""
    ids = sorted(set(elector_ids))
    if not ids:
        return set()
    key_sql, key_params = _elector_key_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT e.id FROM voters_elector e
                JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id
                WHERE e.id = ANY(%s) AND EXISTS (
                  SELECT 1 FROM voters_suppression s
                  WHERE s.constituency_id = pd.constituency_id AND s.field = %s AND s.key = {key_sql})""",
            [ids, Suppression.Field.NAME, *key_params],
        )
        return {pk for (pk,) in cursor.fetchall()}


class Caught(NamedTuple):
    matched: int  # electors a tombstone covers
    flagged: int  # of them, newly flagged do not contact
    erased_ids: list[int]  # of them, covered by an erasure (their party data must stay gone)


def flag_suppressed(cursor: CursorWrapper, constituency_id: int, *, on_register_only: bool = True) -> Caught:
    """Flag do not contact every elector of the CLP a tombstone covers; count them. The register
    import calls this after each import; `reapply_suppressions` for every elector (a restore)."""
    key_sql, key_params = _elector_key_sql()
    cursor.execute(
        f"""WITH hit AS (
              SELECT DISTINCT ON (e.id) e.id, e.do_not_contact, s.reason, s.created_at, s.kind
              FROM voters_elector e
              JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id
              JOIN voters_suppression s ON s.constituency_id = pd.constituency_id AND s.field = %s
                   AND s.key = {key_sql}
              WHERE pd.constituency_id = %s AND (e.on_register OR NOT %s)
              ORDER BY e.id, s.kind = %s DESC
            ), flagged AS (
              UPDATE voters_elector e SET do_not_contact = true, do_not_contact_reason = hit.reason,
                     do_not_contact_at = hit.created_at
              FROM hit WHERE hit.id = e.id AND NOT hit.do_not_contact
              RETURNING e.id
            )
            SELECT (SELECT count(*) FROM hit), (SELECT count(*) FROM flagged),
                   coalesce((SELECT array_agg(id ORDER BY id) FROM hit WHERE kind = %s), '{{}}')""",
        [
            Suppression.Field.NAME,
            *key_params,
            constituency_id,
            on_register_only,
            Suppression.Kind.ERASURE,
            Suppression.Kind.ERASURE,
        ],
    )
    matched, flagged, erased = cursor.fetchone()
    return Caught(matched, flagged, list(erased))
