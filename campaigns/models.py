"""Canvassing: reference codes, campaigns, versioned surveys, walk lists and packs, door and phone
visits (each applied once by its client UUID), follow-ups, relations and phone banks."""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labourhub.models import Constituency, Grant, Region, Role
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet, constituencies_for
from voters.models import Channel

if TYPE_CHECKING:
    from datetime import date

    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User


# Canvassing happens on two of the channels of the one Channel enum (voters.models).
CANVASS_CHANNELS = (Channel.DOOR, Channel.PHONE)
CANVASS_CHANNEL_CHOICES = [(channel.value, channel.label) for channel in CANVASS_CHANNELS]

# --- Reference data (DOMAIN.md §3: unconfirmed codes live in tables, not enums) ----------


class ReferenceQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(active=True)


class IntentionCode(models.Model):
    """A voting-intention code (L, T, LD, ... D, W, A). Codes are retired (`active=False`),
    never deleted, so every answer ever given keeps its meaning."""

    code = models.CharField(max_length=5, unique=True)
    label = models.CharField(max_length=60)
    is_party = models.BooleanField(default=True, help_text="A party: it gets a 0-10 likelihood question.")
    takes_strength = models.BooleanField(default=True, help_text="Asked as hard or soft.")
    is_ours = models.BooleanField(default=False, help_text="Our supporters (for knock-up and targets).")
    colour = models.CharField(max_length=7, default="#888888")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return f"{self.code} {self.label}"


class DoorOutcome(models.Model):
    """What happened at a door or on a call: spoke, not in, refused, moved away, ..."""

    class Review(models.TextChoices):
        NONE = "", "Nothing to review"
        DO_NOT_KNOCK = "do_not_knock", "Asked not to be knocked"
        MOVED = "moved", "Moved away"
        DECEASED = "deceased", "Deceased"
        WRONG_ADDRESS = "wrong_address", "Wrong address"
        WRONG_NUMBER = "wrong_number", "Wrong number"

    code = models.CharField(max_length=30, unique=True)
    label = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=CANVASS_CHANNEL_CHOICES, default=Channel.DOOR)
    spoke = models.BooleanField(default=False, help_text="Someone answered: the survey applies.")
    review = models.CharField(max_length=20, choices=Review.choices, blank=True, default="")
    try_again = models.BooleanField(default=False, help_text="Not a final outcome: try again later.")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["channel", "position", "code"]

    def __str__(self):
        return self.label


class Issue(models.Model):
    """An issue voters raise on the doorstep (housing, the NHS, ...), for the issue map."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["position", "label"]

    def __str__(self):
        return self.label


# --- Campaigns and surveys ------------------------------------------------------------


class CampaignScopedQuerySet(ScopedQuerySet):
    pass


class CampaignQuerySet(CampaignScopedQuerySet):
    def running(self, on: date | None = None) -> Self:
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


class Campaign(ScopedModel):
    scope_path = "constituency"
    scope_action = Action.CANVASS

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=120)
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = CampaignQuerySet.as_manager()
    objects = CampaignQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            )
        ]

    def __str__(self):
        return self.name

    def current_survey_version(self):
        return (
            SurveyVersion.unscoped.filter(survey__campaign=self)
            .order_by("-survey__created_at", "-number")
            .prefetch_related("questions__party")
            .first()
        )


class SurveyQuerySet(CampaignScopedQuerySet):
    pass


class Survey(ScopedModel):
    """What a campaign asks. Its questions live in numbered versions: editing makes a new version,
    so answers always point at the exact wording and options they were given against."""

    scope_path = "campaign__constituency"
    scope_action = Action.CANVASS

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = SurveyQuerySet.as_manager()
    objects = SurveyQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    @property
    def current_version(self):
        return self.versions.order_by("-number").first()


class SurveyVersionQuerySet(CampaignScopedQuerySet):
    pass


class SurveyVersion(ScopedModel):
    """An immutable set of questions. Never edited once created (see `survey_revise`)."""

    scope_path = "survey__campaign__constituency"
    scope_action = Action.CANVASS

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True, help_text="What changed in this version.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = SurveyVersionQuerySet.as_manager()
    objects = SurveyVersionQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_number_unique")
        ]

    def __str__(self):
        return f"{self.survey} v{self.number}"


class Question(models.Model):
    class Kind(models.TextChoices):
        INTENTION = "intention", "Voting intention (with hard/soft)"
        LIKELIHOOD = "likelihood", "Likelihood 0-10 for a party"
        ISSUES = "issues", "Issues raised (pick several, plus free text)"
        YES_NO = "yes_no", "Yes or no"
        TEXT = "text", "Free text"

    class FollowUp(models.TextChoices):
        NONE = "", "None"
        POSTAL_VOTE = "postal_vote", "Wants a postal vote"
        VOLUNTEER = "volunteer", "Would volunteer"
        POSTER = "poster", "Will display a poster"

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=40, help_text="Stable name used by the phone page and exports.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    party = models.ForeignKey(
        IntentionCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # For ISSUES: the [code, label] pairs offered, frozen into the version.
    options = models.JSONField(default=list, blank=True)
    follow_up = models.CharField(
        max_length=20,
        choices=FollowUp.choices,
        blank=True,
        default="",
        help_text="A yes here becomes a task for the organiser.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="question_key_unique_in_version"),
            models.CheckConstraint(
                condition=~Q(kind="likelihood") | Q(party__isnull=False),
                name="likelihood_question_names_a_party",
            ),
        ]

    def __str__(self):
        return self.text


# --- Walk lists and packs ---------------------------------------------------------------


class CampaignListQuerySet(CampaignScopedQuerySet):
    pass


class CampaignList(ScopedModel):
    """What walk lists and call lists share: a named set of people chosen by `criteria`."""

    scope_path = "campaign__constituency"
    scope_action = Action.CANVASS

    name = models.CharField(max_length=120)
    criteria = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The contact-frequency rule (voters.contact_rule) when the list was built: who it left out.
    skipped_by_rule = models.PositiveIntegerField(
        default=0, help_text="People left out: contacted inside the quiet period when the list was built."
    )
    quiet_days = models.PositiveIntegerField(default=0, help_text="The quiet period then, in days.")

    unscoped = CampaignListQuerySet.as_manager()
    objects = CampaignListQuerySet.as_guarded_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class WalkList(CampaignList):
    """Doors chosen by `criteria` (see campaigns.walklists), ordered along streets, split into packs."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="walk_lists")
    pack_size = models.PositiveSmallIntegerField(default=40)
    door_count = models.PositiveIntegerField(default=0)
    elector_count = models.PositiveIntegerField(default=0)


class PackQuerySet(CampaignScopedQuerySet):
    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        """To canvass, organisers open every pack of their CLPs; canvassers only the packs given
        to them (least privilege: a canvasser does not browse the CLP's doors)."""
        action = action or self.model.scope_action
        if action != Action.CANVASS:
            return super().for_user(user, action)
        if not user.is_authenticated:
            return self.none()
        path = f"{self.model.scope_path}__in"
        return self.filter(
            Q(**{path: constituencies_for(user, Action.ORGANISE)})
            | Q(**{path: constituencies_for(user, Action.CANVASS)}, assigned_to=user)
            | Q(pk__in=Signup.unscoped.visiting_packs(user))
        )


def _share_token():
    return secrets.token_urlsafe(16)


class Pack(ScopedModel):
    """A canvasser's share of a walk list: about `pack_size` doors along a few streets."""

    scope_path = "walk_list__campaign__constituency"
    scope_action = Action.CANVASS

    walk_list = models.ForeignKey(WalkList, on_delete=models.CASCADE, related_name="packs")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    sheet_id = models.CharField(max_length=20, unique=True, help_text="Printed on paper sheets.")
    share_token = models.CharField(max_length=32, unique=True, default=_share_token)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_packs",
    )
    door_count = models.PositiveIntegerField(default=0)

    unscoped = PackQuerySet.as_manager()
    objects = PackQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["walk_list", "number"]
        constraints = [models.UniqueConstraint(fields=["walk_list", "number"], name="pack_number_unique")]

    def __str__(self):
        return f"{self.sheet_id} {self.name}"

    @property
    def campaign(self):
        return self.walk_list.campaign


class PackDoor(models.Model):
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="doors")
    property = models.ForeignKey("voters.Property", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["pack", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "property"], name="pack_door_once"),
        ]

    def __str__(self):
        return f"{self.pack.sheet_id} door {self.position}"


def _download_token():
    return secrets.token_urlsafe(24)


class PackDownload(models.Model):
    """A pack's data served to one person's phone, at server time. The phone sends `token` back with
    each answer, so an answer arriving after the person's grant ended is kept only if the phone
    had the pack while the grant held (see campaigns.offline.late_entry_allowed)."""

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=40, unique=True, default=_download_token)
    issued_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.pack.sheet_id} to {self.user} at {self.issued_at:%Y-%m-%d %H:%M}"


# --- Visits: what came back from a door or a call ---------------------------------------


class VisitQuerySet(CampaignScopedQuerySet):
    def counted(self) -> Self:
        """Not voided by an organiser: what reports count."""
        return self.filter(voided=False)

    def on_day(self, day: date) -> Self:
        return self.filter(received_at__date=day)


class Visit(ScopedModel):
    """One elector's result at a door or on a call, applied once per client UUID."""

    scope_path = "campaign__constituency"
    scope_action = Action.CANVASS

    class Flag(models.TextChoices):
        CLOCK_SKEW = "clock_skew", "Phone clock far from server time"
        GRANT_ENDED = "grant_ended", "Recorded while the canvasser's grant was valid; it has ended since"
        NOTE_TRUNCATED = "note_truncated", "Note too long: kept in full in the sync log"
        PAPER = "paper", "Keyed in from a paper sheet"

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="visits")
    channel = models.CharField(max_length=10, choices=CANVASS_CHANNEL_CHOICES, default=Channel.DOOR)
    pack = models.ForeignKey(Pack, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits")
    call_list = models.ForeignKey(
        "CallList", on_delete=models.SET_NULL, null=True, blank=True, related_name="visits"
    )
    survey_version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    elector = models.ForeignKey("voters.Elector", on_delete=models.PROTECT, related_name="visits")
    canvasser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    outcome = models.ForeignKey(DoorOutcome, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(help_text="When the phone says it was recorded.")
    received_at = models.DateTimeField(default=timezone.now, help_text="Server time: decides the order.")
    contact = models.OneToOneField(
        "voters.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="visit"
    )
    digest = models.CharField(max_length=64, help_text="SHA-256 of what was sent: spots conflicting repeats.")
    flags = models.JSONField(default=list, blank=True)
    voided = models.BooleanField(default=False)

    unscoped = VisitQuerySet.as_manager()
    objects = VisitQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["campaign", "received_at"], name="visit_campaign_time"),
            models.Index(fields=["elector", "-received_at"], name="visit_elector_time"),
            models.Index(fields=["pack", "received_at"], name="visit_pack_time"),
            models.Index(fields=["canvasser", "received_at"], name="visit_canvasser_time"),
        ]

    def __str__(self):
        return f"{self.outcome} {self.received_at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField()
    intention = models.ForeignKey(
        IntentionCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    strength = models.CharField(
        max_length=4, blank=True, choices=[("hard", "Hard"), ("soft", "Soft")], default=""
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "question"], name="answer_once_per_question")]

    def __str__(self):
        return f"{self.question.key}={self.value}"


class VisitIssue(models.Model):
    """An issue raised at a visit, one row each, for the issue map."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="issues")
    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "issue"], name="visit_issue_once")]

    def __str__(self):
        return str(self.issue)


class LatestIntentionQuerySet(ScopedQuerySet):
    pass


class LatestIntention(ScopedModel):
    """Each elector's most recent voting intention (by server time), kept up to date by visits."""

    scope_path = "elector__polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    elector = models.OneToOneField(
        "voters.Elector", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    intention = models.ForeignKey(IntentionCode, on_delete=models.PROTECT, related_name="+")
    strength = models.CharField(max_length=4, blank=True, default="")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    unscoped = LatestIntentionQuerySet.as_manager()
    objects = LatestIntentionQuerySet.as_guarded_manager()

    class Meta:
        indexes = [models.Index(fields=["intention", "strength"], name="latest_intention_code")]

    def __str__(self):
        return self.display

    @property
    def display(self):
        return f"{self.intention.code}{' ' + self.strength if self.strength else ''}"


class VisitVoid(models.Model):
    """An organiser voiding (or restoring) a visit: the row is the record; `Visit.voided` follows it."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="voids")
    voided = models.BooleanField(help_text="True to void, False to restore.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{'Void' if self.voided else 'Restore'} visit {self.visit_id}: {self.reason}"


class SyncProblemQuerySet(CampaignScopedQuerySet):
    pass


class SyncProblem(ScopedModel):
    """What the sync endpoint refused or changed, with the payload as sent: nothing is lost."""

    scope_path = "constituency"
    scope_action = Action.ORGANISE

    class Kind(models.TextChoices):
        REFUSED = "refused", "Refused"
        CONFLICT = "conflict", "Repeat of a UUID with different content"
        TRUNCATED = "truncated", "Note too long (kept here in full)"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_uuid = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=300)
    payload = models.JSONField()
    at = models.DateTimeField(default=timezone.now)

    unscoped = SyncProblemQuerySet.as_manager()
    objects = SyncProblemQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.client_uuid}: {self.message}"


class FollowUpQuerySet(CampaignScopedQuerySet):
    def open(self) -> Self:
        return self.filter(done_at__isnull=True)


class FollowUp(ScopedModel):
    """A task for the organiser from a visit: a postal-vote request, a volunteer offer, a
    do-not-knock / moved / deceased flag to review, a call back."""

    scope_path = "campaign__constituency"
    scope_action = Action.ORGANISE

    class Kind(models.TextChoices):
        POSTAL_VOTE = "postal_vote", "Wants a postal vote"
        VOLUNTEER = "volunteer", "Would volunteer"
        POSTER = "poster", "Will display a poster"
        REVIEW = "review", "Review the register record"
        CALL_BACK = "call_back", "Call back"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="follow_ups")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="follow_ups")
    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    unscoped = FollowUpQuerySet.as_manager()
    objects = FollowUpQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["done_at", "created_at"]
        indexes = [models.Index(fields=["campaign", "kind", "done_at"], name="follow_up_open")]

    def __str__(self):
        return f"{self.get_kind_display()} ({'done' if self.done_at else 'open'})"


# --- Relational organising ---------------------------------------------------------------


class RelationQuerySet(ScopedQuerySet):
    def of(self, user: User | AnonymousUser) -> Self:
        return self.filter(owner=user)


class Relation(ScopedModel):
    scope_path = "elector__polling_district__constituency"
    scope_action = Action.CANVASS

    class Kind(models.TextChoices):
        FAMILY = "family", "Family"
        FRIEND = "friend", "Friend"
        HOUSEMATE = "housemate", "Housemate"
        NEIGHBOUR = "neighbour", "Neighbour"
        COLLEAGUE = "colleague", "Colleague"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relations")
    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = RelationQuerySet.as_manager()
    objects = RelationQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["owner", "elector"], name="relation_once")]

    def __str__(self):
        return f"{self.get_kind_display()}: elector {self.elector_id}"


# --- Phone banks ------------------------------------------------------------------------------


class PhoneNumberQuerySet(ScopedQuerySet):
    def callable(self) -> Self:
        """Live calls must respect TPS and objections (PECR)."""
        return self.filter(tps=False, objected=False)


class PhoneNumber(ScopedModel):
    """A phone number for an elector, from a member record, a doorstep or an import."""

    scope_path = "elector__polling_district__constituency"
    scope_action = Action.VIEW_VOTERS

    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="phone_numbers")
    number = models.CharField(max_length=20)
    tps = models.BooleanField("on the TPS", default=False)
    objected = models.BooleanField(default=False, help_text="Asked not to be called.")
    source = models.CharField(max_length=30, default="canvass")
    recorded_at = models.DateTimeField(default=timezone.now)

    unscoped = PhoneNumberQuerySet.as_manager()
    objects = PhoneNumberQuerySet.as_guarded_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["elector", "number"], name="phone_number_once")]

    def __str__(self):
        return self.number


class CallList(CampaignList):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="call_lists")
    script = models.TextField(blank=True, help_text="What callers say first.")
    entry_count = models.PositiveIntegerField(default=0)


class CallEntry(ScopedModel):
    """One person to call. Callers claim entries with SELECT ... FOR UPDATE SKIP LOCKED."""

    scope_path = "call_list__campaign__constituency"
    scope_action = Action.CANVASS

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        CLAIMED = "claimed", "With a caller"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Contacted recently, skipped"  # by the contact-frequency rule

    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="entries")
    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="+")
    phone = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    call_back_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["call_list", "position"]
        verbose_name_plural = "call entries"
        constraints = [models.UniqueConstraint(fields=["call_list", "elector"], name="call_entry_once")]
        indexes = [models.Index(fields=["call_list", "status", "position"], name="call_entry_next")]

    def __str__(self):
        return f"{self.call_list} #{self.position}"


# --- Events, shifts and sign-ups (issue 17) ----------------------------------------------------
# Reading, counting, calendars and reminder planning: campaigns/events.py; writes:
# campaigns/events_services.py; pages: campaigns/views_events.py.


def _event_token():
    return secrets.token_urlsafe(12)


class EventQuerySet(ScopedQuerySet):
    def planned(self) -> Self:
        return self.filter(status=Event.Status.PLANNED)

    def upcoming(self, now=None) -> Self:
        """Events with a shift still to end."""
        return self.filter(shifts__ends_at__gt=now or timezone.now()).distinct()


class Event(ScopedModel):
    """A session people come to: a canvass session, a phone bank, a meeting. People book onto its
    shifts. The public page is reached by `token` (unguessable), and shows only what `visibility`
    allows; the exact meeting address only to people booked."""

    scope_path = "constituency"
    scope_action = Action.ORGANISE

    class Kind(models.TextChoices):
        CANVASS = "canvass", "Canvass session"
        PHONE_BANK = "phone_bank", "Phone bank"
        LEAFLETING = "leafleting", "Leafleting"
        TELLING = "telling", "Telling shift"
        COMMITTEE_ROOM = "committee_room", "Committee room"
        MEETING = "meeting", "Meeting"
        TRAINING = "training", "Training"
        SOCIAL = "social", "Social"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: anyone with the link, no sign-in"
        MEMBERS = "members", "Members of the CLP (signed in)"
        INVITED = "invited", "Invited: only people given the link"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        CANCELLED = "cancelled", "Cancelled"

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CANVASS)
    title = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    meeting_area = models.CharField(
        max_length=200, blank=True, help_text="Shown to everyone, e.g. 'Near Anytown station'."
    )
    meeting_point = models.CharField(
        max_length=300, blank=True, help_text="The exact address: shown to people booked only."
    )
    accessibility = models.TextField("accessibility notes", blank=True)
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The organiser people can ask; gets the 'did they make it?' message.",
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="People the event can take in all; blank for no limit."
    )
    needs_approval = models.BooleanField(
        default=False, help_text="The organiser books each sign-up (otherwise they are booked at once)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    walk_list = models.ForeignKey(
        WalkList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    call_list = models.ForeignKey(
        CallList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Mutual aid (issue 17, item 5): members of other CLPs may sign up, by region or by CLP.
    visiting_regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="+",
        help_text="Members of every other CLP in these regions may sign up and be let in on the day.",
    )
    visiting_constituencies = models.ManyToManyField(
        Constituency,
        blank=True,
        related_name="+",
        help_text="Members of these other CLPs may sign up and be let in on the day.",
    )
    series = models.UUIDField(null=True, blank=True, help_text="Occurrences of one recurring session.")
    token = models.CharField(max_length=24, unique=True, default=_event_token)
    revision = models.PositiveIntegerField(default=0, help_text="Raised by each change of time or place.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = EventQuerySet.as_manager()
    objects = EventQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["constituency", "status"], name="event_clp_status")]

    def __str__(self):
        return self.title


class ShiftQuerySet(ScopedQuerySet):
    pass


class Shift(ScopedModel):
    """A slot within an event: from `starts_at` to `ends_at`, for a role, needing `minimum` people
    and taking at most `maximum`."""

    scope_path = "event__constituency"
    scope_action = Action.ORGANISE

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    role = models.CharField(max_length=80, blank=True, help_text="e.g. canvasser, driver, caller")
    minimum = models.PositiveIntegerField(default=1)
    maximum = models.PositiveIntegerField(null=True, blank=True, help_text="Blank for no limit.")

    unscoped = ShiftQuerySet.as_manager()
    objects = ShiftQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(maximum__isnull=True) | Q(maximum__gte=models.F("minimum")),
                name="shift_maximum_at_least_minimum",
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="shift_starts")]

    def __str__(self):
        return f"{self.event} {timezone.localtime(self.starts_at):%a %d %b %H:%M}"


class EventContactQuerySet(ScopedQuerySet):
    pass


class EventContact(ScopedModel):
    """A person who signed up to a CLP's events: matched to a member of that CLP by email where one
    exists, otherwise a new contact with its source recorded. One per CLP and email address."""

    scope_path = "constituency"
    scope_action = Action.ORGANISE

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=30, blank=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=50, default="event sign-up")
    # Transactional reminders about what they booked: kept apart from campaign messages.
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_wording = models.TextField(blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = EventContactQuerySet.as_manager()
    objects = EventContactQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "constituency", models.functions.Lower("email"), name="event_contact_once_per_clp"
            )
        ]

    def __str__(self):
        return self.name


class SignupQuerySet(ScopedQuerySet):
    # A visiting activist's way in: the packs handed to them, while their day's grant lasts.
    entry_points = ("for_user", "visiting_packs")

    def booked(self) -> Self:
        return self.filter(status=Signup.Status.BOOKED)

    def waiting(self) -> Self:
        return self.filter(status=Signup.Status.WAITING).order_by("status_at", "id")

    def holding_a_place(self) -> Self:
        return self.filter(status__in=[Signup.Status.BOOKED])

    def visiting_packs(self, user: User | AnonymousUser) -> models.QuerySet[Any]:
        """The packs a visiting activist may canvass now (issue 17, item 5): the one handed to them
        at check-in at a session of another CLP, while the day's grant made then is in force (in
        force is asked on every request: `Grant.objects` holds only grants active now), and only
        if the pack is of that session's walk list in the grant's CLP. Nothing else of that CLP."""
        if not user.is_authenticated or not user.is_active:
            return Pack.unscoped.none().values("pk")
        return self.filter(
            visitor_grant__in=Grant.objects.filter(user=user, role=Role.VISITING_ACTIVIST),
            status=Signup.Status.BOOKED,
            attendance__in=[Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN],
            shift__event__status=Event.Status.PLANNED,
            pack__walk_list=models.F("shift__event__walk_list"),
            pack__walk_list__campaign__constituency=models.F("visitor_grant__constituency"),
            shift__event__constituency=models.F("visitor_grant__constituency"),
        ).values("pack")


def _signup_token():
    return secrets.token_urlsafe(16)


class Signup(ScopedModel):
    """A person's sign-up to one shift, and what became of it: requested (the organiser books),
    booked, on the waiting list, declined, cancelled. Check-in records attendance."""

    scope_path = "shift__event__constituency"
    scope_action = Action.ORGANISE

    class Status(models.TextChoices):
        REQUESTED = "requested", "Signed up, waiting for the organiser"
        BOOKED = "booked", "Booked"
        WAITING = "waiting", "On the waiting list"
        DECLINED = "declined", "Declined by the organiser"
        CANCELLED = "cancelled", "Cancelled"

    class Attendance(models.TextChoices):
        UNKNOWN = "", "Not checked in"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"
        WALK_IN = "walk_in", "Walk-in"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups")
    contact = models.ForeignKey(EventContact, on_delete=models.CASCADE, related_name="signups")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    status_at = models.DateTimeField(default=timezone.now, help_text="When the status last changed.")
    booked_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="The person confirmed from the day-before reminder."
    )
    attendance = models.CharField(max_length=10, choices=Attendance.choices, blank=True, default="")
    pack = models.ForeignKey(Pack, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    visitor_grant = models.OneToOneField(
        Grant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A visiting activist's day: the grant their check-in gave (access's visiting rule).",
    )
    token = models.CharField(max_length=32, unique=True, default=_signup_token)
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = SignupQuerySet.as_manager()
    objects = SignupQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["shift", "contact"], name="signup_once_per_shift")]
        indexes = [models.Index(fields=["shift", "status", "status_at"], name="signup_shift_status")]

    def __str__(self):
        return f"{self.contact} · {self.get_status_display()}"


class EventMessageQuerySet(ScopedQuerySet):
    pass


class EventMessage(ScopedModel):
    """One message of the reminder sequence, sent once: the row is claimed before sending, so a
    retried or second worker never sends it twice. `ref` tells apart repeated notices (a change of
    time or place: the event's revision). Messages to the organiser name the shift, not a sign-up."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        BOOKED = "booked", "Booked from the waiting list or by the organiser"
        DAY_BEFORE = "day_before", "The day before, 11:00"
        MORNING = "morning", "The morning of the day, 08:00"
        CHANGED = "changed", "Time or place changed"
        CANCELLED = "cancelled", "Event cancelled"
        THANK_YOU = "thank_you", "Thank you, after the shift"
        DID_THEY_COME = "did_they_come", "Did they make it? (to the organiser)"

    scope_path = "shift__event__constituency"
    scope_action = Action.ORGANISE

    kind = models.CharField(max_length=20, choices=Kind.choices)
    signup = models.ForeignKey(
        Signup, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="messages")
    ref = models.PositiveIntegerField(default=0)
    to = models.EmailField()
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    unscoped = EventMessageQuerySet.as_manager()
    objects = EventMessageQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["signup", "kind", "ref"],
                condition=Q(signup__isnull=False),
                name="event_message_once_per_signup",
            ),
            models.UniqueConstraint(
                fields=["shift", "kind", "ref"],
                condition=Q(signup__isnull=True),
                name="event_message_once_per_shift",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to}"


class EventInvitationQuerySet(ScopedQuerySet):
    # The other CLP's secretary reads the requests addressed to their CLP (issue 17, item 2).
    entry_points = ("for_user", "asked_of")

    def asked_of(self, user: User | AnonymousUser) -> Self:
        """Requests from other CLPs to invite this user's CLPs' willing volunteers: those who may
        email their CLP's members decide them."""
        return self.filter(constituency__in=constituencies_for(user, Action.MANAGE_MEMBERS)).exclude(
            event__constituency=models.F("constituency")
        )


class EventInvitation(ScopedModel):
    """An invitation to an event sent to an audience of members (issue 17, items 2 and 7): the member
    email engine's send that carried it, for the turnout of invited audiences. Of the event's own CLP
    (drafted at once), or a request to a CLP the event is open to, to invite its volunteers "willing
    to help other CLPs": that CLP's secretary approves it, and the send is then that CLP's own email
    to its own members; the event's CLP sees only the counts, never who."""

    scope_path = "event__constituency"
    scope_action = Action.ORGANISE

    class State(models.TextChoices):
        ASKED = "asked", "Asked, waiting for the other CLP"
        DRAFTED = "drafted", "Drafted as an email to members"
        DECLINED = "declined", "Declined by the other CLP"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="+", help_text="Whose members are invited."
    )
    send = models.OneToOneField(
        "members.EmailSend",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_invitation",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFTED)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = EventInvitationQuerySet.as_manager()
    objects = EventInvitationQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "constituency"],
                condition=Q(state="asked"),
                name="event_invitation_one_open_ask_per_clp",
            )
        ]

    def __str__(self):
        return f"{self.event} → {self.constituency}"
