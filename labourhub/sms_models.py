"""Tables of text messages (issue 17, item 3): the sent-log, one row per message, and the numbers
that texted STOP. Their app is `labourhub` (labourhub/models.py imports this module); the sending is
in labourhub/sms.py."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from labourhub.scoping import Action, ScopedModel, ScopedQuerySet


class SmsMessageQuerySet(ScopedQuerySet):
    pass


class SmsMessage(ScopedModel):
    """One text message, sent once: `key` names what it is for (an event reminder to one booking,
    a knock-up message to one voter) and is unique, so planning it twice plans one row. The worker
    claims the row (queued → sending) before calling the provider; the provider's delivery receipts
    move it on (sent → delivered / undelivered / failed)."""

    scope_path = "constituency"
    scope_action = Action.ORGANISE

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        SENDING = "sending", "Being sent"
        RETRY = "retry", "Provider unreachable: to be tried again"
        UNKNOWN = "unknown", "No answer from the provider: not tried again, it may have gone"
        SKIPPED = "skipped", "Not sent: no SMS consent, or the number texted STOP"
        ACCEPTED = "accepted", "Accepted by the provider"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Not delivered"
        FAILED = "failed", "Failed"

    constituency = models.ForeignKey("labourhub.Constituency", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100, unique=True)
    to = models.CharField(max_length=16, help_text="E.164, e.g. +447700900123")
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    provider_sid = models.CharField(max_length=64, blank=True, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    unscoped = SmsMessageQuerySet.as_manager()
    objects = SmsMessageQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = "SMS message"

    def __str__(self) -> str:
        return f"{self.key} to {self.to}: {self.status}"


class SmsOptOut(models.Model):
    """A number that texted STOP (or another of the provider's stop words): never texted again,
    whichever CLP holds it, until it texts START. Kept by number only, across CLPs, because the
    provider's opt-out is per number too."""

    number = models.CharField(max_length=16, unique=True, help_text="E.164")
    keyword = models.CharField(max_length=20)
    opted_out_at = models.DateTimeField(default=timezone.now)
    opted_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self) -> str:
        return self.number

    @property
    def active(self) -> bool:
        return self.opted_in_at is None
