"""How people get access: the catalogue of tools and their rules, requests, decisions, holdings.

A request moves through steps (endorsement by the CLP, review by the region). Every
decision is an inserted `Decision` row (a database trigger refuses UPDATE and DELETE);
the request's status is updated from it by a service in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labourhub.models import Constituency, Region, Role, Ward
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet

if TYPE_CHECKING:
    from datetime import datetime


class Level(models.TextChoices):
    WARD = "ward", "A ward"
    CONSTITUENCY = "constituency", "A constituency (CLP)"
    REGION = "region", "A region"


def default_endorser_roles():
    return [Role.CLP_SECRETARY, Role.CLP_OFFICER]


def default_approver_roles():
    return [Role.REGIONAL_STAFF]


# Only the lowest roles are ever approved automatically (issue 10): a tool for anything more waits
# for people to decide. A visiting activist's day at a checked-in session (issue 17) is one of them.
AUTO_APPROVE_ROLES = (Role.CANVASSER, Role.TELLER, Role.VISITING_ACTIVIST)

# How senior each role is, for the rule that nobody decides on a role as high as their own: a tool
# hands out a role only if every role that may endorse or approve it ranks above it. The top roles
# (CLP secretary, area administrator, regional staff) outrank every decider, so no tool hands them
# out: the platform operator gives them (as grants).
ROLE_RANK = {
    Role.VISITING_ACTIVIST: 1,
    Role.CANVASSER: 1,
    Role.TELLER: 1,
    Role.ORGANISER: 2,
    Role.CASEWORKER: 2,
    Role.CLP_OFFICER: 3,
    Role.DATA_PROTECTION_LEAD: 3,
    Role.CLP_SECRETARY: 4,
    Role.ADMIN: 4,
    Role.REGIONAL_STAFF: 4,
}


def roles_in_words(roles):
    """["clp_secretary", "clp_officer"] -> "CLP secretary or CLP officer"."""
    labels = [Role(role).label for role in roles]
    return " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)


class ToolQuerySet(models.QuerySet):
    def offered(self) -> Self:
        return self.filter(is_active=True)


class Tool(models.Model):
    """One entry in the catalogue: a LabourHub role or an outside tool, with its rules in plain words."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True, help_text="What the tool is for, in plain language.")
    role = models.CharField(
        max_length=30,
        choices=Role.choices,
        blank=True,
        help_text="For LabourHub's own roles: the role an approval grants. Blank for outside tools "
        "(the approval is then the record of who should have an account).",
    )
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.CONSTITUENCY)
    requires_good_standing = models.BooleanField(
        default=True, help_text="The requester must be a member in good standing in the CLP."
    )
    training_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Data-protection training must have been completed within this many months. "
        "Blank: not needed.",
    )
    requires_role = models.CharField(
        max_length=30,
        choices=Role.choices,
        blank=True,
        help_text="The requester must already hold this role in the CLP (e.g. organisers are canvassers first).",
    )
    needs_endorsement = models.BooleanField(
        default=True, help_text="Someone in the CLP endorses before the region approves."
    )
    endorser_roles = ArrayField(
        models.CharField(max_length=30, choices=Role.choices),
        default=default_endorser_roles,
        help_text="Anyone holding one of these roles over the CLP may endorse (any one of them is enough).",
    )
    approver_roles = ArrayField(
        models.CharField(max_length=30, choices=Role.choices),
        default=default_approver_roles,
        help_text="Anyone holding one of these roles over the CLP (usually for the whole region) may approve.",
    )
    decision_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text="Each step must be decided within this many hours, or it escalates.",
    )
    default_days = models.PositiveSmallIntegerField(default=365, validators=[MinValueValidator(1)])
    max_days = models.PositiveSmallIntegerField(default=730, validators=[MinValueValidator(1)])
    auto_approve = models.BooleanField(
        default=False,
        help_text="Approve at once, without endorsement or review, when every condition holds. "
        "Only for canvasser and teller access.",
    )
    is_active = models.BooleanField(default=True, help_text="Offered for new requests.")

    objects = ToolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_days__lte=models.F("max_days")), name="tool_default_le_max"
            ),
            models.CheckConstraint(
                condition=~Q(level="region")
                | ~Q(role__in=[Role.CANVASSER, Role.TELLER, Role.VISITING_ACTIVIST]),
                name="tool_doorstep_roles_not_regional",
            ),
            models.CheckConstraint(
                condition=Q(endorser_roles__len__gte=1) & Q(approver_roles__len__gte=1),
                name="tool_has_endorsers_and_approvers",
            ),
            # Two different people decide: whoever endorses may not also be the approver.
            models.CheckConstraint(
                condition=~Q(endorser_roles__overlap=models.F("approver_roles")),
                name="tool_endorsers_are_not_approvers",
            ),
            models.CheckConstraint(
                condition=Q(auto_approve=False) | Q(role__in=AUTO_APPROVE_ROLES),
                name="tool_auto_approve_only_lowest_roles",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        both = set(self.endorser_roles or []) & set(self.approver_roles or [])
        if both:
            errors["approver_roles"] = (
                f"{roles_in_words(sorted(both))} cannot both endorse and approve: two different people decide."
            )
        if self.auto_approve and self.role not in AUTO_APPROVE_ROLES:
            errors["auto_approve"] = (
                f"Only {roles_in_words(AUTO_APPROVE_ROLES)} access may be approved automatically; "
                "anything more waits for people to decide."
            )
        problem = self.hand_out_problem()
        if problem:
            errors.setdefault("role", problem)
        if errors:
            raise ValidationError(errors)

    @property
    def deciding_roles(self):
        """Every role that decides a request for this tool: its endorsers (when it needs
        endorsement) and its approvers."""
        return set(self.approver_roles or []) | (
            set(self.endorser_roles or []) if self.needs_endorsement else set()
        )

    def hand_out_problem(self):
        """Why this tool may not hand out its role, or "" when it may: every deciding role must
        outrank the role given (see ROLE_RANK). Checked when the catalogue is saved and again by
        the services before anything is granted, whatever is in the database."""
        if not self.role:
            return ""
        label = Role(self.role).label
        rank = ROLE_RANK[self.role]
        if rank >= max(ROLE_RANK.values()):
            return (
                f"A tool cannot hand out {label}: only the platform operator gives that role, "
                "never a request."
            )
        too_low = sorted(role for role in self.deciding_roles if ROLE_RANK.get(role, 0) <= rank)
        if too_low:
            return (
                f"A tool cannot hand out {label} when {roles_in_words(too_low)} decides on it: "
                "every endorser and approver must hold a higher role than the one given."
            )
        return ""

    @property
    def may_auto_approve(self):
        return self.auto_approve and self.role in AUTO_APPROVE_ROLES and not self.hand_out_problem()

    @property
    def endorsers_in_words(self):
        return roles_in_words(self.endorser_roles)

    @property
    def approvers_in_words(self):
        return roles_in_words(self.approver_roles)

    @property
    def is_labourhub_role(self):
        return bool(self.role)


# --- What access keeps about people: data-protection training (membership is in members) ---


class TrainingRecord(models.Model):
    """Completion of data-protection training: access's own data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    completed_on = models.DateField()
    course = models.CharField(max_length=100, default="Data protection")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-completed_on"]

    def __str__(self):
        return f"{self.course}, {self.completed_on}"


# --- Who decides --------------------------------------------------------------------


class EscalationContact(models.Model):
    """The next levels up, deciding steps that stay past their deadlines: for a region (e.g. the
    regional director), then nationally, the last resort (no region: every region's requests)."""

    class Level(models.IntegerChoices):
        REGIONAL = 2, "Regional (e.g. the regional director)"
        NATIONAL = 3, "National (the last resort)"

    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=100, default="Regional director")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.REGIONAL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "user"], name="one_escalation_contact_per_region_user"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(level=3), name="one_national_escalation_contact_per_user"
            ),
            models.CheckConstraint(
                condition=Q(level=2, region__isnull=False) | Q(level=3, region__isnull=True),
                name="escalation_contact_region_iff_regional",
            ),
        ]

    def __str__(self):
        return f"{self.title}, {self.region or 'national'}: {self.user}"

    def clean(self):
        if self.level == self.Level.REGIONAL and self.region_id is None:
            raise ValidationError({"region": "A regional contact needs the region they cover."})
        if self.level == self.Level.NATIONAL and self.region_id is not None:
            raise ValidationError(
                {"region": "A national contact covers every region: leave the region empty."}
            )


class DelegationQuerySet(models.QuerySet):
    def in_force(self, at: datetime | None = None) -> Self:
        day = timezone.localdate(at or timezone.now())
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Delegation(models.Model):
    """While `delegator` is away (a date range), `delegate` may decide what they could decide."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self):
        return f"{self.delegator} → {self.delegate}, {self.starts_on} to {self.ends_on}"


# --- Requests and decisions ---------------------------------------------------------


class Status(models.TextChoices):
    ENDORSEMENT = "endorsement", "Waiting for the CLP's endorsement"
    REVIEW = "review", "Waiting for the region's review"
    INFO = "info", "More information asked for"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = [Status.ENDORSEMENT, Status.REVIEW, Status.INFO]


class Step(models.TextChoices):
    ENDORSEMENT = "endorsement", "Endorsement by the CLP"
    REVIEW = "review", "Review by the region"


class Tier(models.IntegerChoices):
    """Who may decide, lowest first; a step past its deadline climbs one tier (see deciders.py)."""

    ENDORSERS = 0, "the tool's endorsers in the CLP"
    APPROVERS = 1, "the tool's approvers for the region"
    REGIONAL = 2, "the region's escalation contact (e.g. the regional director)"
    NATIONAL = 3, "the national escalation contact (the last resort)"


class AccessRequestQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.filter(status__in=OPEN_STATUSES)

    def decided(self) -> Self:
        return self.filter(status__in=[Status.APPROVED, Status.REFUSED])

    def overdue(self, at: datetime | None = None) -> Self:
        return self.filter(
            status__in=[Status.ENDORSEMENT, Status.REVIEW], step_due_at__lt=at or timezone.now()
        )

    def to_escalate(self, at: datetime | None = None) -> Self:
        """Overdue steps whose current tier has also had its deadline, and that can still climb."""
        at = at or timezone.now()
        return self.overdue(at).filter(
            Q(next_escalation_at__isnull=True) | Q(next_escalation_at__lt=at),
            Q(step=Step.ENDORSEMENT, escalation_level__lt=Tier.NATIONAL - Tier.ENDORSERS)
            | Q(step=Step.REVIEW, escalation_level__lt=Tier.NATIONAL - Tier.APPROVERS),
        )

    def by_deadline(self) -> Self:
        return self.order_by("step_due_at", "pk")


class AccessRequest(models.Model):
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The CLP the request is made through: it endorses, and its region reviews. For a
    # region-level tool the grant covers `region`; for a ward-level one, `ward` is recorded.
    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="+")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    needed_by = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)
    step = models.CharField(max_length=20, choices=Step.choices)
    step_due_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="How many tiers up the current step has climbed past its deadlines."
    )
    next_escalation_at = models.DateTimeField(
        null=True, blank=True, help_text="Once escalated: when it climbs again if still undecided."
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            # Two clicks on "Send" make one request.
            models.UniqueConstraint(
                fields=["requester", "tool", "constituency"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_request_per_person_tool_clp",
            )
        ]
        indexes = [
            models.Index(
                fields=["constituency", "step_due_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="open_request_clp_due",
            ),
            models.Index(
                fields=["region", "step_due_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="open_request_region_due",
            ),
        ]

    def __str__(self):
        return f"{self.tool} for {self.requester} in {self.constituency}"

    @property
    def audit_constituency(self):
        # Not a ScopedModel (see tests/labourhub/test_scoping_by_default.py NOT_SCOPED): its area
        # for the audit log is named here.
        return self.constituency

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def escalated(self):
        return self.escalation_level > 0

    @property
    def tier(self):
        """The highest tier that may decide the current step now."""
        first = Tier.ENDORSERS if self.step == Step.ENDORSEMENT else Tier.APPROVERS
        return Tier(min(first + self.escalation_level, Tier.NATIONAL))

    @property
    def area(self):
        if self.tool.level == Level.REGION:
            return self.region
        return self.ward or self.constituency


class Decision(models.Model):
    """One event in a request's history. Append-only (a trigger refuses UPDATE and DELETE)."""

    class Outcome(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ENDORSED = "endorsed", "Endorsed"
        APPROVED = "approved", "Approved"
        AUTO_APPROVED = "auto_approved", "Approved automatically (every condition held)"
        REFUSED = "refused", "Refused"
        INFO_ASKED = "info_asked", "More information asked for"
        INFO_GIVEN = "info_given", "More information given"
        ESCALATED = "escalated", "Escalated (past the deadline)"
        WITHDRAWN = "withdrawn", "Withdrawn"
        RENEWED = "renewed", "Ended early: replaced by a renewal"

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="decisions")
    step = models.CharField(max_length=20, choices=Step.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The decider whose delegation `by` used.",
    )
    note = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(
        choices=Tier.choices, null=True, blank=True, help_text="For an escalation: the tier it went up to."
    )
    duration_days = models.PositiveSmallIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"


# --- Holdings: who holds which tool where -----------------------------------------


class HoldingQuerySet(ScopedQuerySet):
    """`for_user` defaults to the region's reviewers (who make outside-tool accounts)."""

    def active(self, at: datetime | None = None) -> Self:
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, starts_at__lte=at, expires_at__gt=at)

    def expiring_between(self, start: datetime, end: datetime) -> Self:
        return self.active(start).filter(expires_at__lte=end)


class Holding(ScopedModel):
    """Someone holds a tool over an area, from an approved request. For LabourHub roles
    `grant` is the labourhub Grant that drives permissions; for outside tools the holding is
    the record of who should have an account."""

    scope_path = "constituency"
    scope_action = Action.REVIEW_ACCESS

    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="holding")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="holdings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    grant = models.OneToOneField(
        "labourhub.Grant", on_delete=models.PROTECT, null=True, blank=True, related_name="holding"
    )
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=300, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        help_text="The renewal that took over: this holding ended when it started.",
    )
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)

    unscoped = HoldingQuerySet.as_manager()
    objects = HoldingQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["expires_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("starts_at")), name="holding_expires_after_start"
            )
        ]

    def __str__(self):
        return f"{self.tool} for {self.user}"

    @property
    def is_active(self):
        now = timezone.now()
        return self.revoked_at is None and self.starts_at <= now < self.expires_at


class Notification(models.Model):
    """One email to one person, planned in a transaction and sent by a Celery task exactly once."""

    to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        AccessRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.subject} → {self.to}"
