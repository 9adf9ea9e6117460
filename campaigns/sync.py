"""The sync contract: phones send batches of visits, each with a client UUID; each gets a result.

Request (POST JSON):  {"answers": [{"uuid", "pack" | "call_list", "elector", "outcome",
                        "survey_version", "answers": {key: value}, "notes", "recorded_at",
                        "download"}, ...]}
Response:             {"server_time", "results": [{"uuid", "status", "message", "visit", "flags"}]}

status (campaigns.services.SyncStatus) is "recorded" (new), "duplicate" (already had it: safe),
"conflict" (the UUID was used for something else: refused, logged) or "refused" (cannot be applied:
logged with the payload, so nothing typed on a doorstep is lost). Items are applied one by one: one bad item
never stops the others.

"download" is the token the pack's data came with (campaigns.packs.pack_download). A pack is open to
the canvasser it is given to (and to organisers). Once it is not, an answer is kept only when that
token shows the phone had the pack while the person's grant held, and the grant ended no more than
OFFLINE_LATE_ENTRY_HOURS ago (campaigns.offline.late_entry_allowed); it is then flagged
"grant_ended". Everything else is refused, kept in the sync log and written to the audit log.
"""

import uuid
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.models import (
    CallEntry,
    CallList,
    Pack,
    PackDoor,
    PackDownload,
    SurveyVersion,
    SyncProblem,
    Visit,
)
from campaigns.offline import late_entry_allowed
from campaigns.recording_sql import source_with_rule
from campaigns.services import (
    ReferenceCodes,
    SyncStatus,
    VisitInput,
    VisitResult,
    canvass_record_visits,
    sync_problem_log,
)
from labourhub.scoping import Action, can
from labourhub.scoping_sql import row_for_user_sql
from labourhub.services import audit_record
from labourhub.sql_rows import columns, instances
from voters.models import Elector
from voters.suppression import suppressed_sql

MAX_BATCH = 200


class _Refuse(Exception):
    pass


class _Batch:
    """Look-ups shared by the items of one batch, so a batch of 50 costs a few queries, not 250."""

    def __init__(self, user, request=None, elector_ids=()):
        self.user = user
        self.request = request
        self.elector_ids = set(elector_ids)  # the electors the batch names: only these are read
        self.open_now = {}
        self.downloads = {}
        self.sources = {}
        self.electors = {}
        self.versions = {}
        self.allowed_now = {}
        self.reference = ReferenceCodes()

    def source(self, kind, pk):
        """(the pack or call list, its campaign) or (None, None); whether it is open to the user now
        comes in the same statement (recording_sql: one constant statement, not the ORM's three-table
        select_related, which was ~2 ms of an API write's Python) and is kept for `open_to_user`."""
        key = (kind, pk)
        if key not in self.sources:
            model = Pack if kind == "pack" else CallList
            # The pages' own rule (Pack/CallList.objects.for_user), its SQL compiled once per process.
            found = source_with_rule(kind, pk, row_for_user_sql(model, Action.CANVASS, self.user, pk))
            self.sources[key] = (found.row, found.campaign) if found else (None, None)
            if found:
                self.open_now[key] = found.open_to_user
        return self.sources[key]

    def elector(self, kind, source, pk):
        key = (kind, source.pk)
        if key not in self.electors:
            # Only the batch's electors: the API sends one contact a call, and reading every elector
            # at a pack's doors (~400 model instances) was most of a write's Python (bench_api).
            # One constant statement (our models' table names): Postgres keeps it prepared and the ORM
            # compiles nothing; compiling the queryset was ~2 ms of an API write's Python (bench_api).
            on_it = (
                f"e.home_id IN (SELECT property_id FROM {PackDoor._meta.db_table} WHERE pack_id = %s)"
                if kind == "pack"
                else f"e.id IN (SELECT elector_id FROM {CallEntry._meta.db_table} WHERE call_list_id = %s)"
            )
            # Whether a tombstone covers each comes in the same statement (canvass_record_visits asks).
            suppressed, suppressed_params = suppressed_sql("e")
            sql = (
                f"SELECT {columns(Elector, 'e')}, {suppressed} FROM {Elector._meta.db_table} e "
                f"WHERE e.id = ANY(%s) AND {on_it}"
            )
            electors = []
            with connection.cursor() as cursor:
                cursor.execute(sql, [*suppressed_params, sorted(self.elector_ids), source.pk])
                for row in cursor.fetchall():
                    (elector,) = instances(row[:-1], Elector)
                    elector.suppressed_at_read = row[-1]
                    electors.append(elector)
            self.electors[key] = {e.pk: e for e in electors}
        return self.electors[key].get(pk)

    def version(self, campaign, pk):
        if pk not in self.versions:
            self.versions[pk] = (
                SurveyVersion.unscoped.filter(pk=pk, survey__campaign=campaign)
                .prefetch_related("questions")
                .first()
            )
        return self.versions[pk]

    def may_canvass_now(self, constituency):
        if constituency.pk not in self.allowed_now:
            self.allowed_now[constituency.pk] = can(self.user, Action.CANVASS, constituency)
        return self.allowed_now[constituency.pk]

    def open_to_user(self, kind, source):
        """Is this pack (or call list) open to the user now, as its pages are? (Asked by `source`.)"""
        return self.open_now[(kind, source.pk)]

    def download(self, pack, token):
        """When the server sent this pack to this user with `token`, or None."""
        if not isinstance(token, str) or not token:
            return None
        if token not in self.downloads:
            self.downloads[token] = (
                PackDownload.objects.filter(token=token, user=self.user)
                .values_list("pack_id", "issued_at")
                .first()
            )
        found = self.downloads[token]
        return found[1] if found and found[0] == pack.pk else None


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


def _check_late_entry(batch, kind, source, campaign, issued_at, recorded_at, client_uuid):
    """Raise _Refuse (and write the audit log) unless campaigns.offline lets this late answer in."""
    late = late_entry_allowed(
        user=batch.user,
        constituency=campaign.constituency,
        action=Action.CANVASS,
        issued_at=issued_at,
        recorded_at=recorded_at,
    )
    if late.allowed:
        return
    audit_record(
        action="canvass.late_refused",
        user=batch.user,
        request=batch.request,
        constituency=campaign.constituency,
        detail={kind: source.pk, "uuid": str(client_uuid), "reason": late.reason},
    )
    not_open = f"{kind.replace('_', ' ')} {source.pk} is not open to you"
    if issued_at is None:  # nothing to say to someone who never had it
        raise _Refuse(f"{not_open}.")
    raise _Refuse(f"{not_open}: {late.reason}.", campaign)


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
    if not batch.open_to_user(kind, source):
        issued_at = batch.download(source, item.get("download")) if kind == "pack" else None
        # Given to someone else after this phone downloaded it, by someone who still canvasses
        # here: the answers are theirs to send. Otherwise only the late-entry rule lets them in.
        if issued_at is None or not batch.may_canvass_now(constituency):
            _check_late_entry(batch, kind, source, campaign, issued_at, recorded_at, client_uuid)
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


@transaction.atomic(savepoint=False)  # one transaction; inside the API's (idempotency), no savepoint
def sync_batch(*, user, items, request=None, source=""):
    """Apply each item once; return one result per item, in the order sent. `source`: the contacts'
    recorded source when not the phone page's own ("API client 3: name", from /api/v1/).

    One transaction for the batch (one commit, not one per answer). Items that cannot be applied
    are refused one by one and logged with their payload; they never stop the others.
    """
    named = (item.get("elector") for item in items if isinstance(item, dict))
    batch = _Batch(user, request, elector_ids=[pk for pk in named if type(pk) is int])
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
    recorded = canvass_record_visits(canvasser=user, visits=inputs, reference=batch.reference, source=source)
    for position, given, result in zip(positions, inputs, recorded, strict=True):
        if result.status == SyncStatus.REFUSED:
            result = _refused(user, items[position], result.message, given.campaign)
        results[position] = _output(items[position], result)
    counts = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    audit_record(
        action="canvass.sync", user=user, request=request, scope_action=Action.CANVASS, detail=counts
    )
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
    return VisitResult(SyncStatus.REFUSED, message)


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
