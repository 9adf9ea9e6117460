"""The tombstones (voters.models.Suppression) checked at each intake of voters' data: which electors
an objection or an erasure covers, in one statement however many there are.

The keyed hash is labourhub.privacy's: `tombstone_key` in Python, `tombstone_key_sql` in PostgreSQL.
String-built SQL here comes from `tombstone_key_sql` (column names written below, keys bound as
parameters) and constant text; every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection
from django.db.models import Q

from labourhub.privacy import tombstone_key, tombstone_key_sql
from voters.models import Suppression

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

    from voters.models import Elector


def elector_tombstone_key(elector: Elector) -> str:
    return tombstone_key(elector.surname, elector.first_names)


def _elector_key_sql(alias: str = "e") -> tuple[str, list[bytes]]:
    return tombstone_key_sql(f"{alias}.surname", f"{alias}.first_names")


def suppressed_sql(alias: str = "e") -> tuple[str, list[Any]]:
    """(sql, params): a boolean expression, whether a tombstone of their CLP covers the elector row
    `alias` (a caller reading electors asks it in the same statement: `Elector.suppressed_at_read`)."""
    key_sql, key_params = _elector_key_sql(alias)
    return (
        f"""EXISTS (SELECT 1 FROM labourhub_pollingdistrict pd JOIN voters_suppression s
                      ON s.constituency_id = pd.constituency_id AND s.field = %s AND s.key = {key_sql}
                     WHERE pd.id = {alias}.polling_district_id)""",
        [Suppression.Field.NAME, *key_params],
    )


def suppressed_elector_ids(electors: Iterable[Elector]) -> set[int]:
    """Which of these electors a tombstone (objection or erasure) of their CLP covers: asked of those
    whose read did not say already (`suppressed_at_read`), in one statement."""
    electors = list(electors)
    found = {e.pk for e in electors if e.suppressed_at_read}
    ids = sorted({e.pk for e in electors if e.suppressed_at_read is None})
    if not ids:
        return found
    sql, params = suppressed_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT e.id FROM voters_elector e WHERE e.id = ANY(%s) AND {sql}", [ids, *params])
        return found | {pk for (pk,) in cursor.fetchall()}


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


def name_parts(name: str) -> tuple[str, str] | None:
    """(surname, first names) of a name typed in one box ("Jane Mary Smith", "Smith, Jane Mary"), as
    an elector's tombstone keys them; None for a single word (no surname to tell apart)."""
    if "," in name:
        surname, _, first = (part.strip() for part in name.partition(","))
        return (surname, first) if surname and first else None
    words = name.split()
    return (words[-1], " ".join(words[:-1])) if len(words) > 1 else None


def erased_identity(*, constituency_id: int, name: str, email: str) -> bool:
    """Whether an erasure tombstone of the CLP covers a person who gives only a name and an email (an
    event sign-up): their address, or their name read as first names then surname. Objections are not
    checked here: signing up is the person's own request, with its own consent."""
    keys = Q(field=Suppression.Field.EMAIL, key=tombstone_key(email.strip())) if email.strip() else Q()
    parts = name_parts(name)
    if parts:
        keys |= Q(field=Suppression.Field.NAME, key=tombstone_key(*parts))
    if not keys:
        return False
    return Suppression.unscoped.filter(
        keys, constituency_id=constituency_id, kind=Suppression.Kind.ERASURE
    ).exists()


def erased_event_contact_ids(constituency_id: int) -> list[int]:
    """The CLP's event contacts whose address an erasure tombstone covers (a restore from backup
    brought them back): one statement, the key computed in PostgreSQL."""
    key_sql, key_params = tombstone_key_sql("c.email")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.id FROM campaigns_eventcontact c WHERE c.constituency_id = %s AND EXISTS (
                  SELECT 1 FROM voters_suppression s
                  WHERE s.constituency_id = c.constituency_id AND s.field = %s AND s.kind = %s
                    AND s.key = {key_sql})""",
            [constituency_id, Suppression.Field.EMAIL, Suppression.Kind.ERASURE, *key_params],
        )
        return [pk for (pk,) in cursor.fetchall()]
