"""The status page's tables. None holds personal data except StatusSubscriber (a user's choice to be
emailed); the rest are check results, states and texts operators type for the public."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Component(models.TextChoices):
    """What a CLP officer recognises, in the order the page shows them."""

    SIGN_IN = "sign_in", "Signing in"
    SYNC = "sync", "Canvassing on phones (sync)"
    PHONE_BANK = "phone_bank", "Phone bank"
    MEMBER_EMAILS = "member_emails", "Member emails"
    IMPORTS = "imports", "Register and member imports"
    POLLING_DAY = "polling_day", "Polling day"
    API = "api", "API"


class State(models.TextChoices):
    OPERATIONAL = "operational", "Working"
    DEGRADED = "degraded", "Slow or partly late"
    PARTIAL_OUTAGE = "partial_outage", "Partly down"
    MAJOR_OUTAGE = "major_outage", "Down"
    MAINTENANCE = "maintenance", "Maintenance"


DOWN_STATES = (State.PARTIAL_OUTAGE, State.MAJOR_OUTAGE)


class CheckResult(models.Model):
    """One row per check round per component (raw; kept STATUS_RAW_RETENTION_DAYS days)."""

    component = models.CharField(max_length=20, choices=Component.choices)
    at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices)
    failed = models.PositiveSmallIntegerField(help_text="Probes that failed in this round.")
    probes = models.PositiveSmallIntegerField()
    slowest_ms = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=300, blank=True, help_text="What failed, in plain words.")

    class Meta:
        indexes = [models.Index(fields=["component", "-at"], name="status_result_latest")]

    def __str__(self):
        return f"{self.get_component_display()} {self.at:%Y-%m-%d %H:%M:%S} {self.state}"


class ComponentStatus(models.Model):
    """A component's current state and how many rounds in a row it has failed (two before down)."""

    component = models.CharField(max_length=20, choices=Component.choices, primary_key=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPERATIONAL)
    failures_in_a_row = models.PositiveSmallIntegerField(default=0)
    since = models.DateTimeField()
    checked_at = models.DateTimeField()
    detail = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"{self.get_component_display()}: {self.state}"


class DailyUptime(models.Model):
    """Check rounds per component per day (Europe/London), for the 90-day bars."""

    component = models.CharField(max_length=20, choices=Component.choices)
    day = models.DateField()
    up_rounds = models.PositiveIntegerField(default=0)
    down_rounds = models.PositiveIntegerField(default=0)
    maintenance_rounds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["component", "day"], name="status_daily_unique")]

    def __str__(self):
        return f"{self.component} {self.day}"


class Transition(models.Model):
    """A component going down or coming back: a row, emailed to subscribers once (notified_at)."""

    component = models.CharField(max_length=20, choices=Component.choices)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["at"], name="status_transition_unsent", condition=Q(notified_at=None))
        ]

    def __str__(self):
        return f"{self.component}: {self.from_state} -> {self.to_state}"


class Heartbeat(models.Model):
    """A scheduled job's last ping (healthchecks.io style: late after its period, down after the grace)."""

    job = models.CharField(max_length=80, primary_key=True, help_text="Its CELERY_BEAT_SCHEDULE name.")
    first_seen_at = models.DateTimeField(help_text="When the status checks first expected it.")
    last_ping_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.job


class Incident(models.Model):
    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    class Impact(models.TextChoices):
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    title = models.CharField(max_length=200)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MINOR)
    components = models.JSONField(default=list, blank=True, help_text="Component keys affected.")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.INVESTIGATING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    postmortem = models.TextField(blank=True, help_text="What happened and what changes, once resolved.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class IncidentUpdate(models.Model):
    """A timed update; the incident's status is the latest update's."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=15, choices=Incident.Status.choices)
    body = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.incident}: {self.status} {self.at:%Y-%m-%d %H:%M}"


class Maintenance(models.Model):
    title = models.CharField(max_length=200)
    components = models.JSONField(default=list, help_text="Component keys under maintenance.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="status_maintenance_order"
            )
        ]

    def __str__(self):
        return self.title


class StatusSubscriber(models.Model):
    """An officer who asked to be emailed when a component goes down or comes back."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_subscription"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"subscriber {self.user_id}"
