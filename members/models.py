"""Members, their consents and volunteer profiles; member emails; membership imports."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from labourhub.models import Branch, Constituency, Ward
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet
from voters.models import Elector

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User

validate_membership_number = RegexValidator(
    r"^[A-Z]{0,2}\d{1,10}$", "A membership number is a letter and digits, e.g. A135679."
)


class Status(models.TextChoices):
    CURRENT = "current", "Current"
    ARREARS = "arrears", "In arrears"
    LAPSED = "lapsed", "Lapsed"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PHONE = "phone", "Phone"
    POST = "post", "Post"


class Source(models.TextChoices):
    """Where a member's record came from (issue 16, item 5)."""

    IMPORT = "import", "Membership export"
    MANUAL = "manual", "Added by an officer"
    SIGN_UP = "sign_up", "Signed up online"
    API = "api", "API client"


class MemberQuerySet(ScopedQuerySet):
    entry_points = ("for_user", "for_linked_user")

    def in_good_standing(self) -> Self:
        """Members whose subscription is paid up: the test the access app applies."""
        return self.filter(status=Status.CURRENT)

    def in_arrears(self) -> Self:
        return self.filter(status=Status.ARREARS)

    def lapsed(self) -> Self:
        return self.filter(status=Status.LAPSED)

    def joined_since(self, day: date) -> Self:
        return self.filter(joined_on__gte=day)

    def lapsed_since(self, day: date) -> Self:
        return self.filter(status=Status.LAPSED, lapsed_on__gte=day)

    def with_email(self) -> Self:
        return self.exclude(email="")

    def without_email(self) -> Self:
        return self.filter(email="")

    def emailable(self) -> Self:
        """Who may get member email: an address, consent to email, and no repeated hard bounces."""
        return self.with_email().filter(consent_email=True, email_bounced_at__isnull=True)

    def for_linked_user(self, user: User | AnonymousUser) -> Self:
        """The membership record of a signed-in person (at most one: a person is a member in one CLP)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def matching(self, filters: Mapping[str, Any]) -> Self:
        """Apply the secretary's filters (the cleaned data of forms.MemberFilterForm)."""
        qs = self.search(filters.get("q") or "")
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        if filters.get("branch"):
            qs = qs.filter(branch_id=filters["branch"])
        if filters.get("ward"):
            qs = qs.filter(ward_id=filters["ward"])
        if filters.get("joined_since"):
            qs = qs.joined_since(filters["joined_since"])
        if filters.get("lapsed_since"):
            qs = qs.lapsed_since(filters["lapsed_since"])
        if filters.get("has_email") == "yes":
            qs = qs.with_email()
        elif filters.get("has_email") == "no":
            qs = qs.without_email()
        if filters.get("union"):
            qs = qs.filter(trade_union__icontains=filters["union"])
        if filters.get("consent"):
            qs = qs.filter(**{f"consent_{filters['consent']}": True})
        if filters.get("skills"):
            qs = qs.filter(volunteer__skills__overlap=list(filters["skills"]))
        if filters.get("availability"):
            qs = qs.filter(volunteer__availability__overlap=list(filters["availability"]))
        if filters.get("help_other_clps"):
            qs = qs.filter(volunteer__help_other_clps=True)
        return qs

    def search(self, text: str) -> Self:
        text = text.strip()
        if not text:
            return self
        words = text.split()
        query = Q()
        for word in words:
            query &= (
                Q(last_name__istartswith=word)
                | Q(first_name__istartswith=word)
                | Q(membership_number__iexact=word)
                | Q(postcode__istartswith=word)
                | Q(email__istartswith=word)
            )
        return self.filter(query)


# A member's branch and ward: optional, cleared if the area goes; indexed by Meta's partial indexes.
_AREA_LINK = {
    "on_delete": models.SET_NULL,
    "null": True,
    "blank": True,
    "related_name": "+",
    "db_index": False,
    "db_constraint": False,
}


class Member(ScopedModel):
    scope_path = "constituency"
    scope_action = Action.VIEW_MEMBERS

    # Indexed by the unique constraint (constituency, membership_number), which leads with it.
    # constituency, branch, ward and elector have no foreign key in the database (db_constraint=False):
    # the importer and the matcher derive them from joins with the rows they point at, and Django's
    # on_delete (PROTECT, SET_NULL) still runs. Checking 500k links again at commit took a quarter of an
    # import; tests/members/test_import.py::test_member_links_hold_without_database_foreign_keys.
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="members", db_index=False, db_constraint=False
    )
    membership_number = models.CharField(max_length=12, validators=[validate_membership_number])
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    mobile = models.CharField(max_length=30, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    address_line3 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    joined_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CURRENT)
    arrears_since = models.DateField(null=True, blank=True)
    lapsed_on = models.DateField(null=True, blank=True)
    membership_type = models.CharField(max_length=50, blank=True, help_text="e.g. standard, reduced, youth")
    branch = models.ForeignKey(Branch, **_AREA_LINK)
    ward = models.ForeignKey(Ward, **_AREA_LINK)
    trade_union = models.CharField(max_length=100, blank=True)
    socialist_societies = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    # The latest answer per channel; the Consent rows are the evidence and history.
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_phone = models.BooleanField(default=False)
    consent_post = models.BooleanField(default=False)
    email_hard_bounces = models.PositiveSmallIntegerField(default=0)
    email_bounced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set after repeated hard bounces: no more email until the address changes.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="member"
    )
    elector = models.ForeignKey(
        Elector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text="The member's entry on the register, when matched.",
        db_index=False,
        db_constraint=False,
    )
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.MANUAL, help_text="Where the record came from."
    )
    source_import = models.ForeignKey(
        "MemberImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text="The membership export that first brought this member in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped = MemberQuerySet.as_manager()
    objects = MemberQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["constituency", "membership_number"], name="member_number_unique_in_clp"
            ),
        ]
        indexes = [
            models.Index(fields=["constituency", "status"]),
            models.Index(fields=["constituency", "joined_on"]),
            # Lookups are always for one branch, ward or elector: rows without one need no entry.
            models.Index(fields=["branch"], name="member_branch", condition=Q(branch__isnull=False)),
            models.Index(fields=["ward"], name="member_ward", condition=Q(ward__isnull=False)),
            models.Index(fields=["elector"], name="member_elector", condition=Q(elector__isnull=False)),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.membership_number})"

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def address_lines(self):
        parts = (self.address_line1, self.address_line2, self.address_line3, self.town, self.postcode)
        return [part for part in parts if part]

    def consent_for(self, channel):
        return getattr(self, f"consent_{channel}")


class ConsentQuerySet(ScopedQuerySet):
    pass


class Consent(ScopedModel):
    """One recorded answer: given or withdrawn, on one channel, with the words shown and who recorded it."""

    scope_path = "member__constituency"
    scope_action = Action.VIEW_MEMBERS

    # Indexed by (member, channel, -recorded_at), which leads with it. No database foreign key: the
    # importer inserts a new member's consent with the id the same statement returned, and Django's
    # CASCADE still runs (test_member_links_hold_without_database_foreign_keys).
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="consents", db_index=False, db_constraint=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField(default=timezone.now)
    wording = models.TextField(help_text="The words the member agreed to, or how they withdrew.")
    source = models.CharField(max_length=50, help_text="e.g. import, member page, unsubscribe link, officer")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    unscoped = ConsentQuerySet.as_manager()
    objects = ConsentQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["member", "channel", "-recorded_at"]),
            # Imported consents have no recorder: only the recorded ones need an entry.
            models.Index(
                fields=["recorded_by"], name="consent_recorded_by", condition=Q(recorded_by__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {'given' if self.granted else 'withdrawn'} {self.recorded_at:%Y-%m-%d}"


SKILLS = [
    ("design", "Design"),
    ("video", "Video"),
    ("coding", "Coding"),
    ("driving", "Driving"),
    ("languages", "Languages"),
    ("data", "Data"),
    ("writing", "Writing"),
    ("social_media", "Social media"),
    ("photography", "Photography"),
    ("phone_banking", "Phone banking"),
    ("leafleting", "Leafleting"),
    ("canvassing", "Canvassing"),
]
AVAILABILITY = [
    (f"{day}_{part}", f"{day.title()} {part}")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for part in ("daytime", "evening")
]


class VolunteerQuerySet(ScopedQuerySet):
    entry_points = ("for_user", "pool_for")

    def pool_for(self, user: User | AnonymousUser) -> Self:
        """Volunteers in the user's own CLPs, plus those anywhere in the user's regions who said they
        will help other CLPs."""
        from labourhub.scoping import constituencies_for

        mine = constituencies_for(user, self.model.scope_action)
        return self.filter(
            Q(member__constituency__in=mine)
            | Q(help_other_clps=True, member__constituency__region__in=mine.values("region"))
        )

    def with_skill(self, skill: str) -> Self:
        return self.filter(skills__contains=[skill])


class Volunteer(ScopedModel):
    scope_path = "member__constituency"
    scope_action = Action.VIEW_MEMBERS

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="volunteer")
    skills = ArrayField(models.CharField(max_length=30, choices=SKILLS), default=list, blank=True)
    other_skills = models.CharField(max_length=300, blank=True, help_text="Anything else, e.g. Polish, BSL")
    availability = ArrayField(models.CharField(max_length=20, choices=AVAILABILITY), default=list, blank=True)
    help_other_clps = models.BooleanField(
        default=False, help_text="Officers of other CLPs in your region may find you and ask for help."
    )
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped = VolunteerQuerySet.as_manager()
    objects = VolunteerQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["member__last_name"]
        indexes = [models.Index(fields=["help_other_clps"])]

    def __str__(self):
        return f"Volunteer: {self.member.full_name}"

    def skill_labels(self):
        labels = dict(SKILLS)
        return [labels.get(skill, skill) for skill in self.skills]

    def availability_labels(self):
        labels = dict(AVAILABILITY)
        return [labels.get(slot, slot) for slot in self.availability]


# --- Member email -----------------------------------------------------------------


class ClpOfficeQuerySet(ScopedQuerySet):
    """A CLP office's own records (email sends, column mappings, imports): only for those who manage
    its members."""


class EmailSend(ScopedModel):
    scope_path = "constituency"
    scope_action = Action.MANAGE_MEMBERS

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        DONE = "done", "Sent"
        CANCELLED = "cancelled", "Cancelled"  # before anything went
        STOPPED = "stopped", "Stopped"  # mid-way: the report says what went

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Markdown. Merge fields: {{first_name}}, {{last_name}}, {{branch}}, ..."
    )
    audience = models.JSONField(default=dict, blank=True, help_text="The member filters chosen.")
    frequency_cap = models.PositiveSmallIntegerField(
        default=3, help_text="Skip members who already had this many CLP emails in the last 7 days."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    planned_count = models.PositiveIntegerField(default=0)
    skipped_by_cap = models.PositiveIntegerField(default=0)
    # The contact-frequency rule (voters.contact_rule) when it was planned: members matched to an
    # elector contacted inside the CLP's quiet period for email were left out.
    skipped_by_rule = models.PositiveIntegerField(default=0)
    quiet_days = models.PositiveIntegerField(default=0, help_text="The quiet period for email then, in days.")
    finished_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Since when the mail server has not taken messages; cleared when it does.",
    )
    pause_reason = models.CharField(max_length=500, blank=True, help_text="The mail server's last answer.")
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="When it was cancelled or stopped.")
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    unscoped = ClpOfficeQuerySet.as_manager()
    objects = ClpOfficeQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject

    def report(self):
        """Counts by outcome for the per-send report (one grouped query)."""
        rows = self.recipients.aggregate(
            sent=Count("id", filter=Q(state=EmailRecipient.State.SENT)),
            failed=Count("id", filter=Q(state=EmailRecipient.State.FAILED)),
            queued=Count(
                "id", filter=Q(state__in=[EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING])
            ),
            retrying=Count("id", filter=Q(state=EmailRecipient.State.QUEUED) & ~Q(last_error="")),
            claimed=Count("id", filter=Q(state=EmailRecipient.State.SENDING)),
            not_sent=Count("id", filter=Q(state=EmailRecipient.State.CANCELLED)),
            bounced=Count("id", filter=Q(bounced_at__isnull=False)),
            unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        )
        rows["planned"] = self.planned_count
        rows["skipped_by_cap"] = self.skipped_by_cap
        rows["skipped_by_rule"] = self.skipped_by_rule
        rows["quiet_days"] = self.quiet_days
        done = rows["sent"] + rows["failed"] + rows["not_sent"]
        rows["percent"] = round(100 * done / self.planned_count) if self.planned_count else 100
        return rows


class EmailBatch(models.Model):
    """A slice of a send's recipients that one task sends over one SMTP connection."""

    send = models.ForeignKey(EmailSend, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of a worker on it.")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Rows wait for a temporary failure.")
    failures = models.PositiveSmallIntegerField(default=0, help_text="Temporary failures so far.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["send", "number"]
        constraints = [models.UniqueConstraint(fields=["send", "number"], name="email_batch_unique_number")]
        indexes = [
            models.Index(fields=["finished_at"], name="email_batch_unfinished", condition=Q(finished_at=None))
        ]

    def __str__(self):
        return f"{self.send} batch {self.number}"


class EmailRecipientQuerySet(ScopedQuerySet):
    def sent_within(self, days: int, constituency: Constituency) -> Self:
        since = timezone.now() - timedelta(days=days)
        return self.filter(send__constituency=constituency, planned_at__gte=since).exclude(
            state__in=[EmailRecipient.State.FAILED, EmailRecipient.State.CANCELLED]
        )


class EmailRecipient(ScopedModel):
    """One planned message to one member: the unit that is claimed, sent once and marked."""

    scope_path = "send__constituency"
    scope_action = Action.MANAGE_MEMBERS

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not sent: the send was stopped"

    # Both foreign keys are covered by the indexes below, so they need none of their own.
    send = models.ForeignKey(EmailSend, on_delete=models.CASCADE, related_name="recipients", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="emails", db_index=False)
    email = models.EmailField()
    batch_number = models.PositiveIntegerField()
    planned_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    unscoped = EmailRecipientQuerySet.as_manager()
    objects = EmailRecipientQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["send", "member"], name="email_recipient_once_per_send")
        ]
        indexes = [
            models.Index(
                fields=["send", "batch_number", "id"],
                name="email_recipient_unsent",
                condition=Q(state__in=["queued", "sending"]),
            ),
            models.Index(fields=["member", "planned_at"]),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_state_display()})"


class BounceEvent(ScopedModel):
    """A bounce or complaint reported by the SMTP server or a provider's webhook."""

    scope_path = "recipient__send__constituency"
    scope_action = Action.MANAGE_MEMBERS

    class Kind(models.TextChoices):
        HARD = "hard", "Hard bounce"
        SOFT = "soft", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"

    recipient = models.ForeignKey(EmailRecipient, on_delete=models.CASCADE, related_name="bounces")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, help_text="smtp or webhook")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason}"


# --- Membership import ------------------------------------------------------------


class ImportMapping(ScopedModel):
    """Which column of a membership export holds which field, saved so the secretary maps it once."""

    scope_path = "constituency"
    scope_action = Action.MANAGE_MEMBERS

    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    columns = models.JSONField(help_text='{"field": "Header in the file"}')
    updated_at = models.DateTimeField(auto_now=True)

    unscoped = ClpOfficeQuerySet.as_manager()
    objects = ClpOfficeQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["constituency", "name"], name="member_mapping_unique_name")
        ]

    def __str__(self):
        return self.name


class MemberImport(ScopedModel):
    scope_path = "constituency"
    scope_action = Action.MANAGE_MEMBERS

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="+")
    mapping = models.ForeignKey(
        ImportMapping,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="imports",
        help_text="Chosen on the column mapper after upload.",
    )
    file = models.FileField(upload_to="member-imports/")
    file_name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    rows_read = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Saved with the progress while running; the sweeper reads it."
    )

    unscoped = ClpOfficeQuerySet.as_manager()
    objects = ClpOfficeQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def percent(self):
        return round(100 * self.rows_read / self.rows_total) if self.rows_total else 0


# --- Matching members to the register ----------------------------------------------------


class ElectorMatchQuerySet(ScopedQuerySet):
    def to_review(self) -> Self:
        return self.filter(state=ElectorMatch.State.PROPOSED)


class ElectorMatch(ScopedModel):
    """A possible link between a member and a register elector, found by name and address. Certain ones
    are linked at once; uncertain ones wait for an officer to confirm or reject them."""

    scope_path = "member__constituency"
    scope_action = Action.MANAGE_MEMBERS

    class State(models.TextChoices):
        LINKED = "linked", "Linked automatically"
        PROPOSED = "proposed", "To review"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="elector_matches")
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="member_matches")
    state = models.CharField(max_length=10, choices=State.choices)
    reason = models.CharField(max_length=200)
    found_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    unscoped = ElectorMatchQuerySet.as_manager()
    objects = ElectorMatchQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["member__last_name", "member_id", "id"]
        constraints = [models.UniqueConstraint(fields=["member", "elector"], name="elector_match_once")]
        indexes = [models.Index(fields=["state"], name="elector_match_state")]

    def __str__(self):
        return f"{self.member} ~ {self.elector_id} ({self.get_state_display()})"
