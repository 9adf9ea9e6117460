"""Tables of the register of data-subject requests and the breach log. Their app is `labourhub`
(labourhub/models.py imports this module), so the core's one migration history holds them."""

from __future__ import annotations

import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labourhub.dataprotection import clock
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet


class RequestKind(models.TextChoices):
    ACCESS = "access", "Access (a copy of their data)"
    RECTIFICATION = "rectification", "Rectification (correct their data)"
    ERASURE = "erasure", "Erasure"
    OBJECTION = "objection", "Objection to campaigning"
    RESTRICTION = "restriction", "Restriction of processing"
    PORTABILITY = "portability", "Portability"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    AWAITING_ID = "awaiting_id", "Awaiting proof of identity"
    AWAITING_CLARIFICATION = "awaiting_clarification", "Awaiting clarification"
    IN_PROGRESS = "in_progress", "In progress"
    ANSWERED = "answered", "Answered"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The ICO's clock stands still while the requester is asked for ID or clarification.
PAUSED = frozenset({RequestStatus.AWAITING_ID, RequestStatus.AWAITING_CLARIFICATION})
CLOSED = frozenset({RequestStatus.ANSWERED, RequestStatus.REFUSED, RequestStatus.WITHDRAWN})


class Reminder(models.TextChoices):
    WEEK = "week", "7 days before the deadline"
    TWO_DAYS = "two_days", "2 days before the deadline"
    OVERDUE = "overdue", "Overdue"


class SubjectRequestQuerySet(ScopedQuerySet):
    def open(self) -> Self:
        return self.exclude(status__in=CLOSED)

    def running(self) -> Self:
        """Open, with the clock running (not waiting for ID or clarification)."""
        return self.open().exclude(status__in=PAUSED)

    def overdue(self, today: datetime.date) -> Self:
        return self.running().filter(due_on__lt=today)

    def search(self, text: str) -> Self:
        if not text:
            return self
        return self.filter(
            Q(requester_name__icontains=text)
            | Q(requester_contact__icontains=text)
            | Q(reference__iexact=text)
            | Q(subject_label__icontains=text)
        )

    def overdue_first(self, today: datetime.date) -> Self:
        """Overdue open requests first (the most overdue at the top), then open ones by due date,
        then closed ones, newest first."""
        rank = models.Case(
            models.When(Q(status__in=CLOSED), then=models.Value(2)),
            models.When(Q(status__in=PAUSED), then=models.Value(1)),
            models.When(due_on__lt=today, then=models.Value(0)),
            default=models.Value(1),
        )
        return self.annotate(_rank=rank).order_by("_rank", "due_on", "-received_on", "pk")


class SubjectRequest(ScopedModel):
    """A data-subject request received by a CLP, with the ICO's clock. `due_on` is stored (and kept
    by the services) so that lists can sort and filter on it; the rule is in clock.py."""

    scope_path = "constituency"
    scope_action = Action.PROTECT_DATA

    constituency = models.ForeignKey("labourhub.Constituency", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=20, blank=True, help_text="Set when saved: SAR-<year>-<number>.")
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    received_on = models.DateField()
    requester_name = models.CharField(max_length=200)
    requester_contact = models.CharField(
        max_length=300, blank=True, help_text="How to reach them: an email or postal address, a phone number."
    )
    # The person as the platform knows them, found and linked by the handler (an elector and/or a
    # member of this CLP, or someone known only from signing up to an event:
    # labourhub.privacy.person_find), kept as ids so the core imports no app; the label is what the
    # handler typed, or the linked records' names.
    subject_elector_id = models.BigIntegerField(null=True, blank=True)
    subject_member_id = models.BigIntegerField(null=True, blank=True)
    subject_event_contact_id = models.BigIntegerField(null=True, blank=True)
    subject_label = models.CharField(max_length=200, blank=True)
    identity_verified_on = models.DateField(null=True, blank=True)
    identity_verified_how = models.CharField(max_length=200, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=30, choices=RequestStatus.choices, default=RequestStatus.RECEIVED)
    status_reason = models.TextField(blank=True, help_text="Why it was refused or withdrawn.")
    what_was_sent = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    extended_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    paused_since = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    reminders_sent = models.JSONField(default=list, blank=True, help_text="Reminder values sent, once each.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = SubjectRequestQuerySet.as_manager()
    objects = SubjectRequestQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["constituency", "status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(extended_on__isnull=True) | ~Q(extension_reason=""),
                name="dsr_extension_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'Request'}: {self.get_kind_display()} from {self.requester_name}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    @property
    def is_paused(self) -> bool:
        return self.status in PAUSED

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_open and not self.is_paused and self.due_on < today

    def days_to_answer(self) -> int | None:
        if self.closed_on is None or self.status != RequestStatus.ANSWERED:
            return None
        return (self.closed_on - self.received_on).days + 1  # the day of receipt is day one

    def nation(self) -> str:
        return clock.nation_of(self.constituency.gss_code)


class SubjectRequestEvent(ScopedModel):
    """One change to a request (status, extension, identity, what was sent): its timeline. Each is
    also in the audit log."""

    scope_path = "request__constituency"
    scope_action = Action.PROTECT_DATA

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=30, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=RequestStatus.choices, blank=True)
    what = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what}"


class BreachRisk(models.TextChoices):
    UNLIKELY = "unlikely", "Unlikely to result in a risk to people"
    RISK = "risk", "A risk to people (report to the ICO)"
    HIGH = "high", "A high risk (report, and tell the people affected)"


class BreachDecision(models.TextChoices):
    UNDECIDED = "undecided", "Not decided yet"
    REPORT = "report", "Report to the ICO"
    NOT_REPORT = "not_report", "Do not report"


class Breach(ScopedModel):
    """A suspected personal data breach and what was done about it. The ICO's 72-hour clock runs
    from `found_at`."""

    scope_path = "constituency"
    scope_action = Action.PROTECT_DATA

    constituency = models.ForeignKey("labourhub.Constituency", on_delete=models.PROTECT, related_name="+")
    what_happened = models.TextField()
    happened_at = models.DateTimeField(null=True, blank=True, help_text="When it happened, if known.")
    found_at = models.DateTimeField()
    found_by = models.CharField(max_length=200)
    records_affected = models.PositiveIntegerField(null=True, blank=True)
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    kinds_of_data = models.CharField(max_length=300)
    risk = models.CharField(max_length=20, choices=BreachRisk.choices)
    contained = models.BooleanField(default=False)
    decision = models.CharField(
        max_length=20, choices=BreachDecision.choices, default=BreachDecision.UNDECIDED
    )
    decision_reason = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True, help_text="When it was reported to the ICO.")
    ico_reference = models.CharField(max_length=60, blank=True)
    actions_taken = models.TextField(blank=True)
    people_told = models.TextField(blank=True, help_text="Who was told, how and when.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-found_at", "pk"]
        verbose_name_plural = "breaches"
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="undecided") | ~Q(decision_reason=""), name="breach_decision_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Breach found {self.found_at:%d/%m/%Y %H:%M}"

    @property
    def report_deadline(self) -> datetime.datetime:
        return clock.breach_report_deadline(self.found_at)

    def hours_left(self, now: datetime.datetime | None = None) -> float:
        return clock.hours_left(self.report_deadline, now or timezone.now())

    @property
    def clock_stopped(self) -> bool:
        """Reported, or decided not to report: the 72 hours no longer run."""
        return self.reported_at is not None or self.decision == BreachDecision.NOT_REPORT
