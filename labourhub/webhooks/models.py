"""Webhooks (issue 18, item 5): an integration's subscription to a CLP's events, one delivery row per
event and subscription, and each attempt at sending it (the delivery log).

Defined in this package and imported by labourhub.models, so they belong to the core app (as the
data protection models do): every app's services emit into them without the core importing an app.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from labourhub.scoping import Action, ScopedModel


class EventType(models.TextChoices):
    CONTACT_RECORDED = "contact.recorded", "Contact recorded (door or phone)"
    MEMBER_JOINED = "member.joined", "Member joined"
    MEMBER_LAPSED = "member.lapsed", "Member lapsed"
    SIGNUP_CREATED = "signup.created", "Event sign-up"
    TELLING_RECORDED = "telling.recorded", "Telling (an elector told as voted)"
    PING = "ping", "Test (the send-test button)"


# What the owner must be allowed to see, in the subscription's CLP, for each event type: the action
# that reading the record itself needs (voters.Contact, members.Member, campaigns.Signup,
# gotv.Telling). Checked when subscribing and again before every send.
EVENT_ACTIONS = {
    EventType.CONTACT_RECORDED: Action.VIEW_VOTERS,
    EventType.MEMBER_JOINED: Action.VIEW_MEMBERS,
    EventType.MEMBER_LAPSED: Action.VIEW_MEMBERS,
    EventType.SIGNUP_CREATED: Action.ORGANISE,
    EventType.TELLING_RECORDED: Action.TELL,
    EventType.PING: Action.ORGANISE,
}
# Owning a subscription at all (the pages, and every send) needs this in its CLP.
SUBSCRIBE_ACTION = Action.ORGANISE


class Subscription(ScopedModel):
    scope_path = "constituency"
    scope_action = SUBSCRIBE_ACTION

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped: the owner may no longer see this data"

    constituency = models.ForeignKey("labourhub.Constituency", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    event_types = ArrayField(models.CharField(max_length=30, choices=EventType.choices))
    # Fernet token of the signing secret (labourhub.webhooks.signing): readable only with SECRET_KEY.
    secret_encrypted = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    stopped_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "webhook_subscription"
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["constituency", "state"], name="webhook_subscription_clp")]

    def __str__(self):
        return self.name


class Delivery(ScopedModel):
    """One event for one subscription: unique per (subscription, event), so an event is never
    queued twice; `key` is the Idempotency-Key, the same on every attempt."""

    scope_path = "subscription__constituency"
    scope_action = SUBSCRIBE_ACTION

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed: every retry was refused"
        STOPPED = "stopped", "Not sent: the subscription stopped"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=30, choices=EventType.choices)
    event_id = models.UUIDField()
    key = models.UUIDField(unique=True, default=uuid.uuid4)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "webhook_delivery"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due", condition=models.Q(state="pending")
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.key}"


class Attempt(ScopedModel):
    """One POST of a delivery: when, the answer's status code (none when there was no answer), the
    first characters of the answer or the error, how long it took."""

    scope_path = "delivery__subscription__constituency"
    scope_action = SUBSCRIBE_ACTION

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    excerpt = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "webhook_attempt"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.status_code}"
