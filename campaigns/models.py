"""Canvassing: reference codes, campaigns, versioned surveys, walk lists and packs, door and phone
visits (each applied once by its client UUID), follow-ups, relations and phone banks."""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labourhub.models import Constituency
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
