"""Writes in the core: the audit log and grants."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from psycopg.types.json import Jsonb

from labourhub.client_ip import client_ip
from labourhub.models import AuditEvent, Constituency, Grant, PrivacyNotice, Region
from labourhub.scoping_sql import constituencies_sql

if TYPE_CHECKING:
    from labourhub.models import User
    from labourhub.scoping import Action


def audit_record(
    *,
    action: str,
    user: User | None = None,
    request: HttpRequest | None = None,
    obj: Model | None = None,
    constituency: Constituency | None = None,
    region: Region | None = None,
    detail: dict[str, Any] | None = None,
    scope_action: Action | None = None,
) -> AuditEvent:
    """Append to the audit log. `request` supplies the user, the client's address and the request id.

    An event about one record carries that record's constituency (given, or the object's
    `audit_constituency`). A list, search or export spans every area where the user may do
    `scope_action`: it is written once per constituency there (one INSERT), so each CLP's and each
    region's audit page shows it with a plain filter on its own area. Returns the (first) event.
    """
    if request is not None:
        user = user or (request.user if request.user.is_authenticated else None)
    if constituency is None and obj is not None:
        constituency = getattr(obj, "audit_constituency", None)
    fields = {
        "action": action,
        "user": user,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "ip_address": client_ip(request) if request is not None else None,
        "request_id": getattr(request, "request_id", "") if request is not None else "",
        "detail": detail or {},
    }
    # The operator's reach is every CLP: their events stay platform-wide, read by the operator.
    spans_areas = scope_action is not None and user is not None and not user.is_superuser
    if constituency is None and region is None and spans_areas:
        events = _audit_record_per_area(fields, constituencies_sql(user, scope_action))  # type: ignore[arg-type]  # spans_areas: both set
        if events:
            return events[0]
    return AuditEvent.objects.create(
        constituency=constituency,
        region=region or (constituency.region if constituency is not None else None),
        **fields,
    )


_COLUMNS = ("at", "user_id", "action", "object_type", "object_id", "ip_address", "request_id", "detail")


def _audit_record_per_area(fields: dict[str, Any], areas: tuple[str, Any]) -> list[AuditEvent]:
    """One row per constituency of `areas` (scoping_sql's `SELECT id` of them, compiled once per
    process: compiling constituencies_for here was ~2 ms of every audited list and API write), in one
    INSERT ... SELECT (no extra query, so pinned query counts of list pages hold). The SQL is built
    from constant column names and scoping's own compiled subquery; every value is a bound parameter."""
    area_ids, area_params = areas
    table = Constituency._meta.db_table
    subquery = f"SELECT c.id, c.region_id FROM {table} c WHERE c.id IN ({area_ids})"
    subquery_params = list(area_params)
    row = {"at": timezone.now(), **fields, "user_id": fields["user"].pk, "detail": Jsonb(fields["detail"])}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(_COLUMNS)}, constituency_id, region_id) "
            f"SELECT {', '.join(['%s'] * len(_COLUMNS))}, area.id, area.region_id FROM ({subquery}) AS area (id, region_id) "
            "RETURNING id, constituency_id, region_id",
            [*(row[column] for column in _COLUMNS), *subquery_params],
        )
        created = cursor.fetchall()
    return [
        AuditEvent(pk=pk, constituency_id=constituency_id, region_id=region_id, **fields | {"at": row["at"]})
        for pk, constituency_id, region_id in created
    ]


@transaction.atomic
def grant_create(
    *,
    user: User,
    role: str,
    area: Constituency | Region,
    granted_by: User | None = None,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    reason: str = "",
) -> Grant:
    """Give `user` a role over a constituency or a region, and log it."""
    grant = Grant.all_objects.create(
        user=user,
        role=role,
        constituency=area if isinstance(area, Constituency) else None,
        region=area if isinstance(area, Region) else None,
        starts_at=starts_at or timezone.now(),
        expires_at=expires_at,
        granted_by=granted_by,
        reason=reason,
    )
    audit_record(
        action="grant.create",
        user=granted_by,
        obj=grant,
        constituency=grant.constituency,
        region=grant.region,
        detail={"holder": user.email, "role": role, "reason": reason},
    )
    return grant


@transaction.atomic
def grant_revoke(*, grant: Grant, revoked_by: User | None, reason: str = "") -> Grant:
    """Revoke at once; the holder's next request is refused."""
    grant.revoked_at = timezone.now()
    grant.revoked_by = revoked_by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="grant.revoke",
        user=revoked_by,
        obj=grant,
        constituency=grant.constituency,
        region=grant.region,
        detail={"holder": grant.user.email, "role": grant.role, "reason": reason},
    )
    return grant


@transaction.atomic
def retention_apply(*, constituency: Constituency, at: datetime | None = None) -> dict[str, int]:
    """Remove (anonymise or delete) what every category holds past its period in `constituency` at
    `at` (now by default), in one transaction, and write the counts to the audit log
    (`retention.run`, the CLP's area): the preview page shows the last one. Categories held by design
    (the append-only audit log) are counted under `held`, never removed."""
    from labourhub import retention

    at = at or timezone.now()
    removed: dict[str, int] = {}
    held: dict[str, int] = {}
    cutoffs: dict[str, str] = {}
    for item in retention.due(constituency, at):
        cutoffs[item.category.key] = item.cutoff.isoformat()
        if item.category.held:
            held[item.category.key] = item.count
        else:
            removed[item.category.key] = item.category.remove(item.queryset)
    audit_record(
        action="retention.run",
        constituency=constituency,
        detail={"at": at.isoformat(), "removed": removed, "held": held, "cutoffs": cutoffs},
    )
    return removed


@transaction.atomic
def privacy_notice_update(*, user: User, constituency: Constituency, **details: Any) -> PrivacyNotice:
    """Save a CLP's details as controller on its privacy notice (the fields of PrivacyNotice), and log
    it with the fields that changed."""
    notice = PrivacyNotice.objects.select_for_update().filter(constituency=constituency).first()
    notice = notice or PrivacyNotice.for_constituency(constituency)
    changed = [name for name, value in details.items() if getattr(notice, name) != value]
    for name, value in details.items():
        setattr(notice, name, value)
    notice.updated_at, notice.updated_by = timezone.now(), user
    if notice.pk is None:
        notice.save()
    else:
        notice.save(update_fields=[*details, "updated_at", "updated_by"])
    audit_record(
        action="privacy_notice.update",
        user=user,
        obj=notice,
        constituency=constituency,
        detail={"changed": changed},
    )
    return notice
