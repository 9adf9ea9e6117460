"""API tokens and the stored answers of idempotent POSTs. Imported by labourhub.models, so they
belong to the core app (its migrations)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    """What a token may be used for. A scope only narrows: each call also needs the owner's grant
    for the Action the page it mirrors needs (labourhub.api_v1.base.ApiViewSet)."""

    ELECTORS_READ = "electors:read", "Read and search the register's electors"
    CONTACTS_READ = "contacts:read", "Read contacts and canvass visits"
    CONTACTS_WRITE = "contacts:write", "Record contacts (canvass visits and calls)"
    CAMPAIGNS_READ = "campaigns:read", "Read campaigns and their surveys"
    WALKLISTS_READ = "walklists:read", "Read walk lists, and packs with their doors"
    PHONEBANK_READ = "phonebank:read", "Read call lists and their outcomes"
    MEMBERS_READ = "members:read", "Read members and their consents"
    MEMBERS_WRITE = "members:write", "Change members' consents"
    ACCESS_READ = "access:read", "Read access holdings and requests"
    ACCESS_WRITE = "access:write", "Create access requests"
    EVENTS_READ = "events:read", "Read events, their shifts and (organisers) their sign-ups"
    EVENTS_WRITE = "events:write", "Sign people up to events"
    TELLINGS_READ = "tellings:read", "Read polling-day box counts"
    TELLINGS_WRITE = "tellings:write", "Send polling-day tellings (poll numbers seen voting)"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A named token of one user. Only the SHA-256 of its secret is kept (the secret is shown once,
    when it is made); `prefix` (the secret's first characters) lets its owner tell tokens apart."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=40, choices=Scope.choices))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    # What the statement that authenticates a call (token_sql) says of the owner, as of that moment:
    # {Action: holds a grant for it now}.
    owner_may: Mapping[str, bool] = MappingProxyType({})

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_words(self) -> list[tuple[str, str]]:
        """(plain words, name) for each scope, for the token page: `electors:read` alone means little
        to a CLP officer. A name no longer in Scope keeps its name as its words."""
        words = dict(Scope.choices)
        return [(words.get(name, name), name) for name in self.scopes]

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class IdempotentRequest(models.Model):
    """One POST made with an `Idempotency-Key`: the key, who sent it (token, or user for a session),
    the hash of what was sent and the answer given, replayed for a repeat of the same request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "token", "key"], name="idempotent_request_once", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.key} ({self.status})"
