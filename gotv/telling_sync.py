"""The teller's phone page sends what it queued: numbers, undos and the agents' counts.

Request (POST JSON): {"entries": [entry, ...]} (at most MAX_BATCH), each entry one of

    {"uuid", "kind": "telling", "election", "box", "number", "recorded_at", "download"}
    {"uuid", "kind": "undo",    "election", "target": <the telling's uuid>, "download"}
    {"uuid", "kind": "turnout", "election", "box", "ballots_issued", "recorded_at", "download"}
    {"uuid", "kind": "warp",    "election", "box", "votes", "party" (a code) | "label", "download"}

`download` is the page's signed token (gotv.offline.download_token_issue): the server time the page
was served, which the late-entry rule uses for a teller whose grant has ended since; the phone's
clock is never the evidence.

Response: {"server_time", "results": [{"uuid", "status", "final", "message", "name", "number"}]},
one per entry in the order sent. `final` true means the phone can stop sending it: either it is
stored (status found, already_told, duplicate, undone, already_undone, recorded) or it never will
be (invalid, unknown, not_on_box, ambiguous, conflict, refused: nothing written, the message says
why). `final` false (status "wait") means try again later (an undo whose telling has not arrived).

Entries are applied one by one, each in its own transaction (gotv.services): a bad entry never
stops the others, and two phones sending the same batch at once never hold each other's locks
beyond one entry. Applied once per client UUID.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from campaigns.models import IntentionCode
from campaigns.sync import parse_time
from gotv import offline, telling_sql
from gotv.models import BoxTurnoutCount, OfflineFlag, Telling, WarpCount
from gotv.services import box_turnout_record, telling_record, telling_undo, warp_count_record
from labourhub.client_ip import client_ip
from labourhub.scoping import Action
from labourhub.scoping_sql import constituencies_sql
from labourhub.services import audit_record

MAX_BATCH = 200
AUDIT_ACTION = "telling.sync"
BOXED = {"telling", "turnout", "warp"}  # the kinds whose entries name a box
STORED = {"found", "already_told", "duplicate", "undone", "already_undone", "recorded"}


@dataclass
class _Outcome:
    status: str
    message: str = ""
    name: str = ""
    number: str = ""
    audited: bool = False  # the telling statement wrote the batch's audit row

    def output(self, item):
        raw_uuid = item.get("uuid") if isinstance(item, dict) else None
        return {
            "uuid": raw_uuid if isinstance(raw_uuid, str) else "",
            "status": self.status,
            "final": self.status != "wait",
            "message": self.message,
            "name": self.name,
            "number": self.number,
        }


class _Refuse(Exception):
    def __init__(self, message, status="refused"):
        super().__init__(message)
        self.status = status


class _Batch:
    """Look-ups shared by one batch's entries: a batch of 40 from one box costs a few queries."""

    def __init__(self, user, audit=None):
        self.user = user
        self.audit = audit  # (action, ip, request id) for a batch of one telling: its statement audits
        self.elections = {}
        self.late = {}  # (election, download time) -> the late-entry rule's answer
        self.boxes = {}
        self.districts = {}
        self.constituencies = set()  # where this user was let in: the audit row goes there

    def election(self, item):
        pk = _int(item, "election")
        if pk not in self.elections:
            # One statement: which election, and may this user tell there now (labourhub.scoping);
            # with the entry's box too when it names one (the box is used only once let in).
            scope = constituencies_sql(self.user, Action.TELL)
            box_pk = item.get("box")
            if (
                item.get("kind", "telling") in BOXED
                and isinstance(box_pk, int)
                and not isinstance(box_pk, bool)
            ):
                election, allowed, box, districts = telling_sql.election_and_box_read(
                    election_id=pk, box_id=box_pk, scope=scope
                )
                self.elections[pk] = election, allowed
                self.boxes[pk, box_pk], self.districts[pk, box_pk] = box, districts
            else:
                self.elections[pk] = telling_sql.election_read(election_id=pk, scope=scope)
        election, allowed_now = self.elections[pk]
        not_open = f"Election {pk} is not open to you."
        if election is None:
            raise _Refuse(not_open)
        downloaded_at = offline.download_time_read(item.get("download"), user=self.user, election=election)
        if not allowed_now:
            key = (pk, downloaded_at)
            if key not in self.late:
                self.late[key] = offline.late_entry_allowed(
                    user=self.user, election=election, downloaded_at=downloaded_at
                )
            if not self.late[key]:
                # Named by id only: a stranger learns nothing about another CLP's election.
                raise _Refuse(not_open)
        self.constituencies.add(election.constituency)
        return election, downloaded_at

    def permission(self, election):
        """telling_record's `permission`: TELL now, or let in by the late-entry rule above."""
        return (True, []) if self.elections[election.pk][1] else (True, [OfflineFlag.GRANT_ENDED])

    def box(self, election, item):
        pk = _int(item, "box")
        if (election.pk, pk) not in self.boxes:
            # The box with its districts in one statement, read only together with this election.
            box, districts = telling_sql.box_context(box_id=pk, election_id=election.pk)
            self.boxes[election.pk, pk] = box
            self.districts[election.pk, pk] = districts
        box = self.boxes[election.pk, pk]
        if box is None:
            raise _Refuse(f"Box {pk} is not a box of {election}.")
        return box


def _int(item, name):
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refuse(f"{name} must be a number, got {value!r}.", "invalid")
    return value


def _uuid(item, name="uuid"):
    try:
        return uuid.UUID(str(item.get(name)))
    except ValueError:
        raise _Refuse(f"{name} {item.get(name)!r} is not a UUID.", "invalid") from None


def _telling(batch, item):
    election, downloaded_at = batch.election(item)
    box = batch.box(election, item)
    number = item.get("number")
    if not isinstance(number, str):
        raise _Refuse(f"number must be text as typed, got {number!r}.", "invalid")
    result = telling_record(
        permission=batch.permission(election),
        teller=batch.user,
        election=election,
        box=box,
        raw_number=number,
        client_uuid=_uuid(item),
        recorded_at=parse_time(item.get("recorded_at")),
        downloaded_at=downloaded_at,
        box_districts=batch.districts[election.pk, box.pk],
        audit=batch.audit
        and telling_sql.TellingAudit(
            *batch.audit, constituency_id=election.constituency_id, region_id=election.constituency.region_id
        ),
    )
    return _Outcome(result.status, result.message, result.name, result.number, result.audited)


def _undo(batch, item):
    election, _ = batch.election(item)
    client_uuid, target = _uuid(item), _uuid(item, "target")
    telling = Telling.unscoped.filter(client_uuid=target, election=election, teller=batch.user).first()
    if telling is None:
        return _Outcome("wait", "The entry to undo has not arrived yet.")
    if not batch.elections[election.pk][1]:  # the undo service needs TELL now (no late undos)
        return _Outcome("refused", "You are not telling for this election now: ask the committee room.")
    result = telling_undo(telling=telling, user=batch.user, client_uuid=client_uuid)
    return _Outcome(result.status, result.message, number=telling.raw_number)


def _turnout(batch, item):
    election, _ = batch.election(item)
    box = batch.box(election, item)
    client_uuid = _uuid(item)
    if BoxTurnoutCount.unscoped.filter(client_uuid=client_uuid).exists():
        return _Outcome("duplicate", "Already received.")
    issued = _int(item, "ballots_issued")
    recorded_at = parse_time(item.get("recorded_at"))
    count = box_turnout_record(
        user=batch.user,
        election=election,
        box=box,
        ballots_issued=issued,
        as_of=recorded_at,
        client_uuid=client_uuid,
    )
    return _Outcome("recorded", f"{count.ballots_issued} ballot papers issued at {box.label}.")


def _warp(batch, item):
    election, _ = batch.election(item)
    box = batch.box(election, item)
    client_uuid = _uuid(item)
    if WarpCount.unscoped.filter(client_uuid=client_uuid).exists():
        return _Outcome("duplicate", "Already received.")
    party = None
    if item.get("party"):
        party = IntentionCode.objects.filter(code=str(item["party"]), is_party=True).first()
        if party is None:
            raise _Refuse(f"party {item['party']!r} is not a party code.", "invalid")
    label = item.get("label") or ""
    if not isinstance(label, str):
        raise _Refuse("label must be text.", "invalid")
    count = warp_count_record(
        user=batch.user,
        election=election,
        box=box,
        votes=_int(item, "votes"),
        party=party,
        label=label,
        client_uuid=client_uuid,
    )
    return _Outcome("recorded", f"{count.party or count.label}: {count.votes} at {box.label}.")


KINDS = {"telling": _telling, "undo": _undo, "turnout": _turnout, "warp": _warp}


def telling_sync(*, user, items, request=None):
    """Apply each entry once; one result per entry, in the order sent (see the module docstring)."""
    # A batch of one telling (the phone's usual send) has its audit row written by the telling's
    # own statement, in its transaction, when that statement decides the outcome (the same row
    # audit_record writes below: gotv.telling_sql.TellingAudit).
    alone = len(items) == 1 and isinstance(items[0], dict) and items[0].get("kind", "telling") == "telling"
    audit = (
        (
            AUDIT_ACTION,
            client_ip(request) if request is not None else None,
            getattr(request, "request_id", ""),
        )
        if alone
        else None
    )
    batch = _Batch(user, audit)
    results, counts = [], {}
    for position, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise _Refuse(f"entry {position} is not an object.", "invalid")
            apply = KINDS.get(item.get("kind", "telling"))
            if apply is None:
                raise _Refuse(f"kind {item.get('kind')!r} is not one of {', '.join(KINDS)}.", "invalid")
            outcome = apply(batch, item)
        except _Refuse as refusal:
            outcome = _Outcome(refusal.status, str(refusal))
        except ValidationError as error:
            outcome = _Outcome("invalid", " ".join(error.messages))
        results.append(outcome.output(item))
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.audited:
            return results
    constituencies = batch.constituencies
    audit_record(
        action=AUDIT_ACTION,
        user=user,
        request=request,
        constituency=next(iter(constituencies)) if len(constituencies) == 1 else None,
        detail=counts,
    )
    return results
