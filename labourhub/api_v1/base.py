"""What every /api/v1/ view shares: token authentication (or the site's session), scopes
intersected with the owner's grants at every call, cursor pagination, rate limits and
problem+json errors.

A viewset declares, per kind of call, the scope a token needs and the Action the page it mirrors
needs (`read_scope`/`read_action`, `write_scope`/`write_action`). Its querysets go through
`Model.objects.for_user(request.user, action)` as the pages do: `request.user` is the token's owner,
so a token never sees more than its owner, and the grant is asked afresh on every call.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import authentication, exceptions, mixins, permissions, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from labourhub.api_v1.models import ApiToken, Scope
from labourhub.api_v1.problems import problem_exception_handler
from labourhub.api_v1.ratelimit import rate_limit_hit
from labourhub.api_v1.token_sql import token_with_owner
from labourhub.client_ip import client_ip
from labourhub.scoping import Action, can
from labourhub.scoping_sql import mfa_missing_as_loaded
from labourhub.services import audit_record

LAST_USED_EVERY = timedelta(minutes=1)  # `last_used_at` is written at most this often per token
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`, or `OSDI-API-Token: <token>` (the OSDI header)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        secret = ""
        if header[:7].lower() == "bearer ":
            secret = header[7:].strip()
        elif request.META.get("HTTP_OSDI_API_TOKEN"):
            secret = request.META["HTTP_OSDI_API_TOKEN"].strip()
        elif header:
            return None  # another scheme: not ours
        else:
            return None
        if not secret:
            raise exceptions.AuthenticationFailed("The Authorization header has no token after Bearer.")
        view = request.parser_context.get("view") if request.parser_context else None
        asks = getattr(view, "scope_and_action", None)
        token = token_with_owner(
            token_hash(secret), asks(request.method not in SAFE_METHODS)[1] if asks else None
        )
        if token is None:
            raise exceptions.AuthenticationFailed("This token is not known.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This token's owner can no longer sign in.")
        if mfa_missing_as_loaded(token.user):
            raise exceptions.PermissionDenied(
                "This token's owner must set up two-factor authentication again."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenScope(permissions.BasePermission):
    """A signed-in user, or a token with the scope for this kind of call. No role is asked for: the
    resources everyone has of their own (access's holdings and requests) need only this."""

    message = "You have no role that allows this."

    def has_permission(self, request: Request, view: Any) -> bool:
        scope, _ = self.scope_held(request, view)
        return scope is not None

    @staticmethod
    def scope_held(request: Request, view: Any) -> tuple[Scope | None, Action | None]:
        """The view's (scope, action) for this call; 401 signed out, 403 for a token without the scope."""
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Send a token: Authorization: Bearer <token>.")
        scope, action = view.scope_and_action(request.method not in SAFE_METHODS)
        if scope is not None and isinstance(request.auth, ApiToken) and scope not in request.auth.scopes:
            raise exceptions.PermissionDenied(f"This token lacks the scope {scope}.")
        return scope, action


class ScopeAndGrant(TokenScope):
    """A token needs the scope for this kind of call; the owner (or the signed-in user) needs, now,
    a grant for the Action of the page the call mirrors."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scope, action = self.scope_held(request, view)
        if scope is None or action is None:
            return False
        if not (request.user.is_superuser or _may_now(request, action)):
            raise exceptions.PermissionDenied(
                f"You hold no grant that allows this now ({action.label.lower()})."
            )
        return True


def _may_now(request: Request, action: Action) -> bool:
    """Does the user hold a grant for `action` now? Asked afresh on every call: a token's own statement
    answered it for the call's action (token_sql), a session asks scoping.can."""
    token = request.auth
    if isinstance(token, ApiToken) and action in token.owner_may:
        return bool(token.owner_may[action])
    return can(request.user, action)


class Cursor(CursorPagination):
    """Keyset paging in a stable order (the primary key): no COUNT, and the last page costs what the
    first does."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "pk"


class ApiViewSet(viewsets.GenericViewSet):
    # The site's own session (with its CSRF check) still works, for the docs page and a signed-in browser.
    authentication_classes = [TokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [ScopeAndGrant]
    pagination_class = Cursor
    read_scope: Scope | None = None
    read_action: Action | None = None
    write_scope: Scope | None = None
    write_action: Action | None = None

    def scope_and_action(self, write: bool) -> tuple[Scope | None, Action | None]:
        return (self.write_scope, self.write_action) if write else (self.read_scope, self.read_action)

    def get_exception_handler(self):
        return problem_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)
        keys = [f"addr:{client_ip(request)}"]
        if isinstance(request.auth, ApiToken):
            keys.append(f"token:{request.auth.pk}")
        verdict = rate_limit_hit(keys=keys, write=request.method not in SAFE_METHODS)
        self.rate_headers = {
            "RateLimit-Limit": str(verdict.limit),
            "RateLimit-Remaining": str(verdict.remaining),
            "RateLimit-Reset": str(verdict.reset),
        }
        if not verdict.allowed:
            raise exceptions.Throttled(
                wait=verdict.reset,
                detail=f"At most {verdict.limit} such calls a second; try again in {verdict.reset} s.",
            )
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in getattr(self, "rate_headers", {}).items():
            response[name] = value
        return response


def parse_modified_since(request: Request) -> Any:
    """`?modified_since=` as an aware datetime, or None; a 400 naming the parameter when malformed."""
    raw = request.query_params.get("modified_since")
    if not raw:
        return None
    try:
        when = parse_datetime(raw)
    except ValueError:
        when = None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when is None:
        raise exceptions.ValidationError(
            {"modified_since": f"{raw!r} is not a date and time, e.g. 2026-11-01T00:00:00Z."}
        )
    return when


class ReadSchema(AutoSchema):
    """A read resource's list documents `modified_since` when the resource filters on it."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if getattr(self.view, "action", None) == "list" and getattr(self.view, "modified_field", None):
            parameters.append(
                OpenApiParameter(
                    "modified_since", OpenApiTypes.DATETIME, description=self.view.modified_since_help
                )
            )
        return parameters


class ReadListViewSet(mixins.ListModelMixin, ApiViewSet):
    """What every read resource of /api/v1/ does the same way: its rows come from `scoped_queryset()`
    (the page's own scoping, with the token's owner as the user), narrowed by `?modified_since=` on
    `modified_field` when set, paged by cursor; each list is audited (`audit_list`, with the query and
    the token) as the page it mirrors is. A list only: ReadViewSet reads single rows too."""

    schema = ReadSchema()
    modified_field: str | None = None
    modified_since_help = "Changed at or after this time"
    audit_list = ""

    def scoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        rows = self.scoped_queryset()
        if self.modified_field:
            since = parse_modified_since(self.request)
            if since is not None:
                rows = rows.filter(**{f"{self.modified_field}__gte": since})
        return rows

    def _token_pk(self) -> int | None:
        return self.request.auth.pk if isinstance(self.request.auth, ApiToken) else None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        audit_record(
            action=self.audit_list,
            request=request,
            scope_action=self.read_action,
            detail={"query": request.GET.urlencode(), "token": self._token_pk()},
        )
        return super().list(request, *args, **kwargs)


class ReadViewSet(mixins.RetrieveModelMixin, ReadListViewSet):
    """A read resource with its single rows (`/<id>/`), each read audited as `audit_detail`."""

    audit_detail = ""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row: Model = self.get_object()
        audit_record(action=self.audit_detail, request=request, obj=row, detail={"token": self._token_pk()})
        return Response(self.get_serializer(row).data)


from labourhub.api_v1 import schema as _schema  # noqa: E402, F401  (registers the token scheme with drf-spectacular)
