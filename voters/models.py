"""The register: properties, electors (with an id that survives re-publication), the
register entries that place them in a publication, marks from the marked register and
absent voters lists, model scores, and the contact history of every voter.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labourhub.models import Constituency, PollingDistrict
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User


class Marker(models.TextChoices):
    """Franchise markers on the register (DOMAIN.md §1). Each character is one marker."""

    OVERSEAS = "F", "Overseas elector (UK Parliament only)"
    PEER = "L", "Peer (local and devolved only)"
    EU = "G", "EU citizen (local only)"
    EU_RETAINED = "B", "EU citizen with retained rights"
    QUALIFYING_FOREIGN = "M", "Qualifying foreign national (Scotland/Wales local and devolved)"
    EU_OLD_E = "E", "EU citizen (old marker)"
    EU_OLD_K = "K", "EU citizen (old marker)"
    OPTED_OUT = "Z", "Opted out of the edited register"


class ElectionType(models.TextChoices):
    PARLIAMENT = "parl", "UK Parliament"
    LOCAL = "local", "Local"
    DEVOLVED = "devolved", "Devolved parliament"


# Who may vote where, by marker. No marker means a British/Irish/Commonwealth elector: everywhere.
_ONLY = {
    "F": {ElectionType.PARLIAMENT},
    "L": {ElectionType.LOCAL, ElectionType.DEVOLVED},
    "G": {ElectionType.LOCAL},
    "B": {ElectionType.LOCAL},
    "E": {ElectionType.LOCAL},
    "K": {ElectionType.LOCAL},
    "M": {ElectionType.LOCAL, ElectionType.DEVOLVED},
}


def first_of_month(day=None):
    day = day or timezone.localdate()
    return day.replace(day=1)


class PropertyQuerySet(ScopedQuerySet):
    pass


class Property(ScopedModel):
    """An address on the register. The electors at one property are its household."""

    scope_path = "polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    # No database-level key check: a register import writes a million of these, and each check would
    # run again at commit. The import locks its constituency's polling districts once instead
    # (voters.importers.register.PollingDistricts.lock); PROTECT is enforced by Django.
    polling_district = models.ForeignKey(
        PollingDistrict,
        on_delete=models.PROTECT,
        related_name="properties",
        db_index=False,
        db_constraint=False,
    )  # indexed by property_pd_street
    address_key = models.CharField(
        max_length=32,
        unique=True,
        help_text="MD5 of the normalised address and postcode: how imports find it.",
    )
    address = models.CharField(max_length=400, help_text="Address lines joined with commas, no postcode.")
    street = models.CharField(max_length=150, blank=True)
    house_number = models.IntegerField(null=True, blank=True, help_text="For sorting walk lists.")
    postcode = models.CharField(max_length=8, blank=True, help_text="Normalised: capitals, no space.")
    postcode_display = models.CharField(max_length=8, blank=True)
    uprn = models.CharField("UPRN", max_length=12, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    unscoped = PropertyQuerySet.as_manager()
    objects = PropertyQuerySet.as_guarded_manager()

    class Meta:
        verbose_name_plural = "properties"
        ordering = ["street", "house_number", "address"]
        indexes = [
            models.Index(fields=["postcode"], opclasses=["varchar_pattern_ops"], name="property_postcode"),
            models.Index(fields=["polling_district", "street", "house_number"], name="property_pd_street"),
        ]

    def __str__(self):
        return f"{self.address}, {self.postcode_display}".strip(", ")


class RegisterImportQuerySet(ScopedQuerySet):
    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        # Postcode files are national (no constituency): only the platform operator sees them.
        if user.is_superuser:
            return self
        return super().for_user(user, action)


class RegisterImport(ScopedModel):
    """One file brought in: a full register, a monthly update, a marked register, a postal or
    proxy list, model scores or postcode locations. The progress bar and the report read this row."""

    scope_path = "constituency"
    scope_action = Action.MANAGE_VOTERS

    class Kind(models.TextChoices):
        FULL = "full", "Full register"
        UPDATE = "update", "Monthly update"
        MARKED = "marked", "Marked register"
        POSTAL = "postal", "Postal and proxy voters list"
        SCORES = "scores", "Model scores"
        POSTCODES = "postcodes", "Postcode locations"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Imported"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        # It would remove a large share of the register: shown, and applied only once confirmed.
        CONFIRM = "confirm", "Waiting for confirmation"

    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, null=True, blank=True, related_name="register_imports"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file.")
    file_format = models.CharField(max_length=40, blank=True, help_text="Detected from the headers.")
    options = models.JSONField(default=dict, blank=True, help_text="Election id, model name, column map...")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=100, blank=True, help_text="What the import is doing now.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Saved with the progress while running; the sweeper reads it."
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True, help_text="Estimated while running.")
    rows_done = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    name_changes = models.PositiveIntegerField(
        default=0, help_text="Electors kept under their id with a new surname (not in changed)."
    )
    to_review = models.PositiveIntegerField(
        default=0, help_text="Possible name changes left for a person to decide (NameChangeReview)."
    )
    rejected = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(
        default=0, help_text="Electors an objection or erasure tombstone caught (kept do not contact)."
    )
    errors = models.JSONField(default=list, blank=True, help_text="The first 1,000 bad lines.")
    notes = models.JSONField(
        default=list, blank=True, help_text="New polling districts, unmatched electors, skipped rows."
    )

    unscoped = RegisterImportQuerySet.as_manager()
    objects = RegisterImportQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def last_postcode_options():
        """The column options of the last postcode import: national data, in no constituency,
        offered only to the platform operator."""
        last = (
            RegisterImport.unscoped.filter(kind=RegisterImport.Kind.POSTCODES)
            .order_by("-created_at")
            .values_list("options", flat=True)
            .first()
        )
        return last or {}

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def percent_done(self):
        if self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED):
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))

    @property
    def is_finished(self):
        """Nothing more will happen without someone (the progress page stops polling)."""
        return self.status in (
            self.Status.DONE,
            self.Status.REJECTED,
            self.Status.FAILED,
            self.Status.CONFIRM,
        )


class RegisterPublication(models.Model):
    """One published register of a constituency (revised each 1 December), updated monthly."""

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="publications")
    published_on = models.DateField()
    created_by_import = models.ForeignKey(
        RegisterImport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-published_on"]
        constraints = [
            models.UniqueConstraint(fields=["constituency", "published_on"], name="one_publication_per_day")
        ]

    def __str__(self):
        return f"{self.constituency} register of {self.published_on:%-d %B %Y}"


class ElectorQuerySet(ScopedQuerySet):
    def on_register(self) -> Self:
        return self.filter(on_register=True)

    def in_polling_district(self, polling_district: PollingDistrict) -> Self:
        return self.filter(polling_district=polling_district)

    def contactable(self) -> Self:
        """Not flagged do-not-contact. Every list of people to contact starts here."""
        return self.filter(do_not_contact=False)

    def not_contacted_since(self, when: datetime.datetime) -> Self:
        return self.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=when))

    def due_for(self, channel: Channel, at: datetime.datetime | None = None) -> Self:
        """Contactable electors outside their CLP's quiet period for `channel`: the contact-frequency
        rule, which lives in voters.contact_rule (where and where not it applies is written there)."""
        from voters import contact_rule

        return contact_rule.due(self, channel, at)

    def with_number(self, polling_district_code: str, number: int, suffix: int = 0) -> Self:
        return self.filter(
            polling_district__code__iexact=polling_district_code, elector_number=number, elector_suffix=suffix
        )


class Elector(ScopedModel):
    """A person on the register. The id is theirs for good: re-publication re-numbers the register,
    and imports match electors to their previous selves by name and address."""

    scope_path = "polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    # No database-level key check, as for Property.polling_district.
    polling_district = models.ForeignKey(
        PollingDistrict,
        on_delete=models.PROTECT,
        related_name="electors",
        db_index=False,
        db_constraint=False,
    )  # indexed by elector_pd_number
    # Only imports set this, from properties they have just upserted: no per-row key check, which
    # would lock every property row during a million-row import.
    home = models.ForeignKey(
        Property,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="electors",
        db_constraint=False,
        help_text="The property they are registered at; empty for overseas electors.",
    )
    elector_number = models.PositiveIntegerField()
    elector_suffix = models.PositiveIntegerField(default=0)
    elector_number_raw = models.CharField(max_length=40, help_text="As written in the file.")
    title = models.CharField(max_length=20, blank=True)
    first_names = models.CharField(max_length=100, blank=True)
    initials = models.CharField(max_length=10, blank=True)
    surname = models.CharField(max_length=100)
    markers_raw = models.CharField(max_length=20, blank=True)
    markers = models.CharField(max_length=10, blank=True, help_text="The recognised marker letters.")
    attainment_date = models.DateField(
        null=True, blank=True, help_text="An attainer may vote from this date."
    )
    opted_out = models.BooleanField(default=False, help_text="Not on the edited (open) register.")
    on_register = models.BooleanField(default=True)
    first_seen_month = models.DateField(help_text="The month the elector first appeared in our files.")
    removed_month = models.DateField(null=True, blank=True)
    match_key = models.CharField(
        max_length=32, help_text="MD5 of surname, first names and address: how re-publication finds them."
    )
    do_not_contact = models.BooleanField(default=False)
    do_not_contact_reason = models.CharField(max_length=200, blank=True)
    do_not_contact_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Where the record came from (issue 16, item 5): electors enter only from the council's register;
    # the import (a full register or a monthly update) that first brought them in. Set by the
    # importer's INSERT; no key check, as for polling_district.
    source_import = models.ForeignKey(
        RegisterImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text="The register file that first brought this elector in.",
    )

    unscoped = ElectorQuerySet.as_manager()
    objects = ElectorQuerySet.as_guarded_manager()
    # Whether a tombstone covered the elector when read, where the reading statement asked
    # (voters.suppression.suppressed_sql); None: not asked, and suppressed_elector_ids asks.
    suppressed_at_read: bool | None = None

    class Meta:
        ordering = ["polling_district_id", "elector_number", "elector_suffix"]
        indexes = [
            models.Index(
                fields=["polling_district", "elector_number", "elector_suffix"], name="elector_pd_number"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.elector_number_display})"

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_names, self.surname) if part)

    @property
    def elector_number_display(self):
        suffix = f"/{self.elector_suffix}" if self.elector_suffix else ""
        return f"{self.polling_district.code}-{self.elector_number}{suffix}"

    def is_attainer(self, on=None):
        return self.attainment_date is not None and self.attainment_date > (on or timezone.localdate())

    def may_vote_in(self, election_type, on=None):
        """Eligibility from the markers and attainment date (DOMAIN.md §1)."""
        if self.is_attainer(on):
            return False
        allowed = set(ElectionType)
        for letter in self.markers:
            allowed &= _ONLY.get(letter, set(ElectionType))
        return ElectionType(election_type) in allowed


class RegisterEntry(ScopedModel):
    """An elector's place in one publication of the register: (publication, PD, number, suffix)."""

    scope_path = "publication__constituency"
    scope_action = Action.VIEW_VOTERS

    # Entries are a mirror the importer writes set-based from rows it has just joined, so they skip
    # the per-row foreign key checks (a million of them on a large register).
    publication = models.ForeignKey(
        RegisterPublication,
        on_delete=models.CASCADE,
        related_name="entries",
        db_constraint=False,
        db_index=False,
    )  # indexed by both unique constraints, which start with it
    elector = models.ForeignKey(
        Elector,
        on_delete=models.CASCADE,
        related_name="register_entries",
        db_constraint=False,
        db_index=False,
    )  # indexed by register_entry_once_per_elector (publication, elector)
    polling_district = models.ForeignKey(
        PollingDistrict, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )  # indexed by register_entry_unique_number
    elector_number = models.PositiveIntegerField()
    elector_suffix = models.PositiveIntegerField(default=0)
    elector_number_raw = models.CharField(max_length=40)

    class Meta:
        verbose_name_plural = "register entries"
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "polling_district", "elector_number", "elector_suffix"],
                name="register_entry_unique_number",
            ),
            models.UniqueConstraint(
                fields=["publication", "elector"], name="register_entry_once_per_elector"
            ),
        ]

    def __str__(self):
        return self.elector_number_raw


class ElectorMarkQuerySet(ScopedQuerySet):
    pass


class ElectorMark(ScopedModel):
    """From the marked register or the absent voters lists: voted at an election, postal or proxy voter."""

    scope_path = "elector__polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    class Kind(models.TextChoices):
        VOTED = "voted", "Voted"
        POSTAL = "postal", "Postal voter"
        PROXY = "proxy", "Proxy voter"

    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="marks")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    election = models.CharField(max_length=100, help_text="Democracy Club id, e.g. parl.2024-07-04.")
    source = models.ForeignKey(RegisterImport, on_delete=models.PROTECT, related_name="+")

    unscoped = ElectorMarkQuerySet.as_manager()
    objects = ElectorMarkQuerySet.as_guarded_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["elector", "election", "kind"], name="elector_mark_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.election}"


class NameChangeReviewQuerySet(ScopedQuerySet):
    def to_review(self) -> Self:
        return self.filter(state=NameChangeReview.State.PROPOSED)

    def matching(self, q: str) -> Self:
        """Either elector's names or number, or the address, containing `q`."""
        if not q:
            return self
        found = Q()
        for side in ("earlier", "later"):
            found |= (
                Q(**{f"{side}__surname__icontains": q})
                | Q(**{f"{side}__first_names__icontains": q})
                | Q(**{f"{side}__elector_number_raw__icontains": q})
                | Q(**{f"{side}__home__address__icontains": q})
            )
        return self.filter(found)


class NameChangeReview(ScopedModel):
    """Two electors who may be one person under a new surname (a marriage, a double-barrelled name),
    found by a register import at the same property with the same first names, but not certain
    enough to merge: a different elector number and no date of birth to compare, or more than one
    such elector. The import added `later` as a new elector; a person decides. Accepting merges
    `later` into `earlier` (who keeps their id, contacts and everything else); rejecting leaves two
    people. The register importer's docstring states which matches are certain."""

    scope_path = "earlier__polling_district__constituency"
    scope_action = Action.MANAGE_VOTERS

    class State(models.TextChoices):
        PROPOSED = "proposed", "To review"
        ACCEPTED = "accepted", "Same person (merged)"
        REJECTED = "rejected", "Different people"

    earlier = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="name_change_reviews")
    # Empty once accepted: the later elector was merged into the earlier one and is gone.
    later = models.ForeignKey(Elector, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    later_summary = models.CharField(
        max_length=250, help_text="The later elector's number and name as found (kept after a merge)."
    )
    register_import = models.ForeignKey(
        RegisterImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    reason = models.CharField(max_length=200)
    found_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    unscoped = NameChangeReviewQuerySet.as_manager()
    objects = NameChangeReviewQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["earlier__surname", "earlier_id", "id"]
        constraints = [models.UniqueConstraint(fields=["earlier", "later"], name="name_change_review_once")]
        indexes = [models.Index(fields=["state"], name="name_change_review_state")]

    def __str__(self):
        return f"{self.earlier_id} ~ {self.later_summary} ({self.get_state_display()})"


class Channel(models.TextChoices):
    DOOR = "door", "Door"
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    POST = "post", "Post"
    EVENT = "event", "Event"


class ContactQuerySet(ScopedQuerySet):
    pass


class Contact(ScopedModel):
    """One contact with a voter on any channel: an inserted row, never edited."""

    scope_path = "elector__polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    elector = models.ForeignKey(Elector, on_delete=models.PROTECT, related_name="contacts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    campaign_label = models.CharField(max_length=200, blank=True)
    campaign_ref = models.CharField(
        max_length=100, blank=True, help_text="The campaign's own id for this contact."
    )
    outcome = models.CharField(max_length=50, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=30, default="manual", help_text="Which tool recorded it.")
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = ContactQuerySet.as_manager()
    objects = ContactQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["elector", "-at"], name="contact_elector_at")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.at:%Y-%m-%d %H:%M}"


class ContactRule(models.Model):
    """A CLP's quiet period: no contact on `channel` within `quiet_days` of the last contact.
    The rule itself, every channel it is checked on, and why polling day is exempt: voters.contact_rule."""

    DEFAULT_QUIET_DAYS = {Channel.DOOR: 14, Channel.PHONE: 14}

    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="contact_rules")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    quiet_days = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["constituency", "channel"], name="contact_rule_once_per_channel")
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.quiet_days} days"


class Suppression(ScopedModel):
    """A tombstone: a person's objection to being contacted, or the erasure of what the party held on
    them, kept only as a keyed hash of who they are (labourhub.privacy.tombstone_key: HMAC-SHA256 with
    SUPPRESSION_SECRET) so it survives the register: every intake (register and member imports, canvass
    sync, phone banks, `reapply_suppressions` after a restore) checks it (voters.suppression). A `name`
    key is of SURNAME|FIRST NAMES: if they leave and re-register (even at a new address) the import
    flags them again, erring on the side of not contacting (a namesake in the same CLP is suppressed
    too); a `membership` key is of the membership number, which member imports check; an `email` key
    is of an address an erased member or event contact used, which event sign-ups check."""

    scope_path = "constituency"
    scope_action = Action.MANAGE_VOTERS

    class Kind(models.TextChoices):
        OBJECTION = "objection", "Objected to contact"
        ERASURE = "erasure", "Erased on request"

    class Field(models.TextChoices):
        NAME = "name", "Surname and first names"
        MEMBERSHIP = "membership", "Membership number"
        EMAIL = "email", "Email address"

    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="suppressions")
    field = models.CharField(max_length=12, choices=Field.choices, default=Field.NAME)
    key = models.CharField(max_length=64, help_text="HMAC-SHA256 (hex) of the normalised field(s).")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OBJECTION)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["constituency", "field", "key"], name="suppression_once_per_key")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key[:8]}"


class ModelVersion(ScopedModel):
    """A named, dated run of a targeting model (e.g. support, turnout) for one constituency."""

    scope_path = "constituency"
    scope_action = Action.VIEW_VOTERS

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="model_versions")
    name = models.CharField(max_length=100)
    run_on = models.DateField(default=timezone.localdate)
    score_names = models.JSONField(default=list)
    source = models.ForeignKey(
        RegisterImport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = ScopedQuerySet.as_manager()
    objects = ScopedQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-run_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["constituency", "name", "run_on"], name="model_version_unique")
        ]

    def __str__(self):
        return f"{self.name} ({self.run_on})"


class ElectorScoreQuerySet(ScopedQuerySet):
    pass


class ElectorScore(ScopedModel):
    scope_path = "elector__polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    # Written only by the scores importer from rows joined to electors: no per-row foreign key checks
    # (tens of millions of rows nationally). The unique constraint indexes model_version.
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="scores", db_constraint=False, db_index=False
    )
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="scores", db_constraint=False)
    name = models.CharField(max_length=40)
    value = models.FloatField()

    unscoped = ElectorScoreQuerySet.as_manager()
    objects = ElectorScoreQuerySet.as_guarded_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_version", "name", "elector"], name="elector_score_unique")
        ]
        indexes = [models.Index(fields=["model_version", "name", "value"], name="score_range")]

    def __str__(self):
        return f"{self.name}={self.value}"


class PostcodeLocation(models.Model):
    """From the ONS Postcode Directory: where a postcode is. Terminated postcodes are kept."""

    postcode = models.CharField(max_length=8, primary_key=True, help_text="Normalised: capitals, no space.")
    postcode_display = models.CharField(max_length=8)
    latitude = models.FloatField()
    longitude = models.FloatField()
    terminated = models.DateField(null=True, blank=True)

    def __str__(self):
        return self.postcode_display
