"""Writes in the core: the audit log and grants."""

from django.db import transaction
from django.utils import timezone

from labourhub.client_ip import client_ip
from labourhub.models import AuditEvent, Constituency, Grant, Region


def audit_record(*, action, user=None, request=None, obj=None, constituency=None, region=None, detail=None):
    """Append one row to the audit log. `request` supplies the user, IP and request id."""
    if request is not None:
        user = user or (request.user if request.user.is_authenticated else None)
    if constituency is None and obj is not None:
        constituency = getattr(obj, "audit_constituency", None)
    return AuditEvent.objects.create(
        action=action,
        user=user,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        constituency=constituency,
        region=region or (constituency.region if constituency is not None else None),
        ip_address=client_ip(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        detail=detail or {},
    )


@transaction.atomic
def grant_create(*, user, role, area, granted_by=None, starts_at=None, expires_at=None, reason=""):
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
def grant_revoke(*, grant, revoked_by, reason=""):
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
