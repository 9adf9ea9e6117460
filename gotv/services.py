"""Writes for polling day. Keyword-only arguments, one transaction each.

- `election_create`, `committee_room_create`, `station_import` (the council's station list, read
  by gotv.stations; all or nothing): setting up. Stations and boxes can also be typed in the admin.
- `telling_record(*, teller, election, box, raw_number, client_uuid, ...)` -> TellingResult: parses
  the number as typed (gotv.poll_numbers), resolves it against the election's register
  publication, stores a `Telling` once per client UUID, and inserts the elector's `VoteRecord`
  with ON CONFLICT DO NOTHING: two tellers typing one number make two tellings and one "voted"
  (the second gets "already told"). Numbers that do not resolve write nothing and say why.
  Refused: polls not open / closed beyond the grace period, a box of another election, a teller
  without TELL here (unless the late-entry rule in gotv.offline allows it).
- `telling_undo`: an undo is a row; the VoteRecord moves to another live telling of the same
  elector or goes (if it rested on tellings only).
- `vote_record_add`: "voted" from a doorstep or a knock-up outcome.
- `promise_adjust`: add/remove from the promises, won't vote, do not return (rows; latest wins).
- `box_turnout_record`, `warp_count_record`, `warp_count_invalidate`: the agents' counts.

Reads live elsewhere: the promise and knock-up lists and their counts in `gotv.promises`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaigns.services import SKEW_FUTURE, SKEW_PAST, campaign_create
from gotv import offline, stations, telling_sql
from gotv.models import (
    BallotBox,
    BallotBoxDistrict,
    BoxTurnoutCount,
    CommitteeRoom,
    CommitteeRoomBox,
    Driver,
    Election,
    KnockUpOutcome,
    KnockUpRound,
    LiftRequest,
    OfflineFlag,
    PollingStation,
    PostalChaseContact,
    PromiseAdjustment,
    Telling,
    TellingUndo,
    VoteRecord,
    WarpCount,
)
from gotv.poll_numbers import (
    BoxDistricts,
    PollNumberError,
    Resolution,
    districts_to_search,
    parse_poll_number,
    resolution_of,
)
from gotv.webhooks import telling_emit
from labourhub.models import PollingDistrict
from labourhub.scoping import Action, can
from labourhub.services import audit_record
from voters.importers.base import ImportRejected
from voters.models import Elector, PostcodeLocation, RegisterEntry

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime, time
    from pathlib import Path
    from typing import Any

    from campaigns.models import Campaign, IntentionCode, Pack
    from gotv.stations import ParsedFile, StationRow
    from labourhub.models import Constituency, User, Ward
    from voters.models import RegisterPublication

UNDO_LAST = 5  # a teller may undo their last five entries


# --- Setting up -------------------------------------------------------------------------------


@transaction.atomic
def election_create(
    *,
    constituency: Constituency,
    kind: str,
    name: str,
    poll_date: date,
    publication: RegisterPublication,
    user: User | None = None,
    democracy_club_id: str = "",
    wards: Iterable[Ward] = (),
    polls_open: time | None = None,
    polls_close: time | None = None,
    late_grace_minutes: int = 30,
    postal_chase_from: date | None = None,
    campaign: Campaign | None = None,
) -> Election:
    """An election in `constituency` using `publication`, with its polling-day campaign (for
    knock-up walk lists and doorstep visits) unless one is given."""
    if kind not in Election.Kind.values:
        raise ValidationError(f"kind: {kind!r} is not one of {', '.join(Election.Kind.values)}.")
    if publication.constituency_id != constituency.pk:
        raise ValidationError(f"publication: {publication} is not a register of {constituency}.")
    outside = [str(w) for w in wards if w.constituency_id != constituency.pk]
    if outside:
        raise ValidationError(f"wards: not in {constituency}: {', '.join(outside)}.")
    if campaign is not None and campaign.constituency_id != constituency.pk:
        raise ValidationError(f"campaign: {campaign} is not a campaign of {constituency}.")
    election = Election(
        constituency=constituency,
        kind=kind,
        name=name[:150],
        democracy_club_id=democracy_club_id,
        poll_date=poll_date,
        publication=publication,
        late_grace_minutes=late_grace_minutes,
        postal_chase_from=postal_chase_from,
        created_by=user,
    )
    if polls_open is not None:
        election.polls_open = polls_open
    if polls_close is not None:
        election.polls_close = polls_close
    if election.polls_close <= election.polls_open:
        raise ValidationError("polls_close: the polls must close after they open.")
    election.campaign = campaign or campaign_create(
        constituency=constituency,
        name=f"{name[:100]} polling day",
        starts_on=election.postal_chase_starts,
        ends_on=poll_date,
        user=user,
    )
    election.save()
    if wards:
        election.wards.set(wards)
    audit_record(action="election.create", user=user, obj=election, constituency=constituency)
    return election


@transaction.atomic
def committee_room_create(
    *,
    election: Election,
    name: str,
    boxes: Iterable[BallotBox] = (),
    is_main: bool = False,
    organiser: User | None = None,
    address: str = "",
    postcode: str = "",
    contact_number: str = "",
    user: User | None = None,
) -> CommitteeRoom:
    """A committee room covering `boxes` (each box is run from one room)."""
    wrong = [str(b) for b in boxes if b.election_id != election.pk]
    if wrong:
        raise ValidationError(f"boxes: not boxes of {election}: {', '.join(wrong)}.")
    taken = CommitteeRoomBox.objects.filter(box__in=boxes).select_related("box", "committee_room")
    if taken:
        raise ValidationError(
            "boxes: already run from another room: "
            + ", ".join(f"{link.box.label} ({link.committee_room})" for link in taken)
            + "."
        )
    if is_main and CommitteeRoom.unscoped.filter(election=election, is_main=True).exists():
        raise ValidationError(f"is_main: {election} already has a main committee room.")
    room = CommitteeRoom.unscoped.create(
        election=election,
        name=name[:120],
        address=address,
        postcode=postcode,
        organiser=organiser,
        contact_number=contact_number,
        is_main=is_main,
    )
    CommitteeRoomBox.objects.bulk_create(CommitteeRoomBox(committee_room=room, box=box) for box in boxes)
    audit_record(action="committee_room.create", user=user, obj=room, constituency=election.constituency)
    return room


# --- Telling ---------------------------------------------------------------------------------


@dataclass
class TellingResult:
    """What the teller's screen says. `status`:
    found          stored; the elector's first "voted" (name shown, to catch typos)
    already_told   stored; they were already marked as voted (another teller, or earlier)
    duplicate      this client UUID was stored before (safe to drop from the phone's queue)
    conflict       this client UUID was stored before with another number or box: refused
    invalid        not a poll number (letters, empty, out of range): nothing stored
    unknown        well formed, but not on the election's register: nothing stored
    not_on_box     on the register, but not for this box: nothing stored
    ambiguous      the number exists in more than one of the box's districts: nothing stored
    refused        the poll is not open, or the teller may not tell here: nothing stored
    """

    status: str
    message: str = ""
    telling: Telling | None = None
    name: str = ""
    number: str = ""
    flags: list = field(default_factory=list)
    audited: bool = False  # the telling statement wrote the batch's audit row (telling_sql.TellingAudit)

    STORED = ("found", "already_told", "duplicate")

    @property
    def stored(self) -> bool:
        return self.status in self.STORED


def _phone_time(recorded_at: datetime | None, now: datetime) -> tuple[datetime, list[str]]:
    """Server time decides: a phone clock far from ours is not believed (and is flagged)."""
    if recorded_at is None or recorded_at > now + SKEW_FUTURE or recorded_at < now - SKEW_PAST:
        return now, [OfflineFlag.CLOCK_SKEW]
    return min(recorded_at, now), []


def _poll_window_refusal(election: Election, recorded_at: datetime | None, now: datetime) -> str | None:
    local = timezone.localtime
    if now < election.opens_at or recorded_at < election.opens_at:
        return f"The polls open at {local(election.opens_at):%H:%M} on {election.poll_date:%-d %B %Y}."
    if now > election.tellings_accepted_until:
        return (
            f"The polls closed at {local(election.closes_at):%H:%M}; tellings were taken until "
            f"{local(election.tellings_accepted_until):%H:%M}."
        )
    if recorded_at > election.closes_at:
        return f"Recorded after the polls closed at {local(election.closes_at):%H:%M}."
    return None


def _may_tell(
    teller: User, election: Election, downloaded_at: datetime | None, now: datetime
) -> tuple[bool, list[str]]:
    """(allowed, flags): TELL now, or the late-entry rule for a grant that has ended since."""
    if can(teller, Action.TELL, election.constituency):
        return True, []
    if offline.late_entry_allowed(user=teller, election=election, downloaded_at=downloaded_at, now=now):
        return True, [OfflineFlag.GRANT_ENDED]
    return False, []


@transaction.atomic
def telling_record(
    *,
    teller: User,
    election: Election,
    box: BallotBox,
    raw_number: str,
    client_uuid: str | uuid.UUID,
    recorded_at: datetime | None = None,
    downloaded_at: datetime | None = None,
    paper: bool = False,
    box_districts: BoxDistricts | None = None,
    permission: tuple[bool, list[str]] | None = None,
    audit: telling_sql.TellingAudit | None = None,
) -> TellingResult:
    """Record one number a teller typed at `box`. Applied once per `client_uuid`; see TellingResult.

    `downloaded_at` must be a server-issued time (gotv.offline.download_time_read), never the
    phone's. `box_districts` (gotv.poll_numbers.BoxDistricts.of(box)) may be passed in by a
    batch that tells many numbers at one box. `permission`, from a caller that has just asked in
    this request whether the teller may tell at this election, is its answer as (allowed, flags)
    (gotv.telling_sync asks once per batch rather than once per number); without it, it is asked here.
    `audit` (a batch of one telling): the telling statement writes that audit row when it alone
    decides the outcome (found, already_told), in the telling's transaction; `audited` says so.

    The common path is one statement (gotv.telling_sql.telling_insert); a number refused before
    it (not allowed, polls shut, not a number, no such district) costs one look-up of the client
    UUID, so a repeat is still answered "duplicate" whatever has changed since."""
    try:
        client_uuid = uuid.UUID(str(client_uuid))
    except ValueError:
        return TellingResult("invalid", f"uuid {client_uuid!r} is not a UUID.")

    def unless_stored(result: TellingResult) -> TellingResult:
        stored = Telling.unscoped.filter(client_uuid=client_uuid).select_related("elector").first()
        return _telling_repeat(stored, teller, box, raw_number) if stored is not None else result

    now = timezone.now()
    if box.election_id != election.pk:
        return unless_stored(TellingResult("refused", f"{box.label} is not a box of {election}."))
    allowed, flags = permission if permission is not None else _may_tell(teller, election, downloaded_at, now)
    flags = list(flags)
    if not allowed:
        return unless_stored(TellingResult("refused", f"You are not telling for {election} now."))
    when, clock_flags = _phone_time(recorded_at, now)
    flags += clock_flags
    refusal = _poll_window_refusal(election, when, now)
    if refusal:
        return unless_stored(TellingResult("refused", refusal))
    if now > election.closes_at:
        flags.append(OfflineFlag.LATE)
    if paper:
        flags.append(OfflineFlag.PAPER)
    try:
        number = parse_poll_number(raw_number)
    except PollNumberError as error:
        return unless_stored(TellingResult("invalid", str(error)))
    box_districts = box_districts or BoxDistricts.of(box)
    search = districts_to_search(election=election, box_districts=box_districts, number=number)
    if isinstance(search, Resolution):
        return unless_stored(TellingResult(search.status, search.message, number=str(number)))
    flags = sorted(set(flags))
    rows = telling_sql.telling_insert(
        client_uuid=client_uuid,
        election=election,
        box=box,
        box_districts=box_districts,
        teller=teller,
        raw_number=raw_number.strip()[:40],
        number=number,
        search=search,
        recorded_at=when,
        received_at=now,
        downloaded_at=downloaded_at,
        flags=flags,
        audit=audit,
    )
    head = rows[0]
    if head.prior_id is not None:
        return unless_stored(None)  # type: ignore[arg-type]  # stored: prior_id says so
    resolution = resolution_of(
        entries=[row for row in rows if row.elector_id is not None],
        box_districts=box_districts,
        number=number,
        code_of=lambda row: row.code,
    )
    if resolution.status != Resolution.FOUND:
        if head.telling_id is not None:
            raise RuntimeError(f"telling {client_uuid}: stored, yet resolution_of says {resolution.status}.")
        return TellingResult(resolution.status, resolution.message, number=str(number))
    entry = resolution.entry
    if head.telling_id is None:
        # Another request stored this UUID at the same moment (the insert waited for its commit).
        repeat = unless_stored(None)  # type: ignore[arg-type]  # None when nothing is stored
        if repeat is None:
            raise RuntimeError(f"telling {client_uuid}: {number} resolved, yet nothing was stored.")
        return repeat
    if head.told_elector_id != entry.elector_id:
        raise RuntimeError(f"telling {client_uuid}: the statement and resolution_of chose different entries.")
    first = head.vote_record_id is not None
    if not first and head.held_id is None:
        # Its VoteRecord was deleted (an undo) or inserted (another telling) by a transaction that
        # committed while the statement ran: ask again, as any other writer does.
        first = _vote_record_insert(
            election=election,
            elector_id=entry.elector_id,
            polling_district_id=entry.polling_district_id,
            source=VoteRecord.Source.TELLING,
            at=when,
            telling_id=head.telling_id,
        )
    telling = Telling(
        id=head.telling_id,
        client_uuid=client_uuid,
        election=election,
        box=box,
        teller=teller,
        raw_number=raw_number.strip()[:40],
        elector_number=entry.elector_number,
        elector_suffix=entry.elector_suffix,
        elector_id=entry.elector_id,
        polling_district_id=entry.polling_district_id,
        recorded_at=when,
        received_at=now,
        downloaded_at=downloaded_at,
        flags=flags,
    )
    telling._state.adding, telling._state.db = False, connection.alias
    name = Elector.full_name.fget(entry)  # type: ignore[attr-defined]  # the rule, on the row: no model to build
    display = entry.elector_number_raw or str(number)
    if first:
        if head.subscribed:
            # Webhooks (gotv/webhooks.py), for a first telling only: the telling statement said
            # whether anyone subscribes, so where no one does (the usual day) it costs no statement.
            telling_emit(telling, election)
        return TellingResult(
            "found", f"{display} {name}", telling, name, display, telling.flags, head.audit_id is not None
        )
    return TellingResult(
        "already_told",
        f"{display} {name}: already told.",
        telling,
        name,
        display,
        telling.flags,
        head.audit_id is not None,
    )


def _telling_repeat(stored: Telling, teller: User, box: BallotBox, raw_number: str) -> TellingResult:
    """A client UUID seen before: the same teller sending the same entry again is told it is safe
    to drop; anything else is a conflict, and says nothing about what was stored."""
    same = stored.teller_id == teller.pk and stored.box_id == box.pk
    if same and stored.raw_number == str(raw_number).strip()[:40]:
        return TellingResult(
            "duplicate",
            "Already received.",
            stored,
            stored.elector.full_name,
            stored.raw_number,
            stored.flags,
        )
    return TellingResult(
        "conflict", "This entry's id was already used for another entry; the first one stands."
    )


def _vote_record_insert(
    *,
    election: Election,
    elector_id: int,
    polling_district_id: int,
    source: str,
    at: datetime | None,
    telling_id: int | None = None,
    outcome_id: int | None = None,
) -> bool:
    """Insert the elector's VoteRecord unless there is one. True when this call made it.

    When one exists, it is locked FOR SHARE before returning, so an undo that is about to
    delete it waits for this transaction (and then sees this telling), or has deleted it
    already (and it is inserted again here)."""
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(
                """
                INSERT INTO gotv_voterecord
                       (election_id, elector_id, polling_district_id, source, at, telling_id, knock_up_outcome_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (election_id, elector_id) DO NOTHING
                RETURNING id
                """,
                [election.pk, elector_id, polling_district_id, source, at, telling_id, outcome_id],
            )
            if cursor.fetchone() is not None:
                return True
            cursor.execute(
                "SELECT id FROM gotv_voterecord WHERE election_id = %s AND elector_id = %s FOR SHARE",
                [election.pk, elector_id],
            )
            if cursor.fetchone() is not None:
                return False
    raise RuntimeError("VoteRecord kept disappearing: undo and telling raced three times.")


@dataclass
class UndoResult:
    status: str  # undone | already_undone | refused
    message: str = ""
    undo: TellingUndo | None = None


@transaction.atomic
def telling_undo(*, telling: Telling, user: User, client_uuid: str | uuid.UUID | None = None) -> UndoResult:
    """Undo a telling (a row, never a delete). The teller may undo their last five entries; an
    organiser of the CLP any. The elector stays "voted" if another live telling (or a doorstep or
    knock-up report) says so."""
    client_uuid = uuid.UUID(str(client_uuid)) if client_uuid else uuid.uuid4()
    existing = TellingUndo.unscoped.filter(telling=telling).first()
    if existing is not None:
        return UndoResult("already_undone", "Already undone.", existing)
    election = telling.election
    if telling.teller_id == user.pk and can(user, Action.TELL, election.constituency):
        recent = list(
            Telling.unscoped.filter(teller=user, election=election)
            .order_by("-recorded_at", "-pk")
            .values_list("pk", flat=True)[:UNDO_LAST]
        )
        if telling.pk not in recent:
            return UndoResult("refused", f"Only your last {UNDO_LAST} entries can be undone.")
    elif not can(user, Action.ORGANISE, election.constituency):
        return UndoResult("refused", "You may not undo this entry.")
    undo: TellingUndo | None
    try:
        with transaction.atomic():
            undo = TellingUndo.unscoped.create(telling=telling, client_uuid=client_uuid, by=user)
    except IntegrityError:
        undo = TellingUndo.unscoped.filter(telling=telling).first()
        if undo is None:
            return UndoResult("refused", "This undo's id was already used.")
        return UndoResult("already_undone", "Already undone.", undo)
    record = (
        VoteRecord.unscoped.select_for_update()
        .filter(election=election, elector_id=telling.elector_id)
        .first()
    )
    if record is not None and record.telling_id == telling.pk:
        other = (
            Telling.unscoped.live()
            .filter(election=election, elector_id=telling.elector_id)
            .exclude(pk=telling.pk)
            .order_by("recorded_at", "pk")
            .first()
        )
        if other is not None:
            record.telling, record.at = other, other.recorded_at
            record.save(update_fields=["telling", "at"])
        else:
            record.delete()  # derived: nothing says they voted any more
    audit_record(
        action="telling.undo",
        user=user,
        obj=telling,
        constituency=election.constituency,
        detail={"raw_number": telling.raw_number},
    )
    return UndoResult("undone", f"Undone: {telling.raw_number}.", undo)


@transaction.atomic
def vote_record_add(
    *,
    election: Election,
    elector: Elector,
    source: str,
    at: datetime | None = None,
    knock_up_outcome: KnockUpOutcome | None = None,
) -> bool:
    """Mark an elector as voted from a doorstep "already voted" or a knock-up "voted".
    True when this made them voted; False when they already were."""
    if source not in (VoteRecord.Source.DOORSTEP, VoteRecord.Source.KNOCK_UP):
        raise ValidationError(f"source: {source!r} is recorded through telling_record, not here.")
    entry = RegisterEntry.unscoped.filter(publication_id=election.publication_id, elector=elector).first()
    if entry is None:
        raise ValidationError(f"{elector} is not on the register {election} uses.")
    return _vote_record_insert(
        election=election,
        elector_id=elector.pk,
        polling_district_id=entry.polling_district_id,
        source=source,
        at=at or timezone.now(),
        outcome_id=knock_up_outcome.pk if knock_up_outcome is not None else None,
    )


# --- Promises ----------------------------------------------------------------------------------


@transaction.atomic
def promise_adjust(
    *,
    election: Election,
    elector: Elector,
    kind: str,
    value: bool = True,
    reason: str = "",
    user: User | None = None,
    source: str | None = None,
) -> PromiseAdjustment:
    """Add to / remove from the promises (kind PROMISE), or set/clear won't vote or do not return.
    A row each time; the latest per elector and kind is in force. Manual promise changes need a reason."""
    source = source or PromiseAdjustment.Source.MANUAL
    if kind not in PromiseAdjustment.Kind.values:
        raise ValidationError(f"kind: {kind!r} is not one of {', '.join(PromiseAdjustment.Kind.values)}.")
    reason = (reason or "").strip()
    if kind == PromiseAdjustment.Kind.PROMISE and source == PromiseAdjustment.Source.MANUAL and not reason:
        raise ValidationError("reason: say why this person is added to or removed from the promises.")
    if not RegisterEntry.unscoped.filter(publication_id=election.publication_id, elector=elector).exists():
        raise ValidationError(f"elector: {elector} is not on the register {election} uses.")
    adjustment = PromiseAdjustment.unscoped.create(
        election=election,
        elector=elector,
        kind=kind,
        value=value,
        reason=reason[:300],
        by=user,
        source=source,
    )
    audit_record(
        action="promise.adjust",
        user=user,
        obj=adjustment,
        constituency=election.constituency,
        detail={"elector": elector.pk, "kind": kind, "value": value},
    )
    return adjustment


# --- Agents' counts ----------------------------------------------------------------------------


def _box_in_election(box: BallotBox, election: Election) -> None:
    if box.election_id != election.pk:
        raise ValidationError(f"box: {box.label} is not a box of {election}.")


@transaction.atomic
def box_turnout_record(
    *,
    user: User,
    election: Election,
    box: BallotBox,
    ballots_issued: int,
    as_of: datetime | None = None,
    client_uuid: str | uuid.UUID | None = None,
) -> BoxTurnoutCount:
    """A polling agent's count of ballot papers issued so far (a snapshot; the latest wins)."""
    _box_in_election(box, election)
    if not isinstance(ballots_issued, int) or isinstance(ballots_issued, bool) or ballots_issued < 0:
        raise ValidationError(f"ballots_issued: a whole number of 0 or more, got {ballots_issued!r}.")
    client_uuid = uuid.UUID(str(client_uuid)) if client_uuid else uuid.uuid4()
    count, _ = BoxTurnoutCount.unscoped.get_or_create(
        client_uuid=client_uuid,
        defaults={
            "election": election,
            "box": box,
            "ballots_issued": ballots_issued,
            "as_of": min(as_of or timezone.now(), timezone.now()),
            "recorded_by": user,
        },
    )
    return count


@transaction.atomic
def warp_count_record(
    *,
    user: User,
    election: Election,
    box: BallotBox,
    votes: int,
    party: IntentionCode | None = None,
    label: str = "",
    client_uuid: str | uuid.UUID | None = None,
) -> WarpCount:
    """Votes seen for a party at a box (added up with the box's other valid WARP counts)."""
    _box_in_election(box, election)
    if party is None and not label.strip():
        raise ValidationError("party: say which party or candidate the votes are for.")
    if not isinstance(votes, int) or isinstance(votes, bool) or votes < 0:
        raise ValidationError(f"votes: a whole number of 0 or more, got {votes!r}.")
    client_uuid = uuid.UUID(str(client_uuid)) if client_uuid else uuid.uuid4()
    count, _ = WarpCount.unscoped.get_or_create(
        client_uuid=client_uuid,
        defaults={
            "election": election,
            "box": box,
            "party": party,
            "label": label.strip()[:60],
            "votes": votes,
            "recorded_by": user,
        },
    )
    return count


@transaction.atomic
def warp_count_invalidate(*, warp_count: WarpCount, user: User, reason: str) -> WarpCount:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason: say why this count is wrong.")
    warp_count.invalid, warp_count.invalid_reason = True, reason[:200]
    warp_count.invalidated_by, warp_count.invalidated_at = user, timezone.now()
    warp_count.save(update_fields=["invalid", "invalid_reason", "invalidated_by", "invalidated_at"])
    audit_record(
        action="warp_count.invalidate",
        user=user,
        obj=warp_count,
        constituency=warp_count.election.constituency,
        detail={"reason": warp_count.invalid_reason},
    )
    return warp_count


def box_for(election: Election, pk: int) -> BallotBox | None:
    """A box of `election` by id, or None."""
    return BallotBox.unscoped.filter(election=election, pk=pk).select_related("station").first()


# --- Lifts -------------------------------------------------------------------------------------
# Requests (from an organiser, or a knocker's "needs a lift"), drivers, assignment, picked up, done.
# The views check who may act (organisers: ORGANISE; a driver: only lifts assigned to them); these
# check that everything belongs to one election and that each step follows the last.


def _window(window_from: time | None, window_until: time | None) -> None:
    if window_from and window_until and window_until < window_from:
        raise ValidationError(
            f"window_until: {window_until:%H:%M} is before the start of the window ({window_from:%H:%M})."
        )


@transaction.atomic
def driver_create(
    *,
    election: Election,
    name: str,
    user: User,
    phone: str = "",
    account: User | None = None,
    seats: int = 3,
    wheelchair_accessible: bool = False,
    available_from: time | None = None,
    available_until: time | None = None,
    notes: str = "",
) -> Driver:
    """A driver for `election`; `account` is their LabourHub login (their phone page shows the
    lifts given to them), `user` who adds them."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name: give the driver's name.")
    if seats is None or seats < 1:
        raise ValidationError("seats: a driver needs at least one passenger seat.")
    _window(available_from, available_until)
    if account is not None and Driver.unscoped.filter(election=election, user=account).exists():
        raise ValidationError(f"account: {account} is already a driver for {election}.")
    driver = Driver.unscoped.create(
        election=election,
        user=account,
        name=name[:120],
        phone=(phone or "").strip()[:20],
        seats=seats,
        wheelchair_accessible=wheelchair_accessible,
        available_from=available_from,
        available_until=available_until,
        notes=(notes or "").strip()[:300],
    )
    audit_record(action="driver.create", user=user, obj=driver, constituency=election.constituency)
    return driver


@transaction.atomic
def lift_request_create(
    *,
    election: Election,
    user: User,
    name: str = "",
    address: str = "",
    elector: Elector | None = None,
    postcode: str = "",
    phone: str = "",
    window_from: time | None = None,
    window_until: time | None = None,
    passengers: int = 1,
    accessibility_needs: str = "",
    wheelchair: bool = False,
    committee_room: CommitteeRoom | None = None,
    knock_up_outcome: KnockUpOutcome | None = None,
    notes: str = "",
) -> LiftRequest:
    """A lift to the polling station. Name and address come from `elector` when given (and must
    then be on the election's register); otherwise both must be typed."""
    if elector is not None:
        if not RegisterEntry.unscoped.filter(
            publication_id=election.publication_id, elector=elector
        ).exists():
            raise ValidationError(f"elector: {elector} is not on the register {election} uses.")
        home = elector.home
        name = name or elector.full_name
        address = address or (home.address if home else "")
        postcode = postcode or (home.postcode_display if home else "")
    name, address = (name or "").strip(), (address or "").strip()
    if not name:
        raise ValidationError("name: say who needs the lift.")
    if not address:
        raise ValidationError("address: say where to pick them up.")
    if passengers is None or passengers < 1:
        raise ValidationError("passengers: at least one person needs the lift.")
    _window(window_from, window_until)
    if committee_room is not None and committee_room.election_id != election.pk:
        raise ValidationError(f"committee_room: {committee_room} is not a room of {election}.")
    lift = LiftRequest.unscoped.create(
        election=election,
        elector=elector,
        name=name[:150],
        address=address[:400],
        postcode=(postcode or "").strip()[:8],
        phone=(phone or "").strip()[:20],
        window_from=window_from,
        window_until=window_until,
        passengers=passengers,
        accessibility_needs=(accessibility_needs or "").strip()[:300],
        wheelchair=wheelchair,
        committee_room=committee_room,
        knock_up_outcome=knock_up_outcome,
        requested_by=user,
        notes=(notes or "").strip()[:300],
    )
    audit_record(action="lift.request", user=user, obj=lift, constituency=election.constituency)
    return lift


def lift_request_from_knock_up(*, outcome: KnockUpOutcome, user: User | None = None) -> LiftRequest:
    """The lift a knocker's "needs a lift" outcome asks for (made once per outcome; the knock-up
    service calls this when it records that outcome). The outcome's notes become the lift's."""
    if outcome.outcome != KnockUpOutcome.Outcome.NEEDS_LIFT:
        raise ValidationError(f"outcome: {outcome.get_outcome_display()!r} does not ask for a lift.")
    existing = LiftRequest.unscoped.filter(knock_up_outcome=outcome).first()
    if existing is not None:
        return existing
    knock_up_round = outcome.round
    return lift_request_create(
        election=knock_up_round.committee_room.election,
        user=user or outcome.knocker,
        elector=outcome.elector,
        committee_room=knock_up_round.committee_room,
        knock_up_outcome=outcome,
        notes=outcome.notes,
    )


def _lift_locked(lift: LiftRequest) -> LiftRequest:
    return LiftRequest.unscoped.select_for_update().select_related("election__constituency").get(pk=lift.pk)


@transaction.atomic
def lift_assign(*, lift: LiftRequest, driver: Driver, user: User) -> LiftRequest:
    """Give an open (or reassign an assigned, not yet picked up) lift to `driver`."""
    lift = _lift_locked(lift)
    if driver.election_id != lift.election_id:
        raise ValidationError(f"driver: {driver} is not a driver for {lift.election}.")
    if not driver.active:
        raise ValidationError(f"driver: {driver} is no longer driving.")
    if lift.status not in (LiftRequest.Status.OPEN, LiftRequest.Status.ASSIGNED) or lift.picked_up_at:
        raise ValidationError(f"status: the lift for {lift.name} is {lift.get_status_display().lower()}.")
    lift.driver, lift.status, lift.assigned_at = driver, LiftRequest.Status.ASSIGNED, timezone.now()
    lift.save(update_fields=["driver", "status", "assigned_at"])
    audit_record(
        action="lift.assign", user=user, obj=lift, constituency=lift.election.constituency,
        detail={"driver": driver.pk},
    )  # fmt: skip
    return lift


@transaction.atomic
def lift_picked_up(*, lift: LiftRequest, user: User) -> LiftRequest:
    """The driver has the passenger in the car (said once; saying it again changes nothing)."""
    lift = _lift_locked(lift)
    if lift.status != LiftRequest.Status.ASSIGNED:
        raise ValidationError(f"status: the lift for {lift.name} is {lift.get_status_display().lower()}.")
    if lift.picked_up_at is None:
        lift.picked_up_at = timezone.now()
        lift.save(update_fields=["picked_up_at"])
        audit_record(action="lift.picked_up", user=user, obj=lift, constituency=lift.election.constituency)
    return lift


@transaction.atomic
def lift_done(*, lift: LiftRequest, user: User) -> LiftRequest:
    """Taken to vote (and home again): the lift is finished."""
    lift = _lift_locked(lift)
    if lift.status == LiftRequest.Status.DONE:
        return lift
    if lift.status != LiftRequest.Status.ASSIGNED:
        raise ValidationError(f"status: the lift for {lift.name} is {lift.get_status_display().lower()}.")
    now = timezone.now()
    lift.status, lift.done_at = LiftRequest.Status.DONE, now
    lift.picked_up_at = lift.picked_up_at or now
    lift.save(update_fields=["status", "done_at", "picked_up_at"])
    audit_record(action="lift.done", user=user, obj=lift, constituency=lift.election.constituency)
    return lift


@transaction.atomic
def lift_cancel(*, lift: LiftRequest, user: User, reason: str = "") -> LiftRequest:
    """No longer needed (or could not be done); the reason goes in the lift's notes."""
    lift = _lift_locked(lift)
    if lift.status in (LiftRequest.Status.DONE, LiftRequest.Status.CANCELLED):
        raise ValidationError(f"status: the lift for {lift.name} is {lift.get_status_display().lower()}.")
    lift.status = LiftRequest.Status.CANCELLED
    reason = (reason or "").strip()
    if reason:
        lift.notes = f"{lift.notes} Cancelled: {reason}".strip()[:300]
    lift.save(update_fields=["status", "notes"])
    audit_record(
        action="lift.cancel", user=user, obj=lift, constituency=lift.election.constituency,
        detail={"reason": reason[:200]},
    )  # fmt: skip
    return lift


# --- Postal chase ------------------------------------------------------------------------------
# From the day postal ballots go out to the close of poll, postal voters among the promises are
# reminded ("have you posted it?"); each call or door is a row. Campaigners never collect or handle
# anyone else's postal vote, and no per-voter return data exists before the close of poll.


def postal_chase_open(election: Election, now: datetime | None = None) -> str | None:
    """None while the chase runs, else why not (plain words for the page)."""
    now = now or timezone.now()
    if timezone.localtime(now).date() < election.postal_chase_starts:
        return f"The postal chase starts on {election.postal_chase_starts:%-d %B %Y}, when postal ballots go out."
    if now > election.closes_at:
        return f"The polls closed at {timezone.localtime(election.closes_at):%H:%M} on {election.poll_date:%-d %B %Y}."
    return None


@transaction.atomic
def postal_chase_record(
    *,
    election: Election,
    elector: Elector,
    channel: str,
    outcome: str,
    user: User,
    notes: str = "",
    client_uuid: str | uuid.UUID | None = None,
) -> PostalChaseContact:
    """One reminder call or door to a postal voter on the election's register."""
    closed = postal_chase_open(election)
    if closed:
        raise ValidationError(closed)
    if channel not in PostalChaseContact.CHANNELS:
        raise ValidationError(f"channel: {channel!r} is not one of {', '.join(PostalChaseContact.CHANNELS)}.")
    if outcome not in PostalChaseContact.Outcome.values:
        raise ValidationError(
            f"outcome: {outcome!r} is not one of {', '.join(PostalChaseContact.Outcome.values)}."
        )
    if not RegisterEntry.unscoped.filter(publication_id=election.publication_id, elector=elector).exists():
        raise ValidationError(f"elector: {elector} is not on the register {election} uses.")
    contact, made = PostalChaseContact.unscoped.get_or_create(
        client_uuid=client_uuid or uuid.uuid4(),
        defaults={
            "election": election, "elector": elector, "channel": channel, "outcome": outcome,
            "notes": (notes or "").strip()[:300], "by": user,
        },
    )  # fmt: skip
    if made:
        audit_record(
            action="postal_chase.record", user=user, obj=contact, constituency=election.constituency,
            detail={"elector": elector.pk, "outcome": outcome},
        )  # fmt: skip
    return contact


# --- Stations and boxes from the council's list -------------------------------------------------


@dataclass
class StationImportResult:
    """`status` is "done" or "rejected" (nothing changed); `errors` as the register imports'
    reports: [{"line", "column", "value", "reason"}]."""

    status: str
    errors: list = field(default_factory=list)
    error_count: int = 0
    notes: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


def station_import(
    *,
    election: Election,
    path: str | Path,
    layout: str,
    columns: dict[str, str] | None = None,
    user: User | None = None,
) -> StationImportResult:
    """Read the council's station file at `path` into `election` (see gotv.stations): all or
    nothing. `columns` are the operator's names for the columns ({"name": "Polling place"}); the
    layout's defaults fill the rest."""
    try:
        parsed = stations.parse_station_file(path, layout=layout, named=columns)
    except ImportRejected as problem:
        return StationImportResult(
            "rejected", [{"line": None, "column": "", "value": "", "reason": str(problem)}], 1
        )
    if parsed.report.error_count:
        return StationImportResult(
            "rejected", parsed.report.errors, parsed.report.error_count, parsed.report.notes
        )
    try:
        with transaction.atomic():
            result = _stations_apply(election, parsed, user)
    except ImportRejected as problem:
        return StationImportResult(
            "rejected", [{"line": None, "column": "", "value": "", "reason": str(problem)}], 1
        )
    audit_record(
        action="stations.import",
        user=user,
        obj=election,
        constituency=election.constituency,
        detail={"layout": layout, "counts": result.counts},
    )
    return result


def _stations_apply(election: Election, parsed: ParsedFile, user: User | None) -> StationImportResult:
    districts = {
        pd.code.upper(): pd for pd in PollingDistrict.objects.filter(constituency_id=election.constituency_id)
    }
    notes: list[str] = []
    elsewhere: set[str] = set()
    wanted = []  # (StationRow, [(label, [PollingDistrict])])
    label_station: dict[str, list[StationRow]] = {}
    for station in parsed.stations.values():
        boxes = []
        for label, codes in sorted(station.boxes.items()):
            known = [districts[c] for c in sorted(codes) if c in districts]
            elsewhere.update(c for c in codes if c not in districts)
            if known:
                boxes.append((label, known))
        if boxes:
            wanted.append((station, boxes))
            for label, _ in boxes:
                label_station.setdefault(label, []).append(station)
    if not wanted:
        raise ImportRejected(
            f"None of the polling districts in the file are in {election.constituency}. The file has: "
            f"{', '.join(sorted(elsewhere)) or '(none)'}; {election.constituency} has: "
            f"{', '.join(sorted(districts)) or '(none: load its polling districts first)'}."
        )
    if elsewhere:
        notes.append(
            f"Skipped {len(elsewhere)} polling district(s) of other constituencies: {', '.join(sorted(elsewhere)[:50])}."
        )
    if parsed.skipped_unallocated:
        notes.append(f"Skipped {parsed.skipped_unallocated} address row(s) with no polling place.")
    # A district split between two polling places (Democracy Club files): one box at each.
    shared = {label for label, at in label_station.items() if len(at) > 1}
    if shared and parsed.layout == stations.BOX_LIST:
        label = sorted(shared)[0]
        at = label_station[label]
        raise ImportRejected(
            f"Box {label!r} is listed at two stations: {at[0].name} (line {at[0].line}) and {at[1].name} "
            f"(line {at[1].line}). Give each box its own label."
        )
    located = {
        postcode: (latitude, longitude)
        for postcode, latitude, longitude in PostcodeLocation.objects.filter(
            postcode__in={s.postcode for s, _ in wanted if s.postcode}
        ).values_list("postcode", "latitude", "longitude")
    }
    existing = list(PollingStation.unscoped.filter(election=election))
    by_id = {s.council_id: s for s in existing if s.council_id}
    by_name = {(s.name.upper(), s.postcode): s for s in existing}
    boxes_now = {b.label: b for b in BallotBox.unscoped.filter(election=election)}
    counts = dict.fromkeys(
        (
            "stations_added",
            "stations_changed",
            "stations_unchanged",
            "boxes_added",
            "boxes_changed",
            "boxes_unchanged",
        ),
        0,
    )
    for row, boxes in wanted:
        latitude, longitude = row.latitude, row.longitude
        if latitude is None and row.postcode in located:
            latitude, longitude = located[row.postcode]
        values = {
            "council_id": row.council_id, "name": row.name, "address": row.address, "postcode": row.postcode,
            "uprn": row.uprn, "latitude": latitude, "longitude": longitude,
        }  # fmt: skip
        station = (
            by_id.get(row.council_id) if row.council_id else by_name.get((row.name.upper(), row.postcode))
        )
        if station is None:
            station = PollingStation.unscoped.create(election=election, **values)
            counts["stations_added"] += 1
        else:
            changed = [name for name, value in values.items() if getattr(station, name) != value]
            for name in changed:
                setattr(station, name, values[name])
            if changed:
                station.save(update_fields=changed)
            counts["stations_changed" if changed else "stations_unchanged"] += 1
        co_located = len(boxes) > 1
        for label, pds in boxes:
            if label in shared:
                label = f"{label} at {row.name}"[:60]
            box = boxes_now.get(label)
            if box is None:
                box = BallotBox.unscoped.create(
                    election=election, station=station, label=label, co_located=co_located
                )
                boxes_now[label] = box
                changed = ["new"]
            else:
                changed = []
                if box.station_id != station.pk:
                    box.station, changed = station, [*changed, "station"]
                if box.co_located != co_located:
                    box.co_located, changed = co_located, [*changed, "co_located"]
                if changed:
                    box.save(update_fields=changed)
            links = {link.polling_district_id: link for link in box.districts.all()}
            wanted_ids = {pd.pk for pd in pds}
            stale = [pk for pk in links if pk not in wanted_ids]
            if stale:
                BallotBoxDistrict.objects.filter(box=box, polling_district_id__in=stale).delete()
            fresh = [BallotBoxDistrict(box=box, polling_district=pd) for pd in pds if pd.pk not in links]
            BallotBoxDistrict.objects.bulk_create(fresh)
            if changed == ["new"]:
                counts["boxes_added"] += 1
            else:
                counts["boxes_changed" if changed or stale or fresh else "boxes_unchanged"] += 1
    return StationImportResult("done", notes=parsed.report.notes + notes, counts=counts)


# --- Knock-up rounds (gotv-board) ---------------------------------------------------------------


@transaction.atomic
def knock_up_round_create(
    *,
    committee_room: CommitteeRoom,
    user: User,
    name: str = "",
    polling_districts: Iterable[PollingDistrict] = (),
    streets: Iterable[str] = (),
    pack_size: int = 30,
) -> KnockUpRound:
    """A round from the room's knock-up list now (promises not voted, not won't vote, not do not
    return), by road group: optionally only some of the room's `polling_districts` and `streets`.
    Its doors are a walk list on the election's polling-day campaign, in packs of about `pack_size`
    doors along the streets (sheet ids K<list>-NN), stamped with the tellings included (now)."""
    from campaigns.services import walk_list_from_electors
    from gotv.promises import knock_up

    election = committee_room.election
    if election.campaign_id is None:
        raise ValidationError(f"{election} has no polling-day campaign to hold its knock-up packs.")
    if not 5 <= pack_size <= 300:
        raise ValidationError("pack_size: between 5 and 300 doors.")
    box_ids = list(
        CommitteeRoomBox.objects.filter(committee_room=committee_room).values_list("box_id", flat=True)
    )
    electors = knock_up(election).filter(box_id__in=box_ids)
    districts = [pd.pk for pd in polling_districts]
    if districts:
        served = set(
            BallotBoxDistrict.objects.filter(box_id__in=box_ids).values_list("polling_district_id", flat=True)
        )
        outside = [str(pd) for pd in polling_districts if pd.pk not in served]
        if outside:
            raise ValidationError(f"polling_districts: not run from {committee_room}: {', '.join(outside)}.")
        electors = electors.filter(poll_district_id__in=districts)
    streets = [s.strip() for s in streets if s.strip()]
    if streets:
        electors = electors.filter(
            home__street__iregex=r"^(" + "|".join(_regex_literal(s) for s in streets) + r")$"
        )
    number = (committee_room.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    stamp = timezone.now()
    walk_list = walk_list_from_electors(
        campaign=election.campaign,  # type: ignore[arg-type]  # made with the election
        name=f"{committee_room.name} knock-up round {number}",
        criteria={"knock_up": True, "districts": districts, "streets": streets},
        electors=electors.order_by(),
        pack_size=pack_size,
        user=user,
        sheet_prefix="K",
    )
    knock_up_round = KnockUpRound.unscoped.create(
        committee_room=committee_room,
        number=number,
        name=(name or f"Round {number}")[:120],
        walk_list=walk_list,
        tellings_up_to=stamp,
        created_by=user,
    )
    audit_record(
        action="knock_up_round.create",
        user=user,
        obj=knock_up_round,
        constituency=election.constituency,
        detail={"doors": walk_list.door_count, "electors": walk_list.elector_count},
    )
    return knock_up_round


def _regex_literal(text: str) -> str:
    return re.escape(text)


@transaction.atomic
def knock_up_round_refresh(*, knock_up_round: KnockUpRound, user: User) -> KnockUpRound:
    """Move the round's stamp on: its sheets and packs now include tellings up to now (the packs'
    doors are read against the knock-up list as it is, so whoever voted since drops off)."""
    knock_up_round.tellings_up_to = timezone.now()
    knock_up_round.save(update_fields=["tellings_up_to"])
    return knock_up_round


@transaction.atomic
def knock_up_round_close(*, knock_up_round: KnockUpRound, user: User) -> KnockUpRound:
    if knock_up_round.closed_at is None:
        knock_up_round.closed_at = timezone.now()
        knock_up_round.save(update_fields=["closed_at"])
    return knock_up_round


@dataclass
class OutcomeResult:
    """`status`: recorded, duplicate (this client UUID was stored: safe to drop), conflict (the
    UUID was used for another entry), refused (nothing stored; `message` says why)."""

    status: str
    message: str = ""
    outcome: object = None


def knock_up_outcome_record(
    *,
    knocker: User,
    knock_up_round: KnockUpRound,
    elector: Elector,
    outcome: str,
    client_uuid: str | uuid.UUID,
    pack: Pack | None = None,
    notes: str = "",
    recorded_at: datetime | None = None,
    downloaded_at: datetime | None = None,
    paper: bool = False,
) -> OutcomeResult:
    """What a knocker found at a door, applied once per `client_uuid`. "voted" marks them voted,
    "won't vote" takes them off the knock-up list, "needs a lift" opens a lift request for the
    committee room. Knockers need TELL or CANVASS in the CLP (or the late-entry rule)."""
    home: Any  # the elector's Property: a knock-up door is a home
    clock_flags: list[str]
    try:
        client_uuid = uuid.UUID(str(client_uuid))
    except ValueError:
        return OutcomeResult("refused", f"uuid {client_uuid!r} is not a UUID.")
    if outcome not in KnockUpOutcome.Outcome.values:
        return OutcomeResult(
            "refused", f"outcome: {outcome!r} is not one of {', '.join(KnockUpOutcome.Outcome.values)}."
        )
    election = knock_up_round.committee_room.election
    with transaction.atomic():
        stored = KnockUpOutcome.unscoped.filter(client_uuid=client_uuid).first()
        if stored is not None:
            same = (stored.knocker_id, stored.elector_id, stored.outcome) == (knocker.pk, elector.pk, outcome)
            if same:
                return OutcomeResult("duplicate", "Already received.", stored)
            return OutcomeResult("conflict", "This entry's id was already used for another entry.")
        now = timezone.now()
        flags = []
        allowed = can(knocker, Action.TELL, election.constituency) or can(
            knocker, Action.CANVASS, election.constituency
        )
        if not allowed:
            late = any(
                offline.late_entry_allowed(
                    user=knocker, election=election, downloaded_at=downloaded_at, now=now, action=a
                )
                for a in (Action.TELL, Action.CANVASS)
            )
            if not late:
                return OutcomeResult("refused", f"You are not knocking up for {election} now.")
            flags.append(OfflineFlag.GRANT_ENDED)
        if (
            knock_up_round.walk_list_id is None
            or not knock_up_round.walk_list.packs.filter(  # type: ignore[union-attr,misc]  # walk_list_id is set
                doors__property_id=elector.home_id, **({"pk": pack.pk} if pack is not None else {})
            ).exists()
        ):
            return OutcomeResult("refused", f"{elector.full_name} is not on this round's sheets.")
        if paper and recorded_at is None:  # keyed in from a sheet: no phone clock to doubt
            when, clock_flags = now, []
        else:
            when, clock_flags = _phone_time(recorded_at, now)
        if paper:
            flags.append(OfflineFlag.PAPER)
        try:
            with transaction.atomic():
                stored = KnockUpOutcome.unscoped.create(
                    client_uuid=client_uuid,
                    round=knock_up_round,
                    pack=pack,
                    elector=elector,
                    knocker=knocker,
                    outcome=outcome,
                    notes=(notes or "").strip()[:500],
                    recorded_at=when,
                    received_at=now,
                    downloaded_at=downloaded_at,
                    flags=sorted(set(flags + clock_flags)),
                )
        except IntegrityError:  # the same UUID stored by a concurrent request
            stored = KnockUpOutcome.unscoped.get(client_uuid=client_uuid)
            return OutcomeResult("duplicate", "Already received.", stored)
        Outcome = KnockUpOutcome.Outcome
        if outcome == Outcome.VOTED:
            vote_record_add(election=election, elector=elector, source=VoteRecord.Source.KNOCK_UP, at=when,
                            knock_up_outcome=stored)  # fmt: skip
        elif outcome == Outcome.WONT_VOTE:
            promise_adjust(election=election, elector=elector, kind=PromiseAdjustment.Kind.WONT_VOTE,
                           user=knocker, source=PromiseAdjustment.Source.KNOCK_UP, reason="Knock-up")  # fmt: skip
        elif outcome == Outcome.NEEDS_LIFT:
            home = elector.home
            LiftRequest.unscoped.create(
                election=election, elector=elector, name=elector.full_name[:150], address=home.address[:400],
                postcode=home.postcode, committee_room=knock_up_round.committee_room, knock_up_outcome=stored,
                requested_by=knocker, notes=stored.notes[:300],
            )  # fmt: skip
        audit_record(
            action="knock_up.outcome",
            user=knocker,
            obj=stored,
            constituency=election.constituency,
            detail={"elector": elector.pk, "outcome": outcome},
        )
        return OutcomeResult("recorded", f"{elector.full_name}: {stored.get_outcome_display()}.", stored)
