"""Polling day: elections and where people vote, promises, tellers' numbers, who has voted,
knock-up rounds, lifts and the postal chase.

How the pieces fit (read this before building a page on top):

- An `Election` belongs to one constituency and names the `RegisterPublication` it uses: every
  poll number typed on the day is resolved against that publication's `RegisterEntry` rows,
  never today's numbering. `democracy_club_id` (e.g. ``parl.2029-05-03``) is the id the
  register imports put on `voters.ElectorMark` (postal/proxy lists before the poll, the marked
  register after it), so marks are found by it.
- Places: `PollingStation` (from the council's list) holds one or more `BallotBox`es; a box
  serves polling districts through `BallotBoxDistrict` (a district split between two boxes
  gives each an elector-number range). Co-located boxes share a station and its door: a
  teller there tells for all of them. `CommitteeRoom` covers boxes (`CommitteeRoomBox`: a box
  belongs to at most one room); one room per election is the main one.
- Promises (the Shuttleworth list) are not stored: they are derived from canvassing
  (`campaigns.LatestIntention` whose code `is_ours`) plus `PromiseAdjustment` rows (events:
  add/remove from promises, won't vote, do not return; the latest row per elector and kind
  wins). See `gotv.services.promises`.
- Events are rows, never edited or deleted: `Telling` (a number a teller typed, resolved;
  two tellers entering one number make two rows), `TellingUndo` (an undo is a row),
  `KnockUpOutcome`, `BoxTurnoutCount` (agent's snapshots: the latest wins, history kept),
  `WarpCount` (added up; marking one invalid is the only change), `PostalChaseContact`.
- `VoteRecord` is the one derived table: at most one row per elector per election ("voted",
  with its first source), inserted by the services with ``ON CONFLICT DO NOTHING`` when a
  telling, a doorstep "already voted" or a knock-up "voted" arrives, and removed only when
  the telling it rests on is undone and nothing else says they voted. It carries the
  polling district so the board counts per district/box with one indexed GROUP BY.
- Knock-up list = promises − VoteRecord − won't vote − do not return (`gotv.services.knock_up`).
  A `KnockUpRound` is a committee room's round, stamped with the tellings it includes; its doors
  are a `campaigns.WalkList` (packs, sheet ids, share tokens, the offline page) on the
  election's polling-day `Campaign`, and `KnockUpRoundElector` freezes its list when wanted.
- Offline phones: every event from a phone has a `client_uuid` (unique: applied once) and the
  server-issued `downloaded_at` of the page it was typed on (the late-entry rule for a
  teller whose grant has ended uses it, never the phone's clock).

Scoping: every model holding personal data (or places an election reveals) is a `ScopedModel`
whose `scope_path` runs through its election.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labourhub.models import Constituency, PollingDistrict, Ward
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet
from voters.models import Channel, ElectionType


class TellScopedQuerySet(ScopedQuerySet):
    """Polling-day rows (each model's `scope_path` runs through its election)."""


# --- Elections and places -----------------------------------------------------------------


class ElectionQuerySet(TellScopedQuerySet):
    def on_day(self, day: datetime.date | None = None) -> Self:
        return self.filter(poll_date=day or timezone.localdate())

    def upcoming(self, day: datetime.date | None = None) -> Self:
        return self.filter(poll_date__gte=day or timezone.localdate())


class Election(ScopedModel):
    """One poll in one constituency (a general election is one Election per CLP)."""

    scope_path = "constituency"
    scope_action = Action.TELL

    class Kind(models.TextChoices):
        GENERAL = "general", "General election"
        LOCAL = "local", "Local elections"
        BY_ELECTION = "by_election", "By-election"
        MAYORAL = "mayoral", "Mayoral election"
        PCC = "pcc", "Police and crime commissioner"

    # Who may vote (voters.Elector.may_vote_in) by kind of election.
    FRANCHISE = {
        Kind.GENERAL: ElectionType.PARLIAMENT,
        Kind.BY_ELECTION: ElectionType.PARLIAMENT,
        Kind.LOCAL: ElectionType.LOCAL,
        Kind.MAYORAL: ElectionType.LOCAL,
        Kind.PCC: ElectionType.LOCAL,
    }

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="elections")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=150)
    democracy_club_id = models.CharField(
        "Democracy Club id",
        max_length=100,
        blank=True,
        help_text="e.g. parl.2029-05-03: how the postal list and marked register imports name it.",
    )
    poll_date = models.DateField()
    polls_open = models.TimeField(default=datetime.time(7, 0))
    polls_close = models.TimeField(default=datetime.time(22, 0))
    late_grace_minutes = models.PositiveSmallIntegerField(
        default=30,
        help_text="Tellings recorded before the close of poll are still accepted this long after it.",
    )
    wards = models.ManyToManyField(
        Ward, blank=True, related_name="elections", help_text="For local elections: the wards contested."
    )
    publication = models.ForeignKey(
        "voters.RegisterPublication",
        on_delete=models.PROTECT,
        related_name="elections",
        help_text="The register it uses ('eligible as of'): poll numbers resolve against this.",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="elections",
        help_text="The polling-day campaign that knock-up walk lists and doorstep visits belong to.",
    )
    postal_chase_from = models.DateField(
        null=True, blank=True, help_text="When postal ballots go out (about 14 days before polling day)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = ElectionQuerySet.as_manager()
    objects = ElectionQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-poll_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(polls_close__gt=models.F("polls_open")), name="election_polls_close_after_open"
            ),
            models.CheckConstraint(
                condition=Q(postal_chase_from__isnull=True) | Q(postal_chase_from__lte=models.F("poll_date")),
                name="election_postal_chase_before_poll",
            ),
            models.UniqueConstraint(
                fields=["constituency", "democracy_club_id"],
                condition=~Q(democracy_club_id=""),
                name="election_dc_id_once_per_clp",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.poll_date:%-d %b %Y})"

    @property
    def franchise(self):
        return self.FRANCHISE[self.kind]

    @property
    def opens_at(self):
        return timezone.make_aware(datetime.datetime.combine(self.poll_date, self.polls_open))

    @property
    def closes_at(self):
        return timezone.make_aware(datetime.datetime.combine(self.poll_date, self.polls_close))

    @property
    def tellings_accepted_until(self):
        """The last moment the server accepts a telling recorded before the close of poll."""
        return self.closes_at + datetime.timedelta(minutes=self.late_grace_minutes)

    @property
    def postal_chase_starts(self):
        return self.postal_chase_from or self.poll_date - datetime.timedelta(days=14)


class PollingStationQuerySet(TellScopedQuerySet):
    pass


class PollingStation(ScopedModel):
    """A polling place for one election, from the council's list or typed in the admin."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="stations")
    council_id = models.CharField(
        max_length=100, blank=True, help_text="The council's id (Democracy Club polling_place_id)."
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=400, blank=True)
    postcode = models.CharField(max_length=8, blank=True, help_text="Normalised: capitals, no space.")
    uprn = models.CharField("UPRN", max_length=12, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    unscoped = PollingStationQuerySet.as_manager()
    objects = PollingStationQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["election", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "council_id"],
                condition=~Q(council_id=""),
                name="polling_station_council_id_once",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="polling_station_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="polling_station_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name


class BallotBoxQuerySet(TellScopedQuerySet):
    pass


class BallotBox(ScopedModel):
    """A box in a station, serving one or more polling districts. `election` repeats the
    station's (the services keep them equal) so tellings and boards filter on it directly."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="boxes")
    station = models.ForeignKey(PollingStation, on_delete=models.CASCADE, related_name="boxes")
    label = models.CharField(max_length=60, help_text="As the council names it, e.g. 'Box 2' or 'AB1'.")
    co_located = models.BooleanField(
        default=False, help_text="Shares the station's entrance with other boxes: tellers tell for all."
    )
    polling_districts = models.ManyToManyField(
        PollingDistrict, through="BallotBoxDistrict", related_name="ballot_boxes"
    )

    unscoped = BallotBoxQuerySet.as_manager()
    objects = BallotBoxQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["election", "label"]
        verbose_name_plural = "ballot boxes"
        constraints = [models.UniqueConstraint(fields=["election", "label"], name="ballot_box_label_once")]

    def __str__(self):
        return f"{self.label} at {self.station.name}" if self.station_id else self.label


class BallotBoxDistrict(models.Model):
    """A polling district a box serves; a district split between boxes gives each its number range."""

    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="districts")
    polling_district = models.ForeignKey(PollingDistrict, on_delete=models.PROTECT, related_name="+")
    first_number = models.PositiveIntegerField(null=True, blank=True)
    last_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["box", "polling_district__code"]
        constraints = [
            models.UniqueConstraint(fields=["box", "polling_district"], name="ballot_box_district_once"),
            models.CheckConstraint(
                condition=Q(first_number__isnull=True)
                | Q(last_number__isnull=True)
                | Q(last_number__gte=models.F("first_number")),
                name="ballot_box_district_range_order",
            ),
        ]

    def __str__(self):
        if self.first_number is None and self.last_number is None:
            return str(self.polling_district)
        return f"{self.polling_district} {self.first_number or 1}-{self.last_number or ''}"


class CommitteeRoomQuerySet(TellScopedQuerySet):
    pass


class CommitteeRoom(ScopedModel):
    """Where a polling day is run from: it covers some boxes and sends out knock-up rounds."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="committee_rooms")
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=400, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact_number = models.CharField(max_length=20, blank=True)
    is_main = models.BooleanField(default=False, help_text="The main committee room (one per election).")
    boxes = models.ManyToManyField(BallotBox, through="CommitteeRoomBox", related_name="committee_rooms")

    unscoped = CommitteeRoomQuerySet.as_manager()
    objects = CommitteeRoomQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["election", "-is_main", "name"]
        constraints = [
            models.UniqueConstraint(fields=["election", "name"], name="committee_room_name_once"),
            models.UniqueConstraint(
                fields=["election"], condition=Q(is_main=True), name="committee_room_one_main"
            ),
        ]

    def __str__(self):
        return self.name


class CommitteeRoomBox(models.Model):
    committee_room = models.ForeignKey(CommitteeRoom, on_delete=models.CASCADE, related_name="+")
    box = models.OneToOneField(
        BallotBox,
        on_delete=models.CASCADE,
        related_name="committee_room_link",
        help_text="A box is run from one committee room.",
    )

    def __str__(self):
        return f"{self.box} from {self.committee_room}"


# --- Promises -----------------------------------------------------------------------------


class PromiseAdjustmentQuerySet(TellScopedQuerySet):
    pass


class PromiseAdjustment(ScopedModel):
    """A change to one elector's place in the promise list, as a row: the latest row per
    (election, elector, kind) is in force. `value` False clears an earlier row of the kind."""

    scope_path = "election__constituency"
    scope_action = Action.ORGANISE

    class Kind(models.TextChoices):
        PROMISE = "promise", "On the promise list"  # True: add; False: remove (overrides canvassing)
        WONT_VOTE = "wont_vote", "Won't vote"
        DO_NOT_RETURN = "do_not_return", "Do not return (this election)"

    class Source(models.TextChoices):
        MANUAL = "manual", "Added by hand"
        KNOCK_UP = "knock_up", "Knock-up outcome"
        POSTAL_CHASE = "postal_chase", "Postal chase"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="promise_adjustments")
    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.BooleanField(default=True, help_text="True sets it, False clears it.")
    reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    unscoped = PromiseAdjustmentQuerySet.as_manager()
    objects = PromiseAdjustmentQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["election", "elector", "kind", "-at"], name="promise_adj_latest"),
            models.Index(fields=["election", "kind", "-at"], name="promise_adj_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="promise", source="manual") | ~Q(reason=""),
                name="promise_adjustment_manual_has_reason",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {'yes' if self.value else 'no'}"


# --- Telling and who has voted --------------------------------------------------------------


class OfflineFlag(models.TextChoices):
    """Flags on rows sent from phones (as Visit.Flag in campaigns)."""

    CLOCK_SKEW = "clock_skew", "Phone clock far from server time"
    GRANT_ENDED = "grant_ended", "Recorded while the grant was valid; it has ended since"
    LATE = "late", "Arrived after the close of poll, within the grace period"
    PAPER = "paper", "Keyed in from paper"


class TellingQuerySet(TellScopedQuerySet):
    def live(self) -> Self:
        """Not undone."""
        return self.filter(undo__isnull=True)


class Telling(ScopedModel):
    """A poll number a teller typed at a box, resolved to the register entry it names. Only
    numbers that resolve are stored; two tellers typing one number make two rows."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    # Indexed by telling_election_elector.
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="tellings", db_index=False)
    # Indexed by telling_box_time.
    box = models.ForeignKey(BallotBox, on_delete=models.PROTECT, related_name="tellings", db_index=False)
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tellings")
    raw_number = models.CharField(max_length=40, help_text="As typed.")
    elector = models.ForeignKey("voters.Elector", on_delete=models.PROTECT, related_name="+", db_index=False)
    # The register entry it resolved to, copied rather than referenced: monthly updates rewrite a
    # publication's entries, and a telling must neither block that nor lose what was told.
    polling_district = models.ForeignKey(
        PollingDistrict, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    elector_number = models.PositiveIntegerField()
    elector_suffix = models.PositiveIntegerField(default=0)
    recorded_at = models.DateTimeField(help_text="When the phone says it was typed (clamped to server time).")
    received_at = models.DateTimeField(default=timezone.now, help_text="Server time.")
    downloaded_at = models.DateTimeField(
        null=True, blank=True, help_text="Server-issued time the teller's page was loaded (offline entries)."
    )
    flags = models.JSONField(default=list, blank=True)

    unscoped = TellingQuerySet.as_manager()
    objects = TellingQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["election", "elector"], name="telling_election_elector"),
            models.Index(fields=["box", "recorded_at"], name="telling_box_time"),
            models.Index(fields=["teller", "-received_at"], name="telling_teller_recent"),
        ]

    def __str__(self):
        return f"{self.raw_number} at {self.box_id} {self.recorded_at:%H:%M}"


class TellingUndoQuerySet(TellScopedQuerySet):
    pass


class TellingUndo(ScopedModel):
    """An undo is a row: the telling stays, with this beside it."""

    scope_path = "telling__election__constituency"
    scope_action = Action.TELL

    telling = models.OneToOneField(Telling, on_delete=models.PROTECT, related_name="undo")
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    unscoped = TellingUndoQuerySet.as_manager()
    objects = TellingUndoQuerySet.as_guarded_manager()

    def __str__(self):
        return f"Undo of telling {self.telling_id}"


class VoteRecordQuerySet(TellScopedQuerySet):
    def in_district(self, polling_district: PollingDistrict) -> Self:
        return self.filter(polling_district=polling_district)


class VoteRecord(ScopedModel):
    """Derived: this elector has voted at this election (at most one row), with the first source.
    Written by gotv.services with ON CONFLICT DO NOTHING, never by hand."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    class Source(models.TextChoices):
        TELLING = "telling", "Told at the polling station"
        DOORSTEP = "doorstep", "Said 'already voted' at the door"
        KNOCK_UP = "knock_up", "Knock-up: voted"

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="vote_records", db_index=False
    )
    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="+", db_index=False)
    polling_district = models.ForeignKey(
        PollingDistrict, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    telling = models.ForeignKey(
        Telling, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    knock_up_outcome = models.ForeignKey(
        "KnockUpOutcome", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    at = models.DateTimeField(help_text="When they were seen to have voted.")

    unscoped = VoteRecordQuerySet.as_manager()
    objects = VoteRecordQuerySet.as_guarded_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["election", "elector"], name="vote_record_once")]
        indexes = [
            models.Index(fields=["election", "polling_district", "at"], name="vote_record_district_time"),
            models.Index(fields=["telling"], name="vote_record_telling", condition=Q(telling__isnull=False)),
        ]

    def __str__(self):
        return f"Voted ({self.get_source_display()}) {self.at:%H:%M}"


class BoxTurnoutCount(ScopedModel):
    """A polling agent's count of ballot papers issued at a box: snapshots, the latest wins."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+", db_index=False)
    box = models.ForeignKey(
        BallotBox, on_delete=models.CASCADE, related_name="turnout_counts", db_index=False
    )
    ballots_issued = models.PositiveIntegerField()
    as_of = models.DateTimeField(help_text="When the count was read at the box.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    unscoped = TellScopedQuerySet.as_manager()
    objects = TellScopedQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["box", "-as_of"]
        indexes = [models.Index(fields=["box", "-as_of", "-received_at"], name="box_turnout_latest")]

    def __str__(self):
        return f"{self.ballots_issued} at {self.as_of:%H:%M}"


class WarpCount(ScopedModel):
    """Votes seen for one party at a box (at the verification): counts are added up; a wrong one
    is marked invalid, never deleted."""

    scope_path = "election__constituency"
    scope_action = Action.TELL

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+", db_index=False)
    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="warp_counts", db_index=False)
    party = models.ForeignKey(
        "campaigns.IntentionCode", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(max_length=60, blank=True, help_text="Candidate or party when not a code.")
    votes = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    invalid = models.BooleanField(default=False)
    invalid_reason = models.CharField(max_length=200, blank=True)
    invalidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invalidated_at = models.DateTimeField(null=True, blank=True)

    unscoped = TellScopedQuerySet.as_manager()
    objects = TellScopedQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["box", "-recorded_at"]
        indexes = [models.Index(fields=["box", "invalid"], name="warp_box_valid")]
        constraints = [
            models.CheckConstraint(
                condition=Q(party__isnull=False) | ~Q(label=""), name="warp_count_names_party_or_label"
            ),
            models.CheckConstraint(
                condition=Q(invalid=False) | ~Q(invalid_reason=""), name="warp_count_invalid_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.party or self.label}: {self.votes}{' (invalid)' if self.invalid else ''}"


# --- Knock-up -------------------------------------------------------------------------------


class KnockUpRoundQuerySet(TellScopedQuerySet):
    def out(self) -> Self:
        return self.filter(closed_at__isnull=True)


class KnockUpRound(ScopedModel):
    """A committee room's round: promises not yet voted, by road group, in packs of the round's
    walk list. Stamped with the tellings it includes; refreshing moves the stamp on."""

    scope_path = "committee_room__election__constituency"
    scope_action = Action.TELL

    committee_room = models.ForeignKey(CommitteeRoom, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120, blank=True)
    walk_list = models.OneToOneField(
        "campaigns.WalkList",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="knock_up_round",
        help_text="Its doors and packs (on the election's polling-day campaign).",
    )
    tellings_up_to = models.DateTimeField(help_text="'Includes tellings up to 14:32'.")
    frozen = models.BooleanField(default=False, help_text="Its list is kept as it was (KnockUpRoundElector).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    unscoped = KnockUpRoundQuerySet.as_manager()
    objects = KnockUpRoundQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["committee_room", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["committee_room", "number"], name="knock_up_round_once")
        ]

    def __str__(self):
        return f"{self.committee_room} round {self.number}"

    @property
    def election(self):
        return self.committee_room.election


class KnockUpRoundElector(ScopedModel):
    """A frozen round's list: who was to be knocked up when it went out."""

    scope_path = "round__committee_room__election__constituency"
    scope_action = Action.TELL

    round = models.ForeignKey(KnockUpRound, on_delete=models.CASCADE, related_name="electors")
    elector = models.ForeignKey("voters.Elector", on_delete=models.CASCADE, related_name="+")
    pack = models.ForeignKey(
        "campaigns.Pack", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "elector"], name="knock_up_round_elector_once")
        ]

    def __str__(self):
        return f"{self.round}: elector {self.elector_id}"


class KnockUpOutcomeQuerySet(TellScopedQuerySet):
    pass


class KnockUpOutcome(ScopedModel):
    """What a knocker found at a door on polling day (applied once per client UUID)."""

    scope_path = "round__committee_room__election__constituency"
    scope_action = Action.TELL

    class Outcome(models.TextChoices):
        NOT_IN = "not_in", "Not in"
        WILL_VOTE = "will_vote", "Will vote"
        VOTED = "voted", "Voted"
        NEEDS_LIFT = "needs_lift", "Needs a lift"
        WONT_VOTE = "wont_vote", "Won't vote"

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    round = models.ForeignKey(KnockUpRound, on_delete=models.PROTECT, related_name="outcomes", db_index=False)
    pack = models.ForeignKey(
        "campaigns.Pack", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    elector = models.ForeignKey("voters.Elector", on_delete=models.PROTECT, related_name="+")
    knocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    notes = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    downloaded_at = models.DateTimeField(null=True, blank=True, help_text="Server-issued pack download time.")
    flags = models.JSONField(default=list, blank=True)

    unscoped = KnockUpOutcomeQuerySet.as_manager()
    objects = KnockUpOutcomeQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["round", "received_at"], name="knock_up_outcome_round_time")]

    def __str__(self):
        return f"{self.get_outcome_display()} {self.recorded_at:%H:%M}"


# --- Lifts ----------------------------------------------------------------------------------


class DriverQuerySet(TellScopedQuerySet):
    pass


class Driver(ScopedModel):
    """A volunteer with a car for one election."""

    scope_path = "election__constituency"
    scope_action = Action.ORGANISE

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="drivers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=20, blank=True)
    seats = models.PositiveSmallIntegerField(default=3)
    wheelchair_accessible = models.BooleanField(default=False)
    available_from = models.TimeField(null=True, blank=True)
    available_until = models.TimeField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    unscoped = DriverQuerySet.as_manager()
    objects = DriverQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["election", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "user"], condition=Q(user__isnull=False), name="driver_once_per_user"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="driver_has_a_seat"),
        ]

    def __str__(self):
        return self.name


class LiftRequestQuerySet(TellScopedQuerySet):
    def open(self) -> Self:
        return self.filter(status__in=[LiftRequest.Status.OPEN, LiftRequest.Status.ASSIGNED])


class LiftRequest(ScopedModel):
    scope_path = "election__constituency"
    scope_action = Action.TELL

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a driver"
        ASSIGNED = "assigned", "Driver assigned"
        DONE = "done", "Taken to vote"
        CANCELLED = "cancelled", "Cancelled"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="lift_requests")
    elector = models.ForeignKey(
        "voters.Elector", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(
        max_length=150, help_text="Who needs the lift (filled from the elector if known)."
    )
    address = models.CharField(max_length=400)
    postcode = models.CharField(max_length=8, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    window_from = models.TimeField(null=True, blank=True)
    window_until = models.TimeField(null=True, blank=True)
    passengers = models.PositiveSmallIntegerField(default=1)
    accessibility_needs = models.CharField(max_length=300, blank=True)
    wheelchair = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, null=True, blank=True, related_name="lifts")
    committee_room = models.ForeignKey(
        CommitteeRoom, on_delete=models.SET_NULL, null=True, blank=True, related_name="lift_requests"
    )
    knock_up_outcome = models.OneToOneField(
        KnockUpOutcome, on_delete=models.SET_NULL, null=True, blank=True, related_name="lift_request"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(
        null=True, blank=True, help_text="When the driver said they had picked the passenger up."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    unscoped = LiftRequestQuerySet.as_manager()
    objects = LiftRequestQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["election", "window_from", "created_at"]
        indexes = [models.Index(fields=["election", "status"], name="lift_request_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(driver__isnull=False), name="lift_assigned_has_driver"
            ),
            models.CheckConstraint(
                condition=Q(window_from__isnull=True)
                | Q(window_until__isnull=True)
                | Q(window_until__gte=models.F("window_from")),
                name="lift_window_order",
            ),
            models.CheckConstraint(condition=Q(passengers__gte=1), name="lift_has_a_passenger"),
        ]

    def __str__(self):
        return f"Lift for {self.name} ({self.get_status_display()})"


# --- Postal chase ---------------------------------------------------------------------------


class PostalChaseContactQuerySet(TellScopedQuerySet):
    pass


class PostalChaseContact(ScopedModel):
    """A reminder to a postal voter among the promises ("have you posted it?"). Campaigners never
    collect or handle anyone's postal vote; there is no per-voter return data before close of poll."""

    scope_path = "election__constituency"
    scope_action = Action.CANVASS

    CHANNELS = (Channel.PHONE, Channel.DOOR)  # of the one Channel enum (voters.models)
    CHANNEL_CHOICES = [(channel.value, channel.label) for channel in CHANNELS]

    class Outcome(models.TextChoices):
        POSTED = "posted", "Says it is posted or handed in"
        AT_HOME = "at_home", "Still at home"
        NOT_RECEIVED = "not_received", "Has not received it"
        NO_ANSWER = "no_answer", "No answer"
        REFUSED = "refused", "Would rather not say"

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="postal_chase_contacts")
    elector = models.ForeignKey("voters.Elector", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=6, choices=CHANNEL_CHOICES)
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    notes = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    unscoped = PostalChaseContactQuerySet.as_manager()
    objects = PostalChaseContactQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["election", "elector", "-at"], name="postal_chase_latest")]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"


# --- The polling-day rota (issue 17 item 6): which event shifts staff which station or room ------
# Reading (the grid, coverage): gotv/rota.py; writes: gotv/rota_services.py.


class RotaSlotQuerySet(TellScopedQuerySet):
    pass


class RotaSlot(ScopedModel):
    """A shift of a telling or committee-room event placed on an election's rota: tellers at a
    station (and box, when the station's boxes are told apart), knockers or drivers at a committee
    room. The people are the shift's sign-ups (campaigns.Signup); this row only says where."""

    scope_path = "election__constituency"
    scope_action = Action.ORGANISE

    class Kind(models.TextChoices):
        TELLER = "teller", "Tellers"
        KNOCKER = "knocker", "Knockers"
        DRIVER = "driver", "Drivers"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="rota_slots")
    shift = models.OneToOneField("campaigns.Shift", on_delete=models.CASCADE, related_name="rota_slot")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    station = models.ForeignKey(
        PollingStation, on_delete=models.CASCADE, null=True, blank=True, related_name="rota_slots"
    )
    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    committee_room = models.ForeignKey(
        CommitteeRoom, on_delete=models.CASCADE, null=True, blank=True, related_name="rota_slots"
    )

    unscoped = RotaSlotQuerySet.as_manager()
    objects = RotaSlotQuerySet.as_guarded_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="teller") & Q(station__isnull=False) & Q(committee_room__isnull=True))
                | (~Q(kind="teller") & Q(committee_room__isnull=False) & Q(station__isnull=True)),
                name="rota_slot_teller_at_station_else_room",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.station or self.committee_room}"
