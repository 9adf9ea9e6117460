"""The sync contract: phones send batches of visits, each with a client UUID; each gets a result.

Request (POST JSON):  {"answers": [{"uuid", "pack" | "call_list", "elector", "outcome",
                        "survey_version", "answers": {key: value}, "notes", "recorded_at"}, ...]}
Response:             {"server_time", "results": [{"uuid", "status", "message", "visit", "flags"}]}

status is "recorded" (new), "duplicate" (already had it: safe), "conflict" (the UUID was
used for something else: refused, logged) or "refused" (cannot be applied: logged with the
payload, so nothing typed on a doorstep is lost). Items are applied one by one: one bad item
never stops the others.
"""

import uuid
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.models import CallEntry, CallList, Pack, SurveyVersion, SyncProblem, Visit
from campaigns.services import (
    ReferenceCodes,
    VisitInput,
    VisitResult,
    canvass_record_visits,
    sync_problem_log,
)
from labourhub.models import Grant
from labourhub.scoping import ROLES_FOR, Action, can
from labourhub.services import audit_record
from voters.models import Elector

MAX_BATCH = 200


class _Refuse(Exception):
    pass


class _Batch:
    """Look-ups shared by the items of one batch, so a batch of 50 costs a few queries, not 250."""

    def __init__(self, user):
        self.user = user
        self.sources = {}
        self.electors = {}
        self.versions = {}
        self.allowed_now = {}
        self.reference = ReferenceCodes()

    def source(self, kind, pk):
        key = (kind, pk)
        if key not in self.sources:
            if kind == "pack":
                found = Pack.objects.select_related("walk_list__campaign__constituency").filter(pk=pk).first()
                campaign = found.walk_list.campaign if found else None
            else:
                found = CallList.objects.select_related("campaign__constituency").filter(pk=pk).first()
                campaign = found.campaign if found else None
            self.sources[key] = (found, campaign)
        return self.sources[key]

    def elector(self, kind, source, pk):
        key = (kind, source.pk)
        if key not in self.electors:
            if kind == "pack":
                electors = Elector.objects.filter(home__in=source.doors.values("property"))
            else:
                electors = Elector.objects.filter(
                    pk__in=CallEntry.objects.filter(call_list=source).values("elector")
                )
            self.electors[key] = {e.pk: e for e in electors.select_related("polling_district")}
        return self.electors[key].get(pk)

    def version(self, campaign, pk):
        if pk not in self.versions:
            self.versions[pk] = (
                SurveyVersion.objects.filter(pk=pk, survey__campaign=campaign)
                .prefetch_related("questions")
                .first()
            )
        return self.versions[pk]

    def may_canvass_now(self, constituency):
        if constituency.pk not in self.allowed_now:
            self.allowed_now[constituency.pk] = can(self.user, Action.CANVASS, constituency)
        return self.allowed_now[constituency.pk]


def _had_grant_at(user, constituency, at):
    """Was a canvassing grant for this CLP in force at `at` (answers recorded offline before a revocation)?"""
    return (
        Grant.all_objects.filter(user=user, role__in=ROLES_FOR[Action.CANVASS], starts_at__lte=at)
        .covering(constituency)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        .exists()
    )


def parse_time(value):
    """An ISO date-time from a phone or a form; without an offset it is local (UK) time.
    None when missing or malformed."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _int(item, name):
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refuse(f"{name} must be a number, got {value!r}.")
    return value


def _visit_input(batch, item):
    """Check an item against its pack or call list and the canvasser's grants; raise _Refuse."""
    raw_uuid = item.get("uuid")
    try:
        client_uuid = uuid.UUID(str(raw_uuid))
    except ValueError:
        raise _Refuse(f"uuid {raw_uuid!r} is not a UUID.") from None
    kind = "pack" if "pack" in item else "call_list" if "call_list" in item else None
    if kind is None:
        raise _Refuse("say which pack (or call_list) this visit belongs to.")
    source, campaign = batch.source(kind, _int(item, kind))
    not_open = f"{kind.replace('_', ' ')} {item[kind]} is not open to you."
    if source is None:
        raise _Refuse(not_open)
    constituency = campaign.constituency
    recorded_at = parse_time(item.get("recorded_at"))
    flags = []
    if not batch.may_canvass_now(constituency):
        plausible = recorded_at is not None and recorded_at <= timezone.now()
        if not (plausible and _had_grant_at(batch.user, constituency, recorded_at)):
            raise _Refuse(not_open)
        flags.append(Visit.Flag.GRANT_ENDED)
    elector = batch.elector(kind, source, _int(item, "elector"))
    if elector is None:
        raise _Refuse(f"elector {item['elector']} is not on {kind.replace('_', ' ')} {source.pk}.", campaign)
    version = None
    if item.get("survey_version") is not None:
        version = batch.version(campaign, _int(item, "survey_version"))
        if version is None:
            raise _Refuse(
                f"survey version {item['survey_version']} does not exist for this campaign.", campaign
            )
    notes = item.get("notes") or ""
    if not isinstance(notes, str):
        raise _Refuse("notes must be text.", campaign)
    return VisitInput(
        campaign=campaign,
        elector=elector,
        outcome=str(item.get("outcome", "")),
        client_uuid=client_uuid,
        answers=item.get("answers") or None,
        notes=notes,
        recorded_at=recorded_at,
        survey_version=version,
        pack=source if kind == "pack" else None,
        call_list=source if kind == "call_list" else None,
        call_back_at=parse_time(item.get("call_back_at")),
        flags=tuple(flags),
    )


@transaction.atomic
def sync_batch(*, user, items, request=None):
    """Apply each item once; return one result per item, in the order sent.

    One transaction for the batch (one commit, not one per answer). Items that cannot be applied
    are refused one by one and logged with their payload; they never stop the others.
    """
    batch = _Batch(user)
    results = [None] * len(items)
    inputs, positions = [], []
    for position, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise _Refuse(f"item {position} is not an object.")
            inputs.append(_visit_input(batch, item))
            positions.append(position)
        except _Refuse as refusal:
            results[position] = _output(item, _refused(user, item, *refusal.args))
    recorded = canvass_record_visits(canvasser=user, visits=inputs, reference=batch.reference)
    for position, given, result in zip(positions, inputs, recorded, strict=True):
        if result.status == "refused":
            result = _refused(user, items[position], result.message, given.campaign)
        results[position] = _output(items[position], result)
    counts = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    audit_record(action="canvass.sync", user=user, request=request, detail=counts)
    return results


def _refused(user, item, message, campaign=None):
    sync_problem_log(
        kind=SyncProblem.Kind.REFUSED,
        user=user,
        constituency=campaign.constituency if campaign else None,
        client_uuid=str(item.get("uuid", "")) if isinstance(item, dict) else "",
        message=message,
        payload=item if isinstance(item, dict) else {"item": item},
    )
    return VisitResult("refused", message)


def _output(item, result):
    raw_uuid = item.get("uuid") if isinstance(item, dict) else None
    return {
        "uuid": raw_uuid if isinstance(raw_uuid, str) else str(raw_uuid or ""),
        "status": result.status,
        "message": result.message,
        "visit": result.visit.pk if result.visit else None,
        "flags": list(result.flags),
    }


def server_time():
    return datetime.now(tz=UTC).isoformat()
