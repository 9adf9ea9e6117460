"""Writes of the API's tokens: made (the secret returned once, only its hash kept) and revoked."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from labourhub.api_v1.base import token_hash
from labourhub.api_v1.models import ApiToken, Scope
from labourhub.scoping_sql import mfa_missing
from labourhub.services import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from labourhub.models import User

SECRET_PREFIX = "lh_"  # noqa: S105  (a visible prefix, not a secret)


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token of `user`; returns it and its secret (shown once, never stored). A user whose
    roles need MFA must have set it up first."""
    if mfa_missing(user):
        raise PermissionDenied("Set up two-factor authentication before making an API token.")
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValueError(f"Unknown or missing scopes: {sorted(unknown)}")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        secret_hash=token_hash(secret),
        scopes=sorted(scopes),
        expires_at=expires_at,
    )
    audit_record(
        action="api.token_create",
        user=user,
        request=request,
        obj=token,
        detail={
            "name": name,
            "scopes": sorted(scopes),
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken, request: HttpRequest | None = None) -> ApiToken:
    """Stop `token` working from its next call (it stays listed, revoked)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="api.token_revoke", user=user, request=request, obj=token, detail={"name": token.name}
        )
    return token
