"""Writes for canvassing: surveys and their versions, walk lists and packs, visits (door and phone),
follow-ups, voids, relations and phone banks. Keyword-only arguments, one transaction each."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.functional import cached_property

from campaigns import recording_sql
from campaigns.models import (
    CANVASS_CHANNELS,
    Answer,
    CallEntry,
    CallList,
    Campaign,
    DoorOutcome,
    FollowUp,
    IntentionCode,
    Issue,
    LatestIntention,
    Pack,
    PackDoor,
    PackDownload,
    PhoneNumber,
    Question,
    Relation,
    Survey,
    SurveyVersion,
    SyncProblem,
    Visit,
    VisitIssue,
    VisitVoid,
    WalkList,
)
from campaigns.walklists import (
    criteria_clean,
    doors_in_walking_order,
    electors_matching,
    member_phones,
    skipped_by_rule,
    split_into_packs,
)
from campaigns.webhooks import contacts_emit
from labourhub.models import Grant, User
from labourhub.scoping import ROLES_FOR, Action
from labourhub.services import audit_record
from voters import contact_rule
from voters.models import Channel, Contact
from voters.suppression import suppressed_elector_ids

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date
    from typing import Any

    from django.db.models import QuerySet
    from django.http import HttpRequest

    from campaigns.forms import PaperRow
    from labourhub.models import Constituency
    from voters.models import Elector

STANDARD_QUESTIONS = [
    {"key": "vi", "kind": "intention", "text": "How will you vote?"},
    {"key": "labour-0-10", "kind": "likelihood", "text": "How likely to vote Labour (0-10)?", "party": "L"},
    {"key": "issues", "kind": "issues", "text": "What matters most to you round here?"},
    {
        "key": "postal",
        "kind": "yes_no",
        "text": "Would you like a postal vote?",
        "follow_up": "postal_vote",
    },
    {"key": "poster", "kind": "yes_no", "text": "Will you display a poster?", "follow_up": "poster"},
    {
        "key": "volunteer",
        "kind": "yes_no",
        "text": "Would you help the campaign?",
        "follow_up": "volunteer",
    },
]


def _questions_from_spec(spec: object) -> list[Question]:
    """Validate a list of question dicts; return unsaved Questions or raise naming what and where."""
    if not isinstance(spec, list) or not spec:
        raise ValidationError("A survey needs at least one question.")
    parties = {c.code: c for c in IntentionCode.objects.active().filter(is_party=True)}
    issues = list(Issue.objects.active().values_list("code", "label"))
    questions, keys = [], set()
    for position, item in enumerate(spec, start=1):
        where = f"Question {position}"
        if not isinstance(item, dict):
            raise ValidationError(f"{where}: expected an object with key, kind and text.")
        key, kind, text = item.get("key", ""), item.get("kind", ""), (item.get("text") or "").strip()
        if not key or not isinstance(key, str) or not key.replace("-", "").replace("_", "").isalnum():
            raise ValidationError(f"{where}: key {key!r} must be letters, digits, - or _.")
        if key in keys:
            raise ValidationError(f"{where}: key {key!r} is used twice.")
        if kind not in Question.Kind.values:
            raise ValidationError(f"{where}: kind {kind!r} is not one of {', '.join(Question.Kind.values)}.")
        if not text:
            raise ValidationError(f"{where}: the question text is empty.")
        party = None
        if kind == Question.Kind.LIKELIHOOD:
            party = parties.get(item.get("party"))
            if party is None:
                raise ValidationError(f"{where}: party {item.get('party')!r} is not an active party code.")
        follow_up = item.get("follow_up", "")
        if follow_up not in Question.FollowUp.values:
            raise ValidationError(f"{where}: follow_up {follow_up!r} is not known.")
        options = []
        if kind == Question.Kind.ISSUES:
            wanted = item.get("options")
            options = [[c, label] for c, label in issues if wanted is None or c in wanted]
            unknown = set(wanted or []) - {c for c, _ in issues}
            if unknown:
                raise ValidationError(f"{where}: unknown issues {sorted(unknown)}.")
        keys.add(key)
        questions.append(
            Question(
                key=key,
                kind=kind,
                text=text[:300],
                party=party,
                options=options,
                follow_up=follow_up,
                position=position,
            )
        )
    return questions


@transaction.atomic
def survey_create(
    *, campaign: Campaign, name: str, questions: list[dict[str, Any]] | None = None, user: User | None = None
) -> Survey:
    """A new survey with version 1 (the standard questions unless others are given)."""
    built = _questions_from_spec(STANDARD_QUESTIONS if questions is None else questions)
    survey = Survey.unscoped.create(campaign=campaign, name=name)
    _version_create(survey=survey, questions=built, note="First version", user=user)
    audit_record(action="survey.create", user=user, obj=survey, constituency=campaign.constituency)
    return survey


@transaction.atomic
def survey_revise(
    *, survey: Survey, questions: list[dict[str, Any]], note: str = "", user: User | None = None
) -> SurveyVersion:
    """Edit a survey: always a new version; answers to earlier versions keep their questions."""
    built = _questions_from_spec(questions)
    Survey.unscoped.select_for_update().filter(pk=survey.pk).get()  # one reviser at a time
    version = _version_create(survey=survey, questions=built, note=note, user=user)
    audit_record(
        action="survey.revise",
        user=user,
        obj=survey,
        constituency=survey.campaign.constituency,
        detail={"version": version.number, "note": note},
    )
    return version


@transaction.atomic
def survey_question_add(
    *,
    survey: Survey,
    key: str,
    kind: str,
    text: str,
    party: IntentionCode | None = None,
    follow_up: str = "",
    user: User | None = None,
) -> SurveyVersion:
    """Add a question to the survey's current questions (a new version). `party`: an IntentionCode."""
    spec = _current_spec(survey)  # a key already there is refused by survey_revise, naming it
    question = {"key": key, "kind": kind, "text": text}
    question |= {"party": party.code} if party else {}
    question |= {"follow_up": follow_up} if follow_up else {}
    return survey_revise(survey=survey, questions=[*spec, question], note=f"Added {key}", user=user)


@transaction.atomic
def survey_question_remove(*, survey: Survey, key: str, user: User | None = None) -> SurveyVersion:
    spec = _current_spec(survey)
    kept = [question for question in spec if question["key"] != key]
    if len(kept) == len(spec):
        raise ValidationError(f"The survey has no question “{key}”.")
    return survey_revise(survey=survey, questions=kept, note=f"Removed {key}", user=user)


@transaction.atomic
def survey_question_reword(*, survey: Survey, key: str, text: str, user: User | None = None) -> SurveyVersion:
    spec = _current_spec(survey)
    matching = [question for question in spec if question["key"] == key]
    if not matching:
        raise ValidationError(f"The survey has no question “{key}”.")
    matching[0]["text"] = text
    return survey_revise(survey=survey, questions=spec, note=f"Reworded {key}", user=user)


def _current_spec(survey: Survey) -> list[dict[str, Any]]:
    """The latest version's questions, read under the survey's lock so that two editors at once each
    edit what the other saved, never an older copy."""
    survey = Survey.unscoped.select_for_update().get(pk=survey.pk)
    return survey_spec(survey.current_version)


def _version_create(
    *, survey: Survey, questions: list[Question], note: str, user: User | None
) -> SurveyVersion:
    number = (survey.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = SurveyVersion.unscoped.create(survey=survey, number=number, note=note[:200], created_by=user)
    for question in questions:
        question.version = version
    Question.objects.bulk_create(questions)
    return version


def survey_spec(version: SurveyVersion) -> list[dict[str, Any]]:
    """A version's questions as the list `survey_revise` takes (the starting point for an edit)."""
    return [
        {
            "key": q.key,
            "kind": q.kind,
            "text": q.text,
            **({"party": q.party.code} if q.party_id else {}),  # type: ignore[union-attr]
            **({"options": [c for c, _ in q.options]} if q.kind == Question.Kind.ISSUES else {}),
            **({"follow_up": q.follow_up} if q.follow_up else {}),
        }
        for q in version.questions.select_related("party")
    ]


# --- Recording visits ---------------------------------------------------------------------


class VisitRefused(ValidationError):
    """A visit that cannot be recorded as sent; the message says what and where."""


class SyncStatus(models.TextChoices):
    """What became of one item a phone sent (campaigns/sync.py states the contract)."""

    RECORDED = "recorded", "Recorded"
    DUPLICATE = "duplicate", "Already recorded"
    CONFLICT = "conflict", "Its UUID was used for something else"
    REFUSED = "refused", "Cannot be applied"
    # The person objected to contact or was erased (a tombstone, voters.suppression): nothing kept.
    SUPPRESSED = "suppressed", "Not recorded: the person asked not to be contacted"


@dataclass
class VisitResult:
    status: SyncStatus
    message: str = ""
    visit: Visit | None = None
    flags: list[str] = field(default_factory=list)


NOTE_LIMIT = 4000
SUPPRESSED_MESSAGE = (
    "Not recorded: this person objected to contact or asked to be erased, so nothing about them is kept."
)
SKEW_FUTURE = timedelta(minutes=10)
SKEW_PAST = timedelta(days=3)


def visit_digest(
    *,
    elector_id: int,
    outcome_code: str,
    answers: dict[str, Any] | None,
    notes: str,
    survey_version_id: int | None,
) -> str:
    """What a visit says, hashed: a repeat of a UUID with another digest is a conflict."""
    canonical = json.dumps(
        [elector_id, outcome_code, answers or {}, notes or "", survey_version_id],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answers_built(
    version: SurveyVersion | None, outcome: DoorOutcome, answers: object, reference: ReferenceCodes
) -> tuple[list[Answer], list[str], list[tuple[str, str]]]:
    """Check answers against the version's questions; return (Answer rows, issue codes, follow-ups)."""
    if not answers:
        return [], [], []
    if version is None:
        raise VisitRefused("answers were sent without a survey version.")
    if not outcome.spoke:
        raise VisitRefused(f"answers were sent but the outcome '{outcome.label}' means nobody answered.")
    if not isinstance(answers, dict):
        raise VisitRefused("answers must be an object of question key to value.")
    questions = {q.key: q for q in version.questions.all()}
    rows, issue_codes, follow_ups = [], [], []
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            raise VisitRefused(f"question {key!r} is not in survey version {version.number}.")
        answer = Answer(question=question, value=value)
        kind = question.kind
        if kind == Question.Kind.INTENTION:
            if isinstance(value, str):
                value = {"code": value}
            code = value.get("code") if isinstance(value, dict) else None
            intention = reference.intentions.get(code)  # type: ignore[arg-type]  # None finds nothing
            if intention is None:
                raise VisitRefused(f"{key}: {code!r} is not a voting-intention code.")
            strength = value.get("strength") or ""
            if strength not in ("", "hard", "soft") or (strength and not intention.takes_strength):
                raise VisitRefused(f"{key}: strength {strength!r} does not apply to {intention.code}.")
            answer.value, answer.intention, answer.strength = (
                {"code": code, "strength": strength},
                intention,
                strength,
            )
        elif kind == Question.Kind.LIKELIHOOD:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise VisitRefused(f"{key}: likelihood must be a whole number from 0 to 10, not {value!r}.")
        elif kind == Question.Kind.ISSUES:
            if isinstance(value, list):
                value = {"codes": value}
            offered = {c for c, _ in question.options}
            codes = value.get("codes", []) if isinstance(value, dict) else None
            other = (value.get("other") or "") if isinstance(value, dict) else ""
            if not isinstance(codes, list) or not isinstance(other, str) or set(codes) - offered:
                raise VisitRefused(f"{key}: issues must be codes from {sorted(offered)}, got {value!r}.")
            answer.value = {"codes": sorted(set(codes)), "other": other[:500]}
            issue_codes.extend(sorted(set(codes)))
        elif kind == Question.Kind.YES_NO:
            if not isinstance(value, bool):
                raise VisitRefused(f"{key}: answer yes or no (true/false), not {value!r}.")
            if value and question.follow_up:
                follow_ups.append((question.follow_up, question.text))
        elif kind == Question.Kind.TEXT:
            if not isinstance(value, str):
                raise VisitRefused(f"{key}: expected text.")
            answer.value = value[:2000]
        rows.append(answer)
    return rows, issue_codes, follow_ups


class ReferenceCodes:
    """Intention codes, outcomes and issues, read once per batch of visits rather than per visit.
    Outcomes are read by the codes a batch names (one contact through the API names one; building
    every outcome's model for it was a tenth of the write's Python)."""

    def __init__(self) -> None:
        self._outcomes: dict[tuple[str, str], DoorOutcome] = {}
        self._outcome_codes_read: set[str] = set()

    @cached_property
    def intentions(self) -> dict[str, IntentionCode]:
        return {c.code: c for c in IntentionCode.objects.all()}

    def outcomes_read(self, codes: Iterable[str]) -> None:
        """Read the outcomes with these codes (a batch's), those not read already: one statement."""
        wanted = sorted(set(codes) - self._outcome_codes_read)
        if wanted:
            self._outcomes.update(((o.code, o.channel), o) for o in recording_sql.door_outcomes(wanted))
            self._outcome_codes_read.update(wanted)

    @cached_property
    def issues(self) -> dict[str, Issue]:
        return {i.code: i for i in Issue.objects.all()}

    def outcome(self, code: str, channel: str) -> DoorOutcome:
        self.outcomes_read([code])
        outcome = self._outcomes.get((code, channel))
        if outcome is None:
            raise VisitRefused(f"outcome {code!r} is not a {channel} outcome.")
        return outcome


def _contact_time(recorded_at: datetime | None, now: datetime) -> tuple[datetime, list[str]]:
    """Server time decides order: a phone clock far from ours is not believed (and is flagged)."""
    if recorded_at is None or recorded_at > now + SKEW_FUTURE or recorded_at < now - SKEW_PAST:
        return now, [Visit.Flag.CLOCK_SKEW]
    return min(recorded_at, now), []


@dataclass
class VisitInput:
    """One visit as a phone (or a caller's page) reports it; see `canvass_record_visits`."""

    campaign: Campaign
    elector: Elector
    outcome: DoorOutcome | str  # a DoorOutcome or its code
    client_uuid: str | uuid.UUID
    answers: dict[str, Any] | None = None
    notes: str = ""
    recorded_at: datetime | None = None
    survey_version: SurveyVersion | None = None
    pack: Pack | None = None
    call_list: CallList | None = None
    call_back_at: datetime | None = None
    flags: tuple[str, ...] = ()
    channel: str | None = None  # door or phone; by default a phone when there is a call list


@dataclass
class _Prepared:
    index: int
    visit: Visit
    rows: list[Answer]
    issue_codes: list[str]
    follow_ups: list[tuple[str, str]]
    call_back_at: datetime | None
    full_notes: str
    contacted_at: datetime


def canvass_record_visit(
    *, canvasser: User, reference: ReferenceCodes | None = None, **visit: Any
) -> VisitResult:
    """Record one elector's result at a door or on a call, once per `client_uuid` (see below)."""
    return canvass_record_visits(canvasser=canvasser, visits=[VisitInput(**visit)], reference=reference)[0]


@transaction.atomic(savepoint=False)  # one transaction; inside a sync batch, the batch's own
def canvass_record_visits(
    *,
    canvasser: User,
    visits: Sequence[VisitInput],
    reference: ReferenceCodes | None = None,
    source: str = "",
) -> list[VisitResult]:
    """Record visits (VisitInput) by one canvasser, each once per client UUID; one VisitResult each.

    Writes each visit and its answers, a contact as voters' `contact_record` writes one (so the
    elector's page shows it at once), the electors' latest intentions, and follow-ups for the
    organiser. A repeat of a UUID with the same content is acknowledged ("duplicate"); with other
    content it is refused and logged ("conflict"). Answers that do not fit the survey version are
    "refused" with a message saying what and where. Rows are written a table at a time, so a
    phone's batch of 50 costs what one visit does, a few statements. `source` is what the contacts
    record as their source when it is not the page's own (an API client: issue 16, item 5).
    """
    reference = reference or ReferenceCodes()
    now = timezone.now()
    results: list[VisitResult] = [None] * len(visits)  # type: ignore[list-item]  # each is filled below
    prepared = []
    suppressed = suppressed_elector_ids(given.elector for given in visits)
    reference.outcomes_read(given.outcome for given in visits if isinstance(given.outcome, str))
    for index, given in enumerate(visits):
        if given.elector.pk in suppressed:
            results[index] = VisitResult(SyncStatus.SUPPRESSED, SUPPRESSED_MESSAGE)
            continue
        try:
            prepared.append(_visit_prepare(index, given, canvasser, reference, now))
        except VisitRefused as refusal:
            results[index] = VisitResult(SyncStatus.REFUSED, " ".join(refusal.messages))
    fresh, subscribed = _visits_insert(prepared, results, canvasser, source)
    if subscribed:  # webhooks (campaigns/webhooks.py): the insert said whether anyone subscribes
        contacts_emit([p.visit for p in fresh])
    _visit_details_write(fresh, reference)
    for item in fresh:
        results[item.index] = VisitResult(SyncStatus.RECORDED, visit=item.visit, flags=item.visit.flags)
    return results


def _contact_source(visit: Visit) -> str:
    """Where a visit's contact came from (issue 16, item 5): the door (the phone page), a paper sheet
    keyed in, or the phone bank."""
    if visit.channel != Channel.DOOR:
        return "phone bank"
    return "paper sheet" if Visit.Flag.PAPER in visit.flags else "canvass"


def _visit_prepare(
    index: int, given: VisitInput, canvasser: User, reference: ReferenceCodes, now: datetime
) -> _Prepared:
    channel = given.channel or (Channel.PHONE if given.call_list is not None else Channel.DOOR)
    if channel not in CANVASS_CHANNELS:
        raise VisitRefused(f"channel {channel!r} is not door or phone.")
    outcome = given.outcome
    if isinstance(outcome, str):
        outcome = reference.outcome(outcome, channel)
    try:
        client_uuid = uuid.UUID(str(given.client_uuid))
    except ValueError:
        raise VisitRefused(f"uuid {given.client_uuid!r} is not a UUID.") from None
    notes = given.notes or ""
    rows, issue_codes, follow_ups = _answers_built(given.survey_version, outcome, given.answers, reference)
    contacted_at, more_flags = _contact_time(given.recorded_at, now)
    flags = [*given.flags, *more_flags]
    if len(notes) > NOTE_LIMIT:
        flags.append(Visit.Flag.NOTE_TRUNCATED)
    visit = Visit(
        client_uuid=client_uuid,
        campaign=given.campaign,
        channel=channel,
        pack=given.pack,
        call_list=given.call_list,
        survey_version=given.survey_version,
        elector=given.elector,
        canvasser=canvasser,
        outcome=outcome,
        notes=notes[:NOTE_LIMIT],
        recorded_at=given.recorded_at or now,
        received_at=now,
        digest=visit_digest(
            elector_id=given.elector.pk,
            outcome_code=outcome.code,
            answers=given.answers,
            notes=notes,
            survey_version_id=given.survey_version.pk if given.survey_version else None,
        ),
        flags=sorted(set(flags)),
    )
    return _Prepared(index, visit, rows, issue_codes, follow_ups, given.call_back_at, notes, contacted_at)


def _visits_insert(
    prepared: list[_Prepared], results: list[VisitResult], canvasser: User, source: str
) -> tuple[list[_Prepared], bool]:
    """Insert the visits whose UUIDs are new, each with its contact and its elector's last contact
    (`recording_sql`: one statement, as `voters.services.contact_record` writes a contact); fill in
    results for repeats. Returns the inserted, and whether anyone subscribes to contacts. A UUID
    stored before, or by a concurrent request at the same moment (the insert waits for it), is a
    repeat: the same content "duplicate", other "conflict"."""
    firsts: dict[uuid.UUID, _Prepared] = {}
    for item in prepared:
        firsts.setdefault(item.visit.client_uuid, item)
    rows = {
        key: recording_sql.VisitRow(
            visit=item.visit,
            contacted_at=item.contacted_at,
            outcome_label=item.visit.outcome.label,
            campaign_label=item.visit.campaign.name,
            source=source or _contact_source(item.visit),
        )
        for key, item in firsts.items()
    }
    stored = recording_sql.visits_with_contacts_insert(list(rows.values()))
    subscribed = any(found.subscribed for found in stored.values())
    fresh = []
    for key, item in firsts.items():
        if key in stored:
            _saved(rows[key], stored[key], canvasser)
            fresh.append(item)
    earlier = {}
    if len(stored) < len(firsts):
        missing = [key for key in firsts if key not in stored]
        earlier = {
            v.client_uuid: v for v in Visit.unscoped.filter(client_uuid__in=missing).only("pk", "digest")
        }
    for item in prepared:
        key = item.visit.client_uuid
        if key in stored:
            if firsts[key] is not item:  # the same UUID twice in one batch
                results[item.index] = _repeat(firsts[key].visit, item.visit, canvasser)
        elif key in earlier:
            results[item.index] = _repeat(earlier[key], item.visit, canvasser)
        else:  # stored by another request, then gone before we could read it
            results[item.index] = VisitResult(
                SyncStatus.REFUSED, "This UUID is being changed; send it again."
            )
    return fresh, subscribed


def _saved(row: recording_sql.VisitRow, stored: recording_sql.Stored, canvasser: User) -> None:
    """The visit and its contact as the insert stored them (their ids), as saved model instances."""
    visit = row.visit
    visit.pk = stored.visit_id
    visit.contact = Contact(
        pk=stored.contact_id,
        elector=visit.elector,
        channel=visit.channel,
        at=row.contacted_at,
        by=canvasser,
        outcome=row.outcome_label,
        campaign_label=row.campaign_label,
        campaign_ref=str(visit.client_uuid),
        notes=visit.notes,
        source=row.source,
        created_at=stored.contact_created_at,
    )
    for saved in (visit, visit.contact):
        saved._state.adding, saved._state.db = False, "default"


def _repeat(stored: Visit, sent: Visit, canvasser: User) -> VisitResult:
    if stored.digest == sent.digest:
        return VisitResult(SyncStatus.DUPLICATE, "Already recorded.", visit=stored)
    message = "This UUID was already recorded with different answers; the first one stands."
    sync_problem_log(
        kind=SyncProblem.Kind.CONFLICT,
        user=canvasser,
        constituency=sent.campaign.constituency,
        client_uuid=str(sent.client_uuid),
        message=message,
        payload={"visit": stored.pk},
    )
    return VisitResult(SyncStatus.CONFLICT, message, visit=stored)


def _visit_details_write(fresh: list[_Prepared], reference: ReferenceCodes) -> None:
    answers: list[Answer] = []
    issues: list[VisitIssue] = []
    tasks: list[FollowUp] = []
    latest: dict[int, tuple[Visit, Answer]] = {}
    for item in fresh:
        visit = item.visit
        for row in item.rows:
            row.visit = visit
            answers.append(row)
            if row.intention_id:
                latest[visit.elector_id] = (visit, row)  # the last in the batch wins
        issues.extend(VisitIssue(visit=visit, issue=reference.issues[code]) for code in item.issue_codes)
        kinds = [FollowUp(kind=kind, detail=detail[:200]) for kind, detail in item.follow_ups]
        if visit.outcome.review:
            kinds.append(FollowUp(kind=FollowUp.Kind.REVIEW, detail=visit.outcome.get_review_display()))
        if item.call_back_at is not None:
            kinds.append(FollowUp(kind=FollowUp.Kind.CALL_BACK, detail="Call back", due_at=item.call_back_at))
        for task in kinds:
            task.campaign, task.visit, task.elector = visit.campaign, visit, visit.elector
        tasks.extend(kinds)
        if len(item.full_notes) > NOTE_LIMIT:
            sync_problem_log(
                kind=SyncProblem.Kind.TRUNCATED,
                user=visit.canvasser,
                constituency=visit.campaign.constituency,
                client_uuid=str(visit.client_uuid),
                message=f"Note of {len(item.full_notes)} characters cut to {NOTE_LIMIT} on the visit; kept here in full.",
                payload={"visit": visit.pk, "notes": item.full_notes},
            )
    Answer.objects.bulk_create(answers)
    VisitIssue.objects.bulk_create(issues)
    FollowUp.unscoped.bulk_create(tasks)
    _latest_intentions_upsert([latest[elector] for elector in sorted(latest)])


def _latest_intentions_upsert(pairs: list[tuple[Visit, Answer]]) -> None:
    """Newest by server time wins, whatever order phones sync in. One constant statement: the rows
    come as one array parameter per column."""
    if not pairs:
        return
    columns = list(
        zip(
            *(
                (visit.elector_id, answer.intention_id, answer.strength, visit.pk, visit.received_at)
                for visit, answer in pairs
            ),
            strict=True,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_INTENTIONS_UPSERT_SQL, [list(column) for column in columns])


_LATEST_INTENTIONS_UPSERT_SQL = """
INSERT INTO campaigns_latestintention (elector_id, intention_id, strength, visit_id, at)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::bigint[], %s::timestamptz[])
ON CONFLICT (elector_id) DO UPDATE
   SET intention_id = EXCLUDED.intention_id, strength = EXCLUDED.strength,
       visit_id = EXCLUDED.visit_id, at = EXCLUDED.at
 WHERE campaigns_latestintention.at <= EXCLUDED.at
"""


def _latest_intention_recount(elector_id: int) -> None:
    """The elector's latest intention from their counted visits alone, after one is voided or restored."""
    newest = (
        Answer.objects.filter(visit__elector_id=elector_id, visit__voided=False, intention__isnull=False)
        .select_related("visit")
        .order_by("-visit__received_at", "-visit_id")
        .first()
    )
    if newest is None:
        LatestIntention.unscoped.filter(elector_id=elector_id).delete()
        return
    LatestIntention.unscoped.update_or_create(
        elector_id=elector_id,
        defaults={
            "intention_id": newest.intention_id,
            "strength": newest.strength,
            "visit": newest.visit,
            "at": newest.visit.received_at,
        },
    )


def sync_problem_log(
    *,
    kind: str,
    user: User,
    message: str,
    payload: dict[str, Any],
    constituency: Constituency | None = None,
    client_uuid: str = "",
) -> SyncProblem:
    """Keep what we refused or changed, exactly as sent, for an organiser to look at."""
    return SyncProblem.unscoped.create(
        kind=kind,
        user=user,
        constituency=constituency,
        client_uuid=str(client_uuid)[:100],
        message=message[:300],
        payload=payload,
    )


@transaction.atomic
def paper_sheet_record(
    *,
    campaign: Campaign,
    pack: Pack,
    canvasser: User,
    knocked_on: date,
    rows: Iterable[PaperRow],
    user: User,
    http_request: HttpRequest | None = None,
) -> list[VisitResult]:
    """Key in a returned paper sheet (`rows`: forms.PaperRow, one per elector with an outcome) as
    `canvasser`'s visits at noon on `knocked_on`, flagged as paper. Each row's UUID makes keying the
    sheet in twice record it once. Returns one VisitResult per row.

    The contact-frequency rule (voters.contact_rule) is NOT applied here, on purpose: it is about
    planning contact, not refusing to record one that happened. A sheet printed before the quiet
    period started (someone called the voter since) is keyed in whole: the door was knocked, and
    the voter's history must say so. The paper-entry page marks such people, and records them."""
    recorded_at = timezone.make_aware(datetime.combine(knocked_on, time(12)))
    version = campaign.current_survey_version()
    visits = [
        VisitInput(
            campaign=campaign,
            elector=row.elector,  # type: ignore[arg-type]  # PaperRow.elector is an Elector
            outcome=row.outcome,
            client_uuid=row.client_uuid,
            answers={"vi": {"code": row.intention, "strength": row.strength}} if row.intention else None,
            recorded_at=recorded_at,
            survey_version=version,
            pack=pack,
            flags=(Visit.Flag.PAPER,),
        )
        for row in rows
    ]
    results = canvass_record_visits(canvasser=canvasser, visits=visits)
    audit_record(
        action="pack.paper_entry",
        user=user,
        request=http_request,
        obj=pack,
        detail={"canvasser": canvasser.email, "rows": len(visits)},
    )
    return results


# --- Walk lists and packs ---------------------------------------------------------------------


@transaction.atomic
def walk_list_create(
    *, campaign: Campaign, name: str, criteria: dict[str, Any], pack_size: int = 40, user: User | None = None
) -> WalkList:
    """Choose doors by `criteria` (see campaigns.walklists), order them along the streets and
    split them into packs of about `pack_size` doors."""
    if not 5 <= pack_size <= 500:
        raise ValidationError("pack_size: between 5 and 500 doors.")
    criteria = criteria_clean(campaign, criteria)
    electors = electors_matching(campaign, criteria)
    walk_list = walk_list_from_electors(
        campaign=campaign, name=name, criteria=criteria, electors=electors, pack_size=pack_size, user=user
    )
    walk_list.skipped_by_rule = skipped_by_rule(campaign, criteria, Channel.DOOR)
    walk_list.quiet_days = contact_rule.quiet_days(
        constituency=campaign.constituency_id, channel=Channel.DOOR
    )
    walk_list.save(update_fields=["skipped_by_rule", "quiet_days"])
    return walk_list


def walk_list_from_electors(
    *,
    campaign: Campaign,
    name: str,
    criteria: dict[str, Any],
    electors: QuerySet[Elector],
    pack_size: int,
    user: User | None = None,
    sheet_prefix: str = "W",
) -> WalkList:
    """A walk list of the doors of `electors` (a queryset) in walking order, split into packs; used
    by walk_list_create and by polling day's knock-up rounds (which choose their own electors, with
    no contact-frequency rule: polling day is exempt, see voters.contact_rule).
    Runs inside the caller's transaction."""
    doors = doors_in_walking_order(electors)
    walk_list = WalkList.unscoped.create(
        campaign=campaign,
        name=name[:120],
        criteria=criteria,
        pack_size=pack_size,
        door_count=len(doors),
        elector_count=electors.count(),
        created_by=user,
    )
    packs, pack_doors = [], []
    for number, chunk in enumerate(split_into_packs(doors, pack_size), start=1):
        streets = list(dict.fromkeys(row[1] or "Named houses" for row in chunk))
        packs.append(
            Pack(
                walk_list=walk_list,
                number=number,
                name=", ".join(streets[:3]) + (f" +{len(streets) - 3}" if len(streets) > 3 else ""),
                sheet_id=f"{sheet_prefix}{walk_list.pk}-{number:02d}",
                door_count=len(chunk),
            )
        )
        pack_doors.append(chunk)
    Pack.unscoped.bulk_create(packs)
    PackDoor.objects.bulk_create(
        PackDoor(pack=pack, property_id=row[0], position=position)
        for pack, chunk in zip(packs, pack_doors, strict=True)
        for position, row in enumerate(chunk, start=1)
    )
    audit_record(
        action="walk_list.create",
        user=user,
        obj=walk_list,
        constituency=campaign.constituency,
        detail={"criteria": criteria, "doors": len(doors), "packs": len(packs)},
    )
    return walk_list


def canvassers_for(constituency: Constituency) -> QuerySet[User]:
    """People who may canvass in this CLP now: the choices for assigning a pack or a call."""
    return (
        User.objects.filter(
            grants__in=Grant.objects.filter(role__in=ROLES_FOR[Action.CANVASS]).covering(constituency)
        )
        .distinct()
        .order_by("full_name", "email")
    )


def pack_download_issue(*, pack: Pack, user: User) -> PackDownload:
    """Record that `user`'s phone is being sent `pack` now; the token goes with the data."""
    return PackDownload.objects.create(pack=pack, user=user)


@transaction.atomic
def pack_assign(*, pack: Pack, canvasser: User | None, user: User) -> Pack:
    """Give a pack to a canvasser of its CLP (or take it back with canvasser=None)."""
    constituency = pack.walk_list.campaign.constituency
    if canvasser is not None and not canvassers_for(constituency).filter(pk=canvasser.pk).exists():
        raise ValidationError(f"{canvasser} may not canvass in {constituency}.")
    pack.assigned_to = canvasser
    pack.save(update_fields=["assigned_to"])
    audit_record(
        action="pack.assign",
        user=user,
        obj=pack,
        constituency=constituency,
        detail={"to": canvasser.email if canvasser else None},
    )
    return pack


# --- Reviewing results ------------------------------------------------------------------------


@transaction.atomic
def visit_void(*, visit: Visit, user: User, reason: str, voided: bool = True) -> Visit:
    """Void a suspect visit (or restore it with voided=False). The VisitVoid row is the record;
    reports leave voided visits out, and so does the elector's latest intention (promises and
    knock-up lists read it). The contact on the voter's history stays, as it happened."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why this visit is being voided or restored.")
    if visit.voided == voided:
        raise ValidationError(f"This visit is already {'voided' if voided else 'counted'}.")
    VisitVoid.objects.create(visit=visit, voided=voided, by=user, reason=reason[:300])
    visit.voided = voided
    visit.save(update_fields=["voided"])
    if visit.elector_id is not None:
        _latest_intention_recount(visit.elector_id)
    audit_record(
        action="visit.void" if voided else "visit.restore",
        user=user,
        obj=visit,
        constituency=visit.campaign.constituency,
        detail={"reason": reason},
    )
    return visit


@transaction.atomic
def follow_up_done(*, follow_up: FollowUp, user: User) -> FollowUp:
    if follow_up.done_at is None:
        follow_up.done_at = timezone.now()
        follow_up.done_by = user
        follow_up.save(update_fields=["done_at", "done_by"])
        audit_record(
            action="follow_up.done", user=user, obj=follow_up, constituency=follow_up.campaign.constituency
        )
    return follow_up


# --- Relations --------------------------------------------------------------------------------


@transaction.atomic
def relation_add(*, owner: User, elector: Elector, kind: str) -> Relation:
    """Someone the user knows, found on the register."""
    if kind not in Relation.Kind.values:
        raise ValidationError(f"kind {kind!r} is not one of {', '.join(Relation.Kind.values)}.")
    relation, created = Relation.unscoped.get_or_create(owner=owner, elector=elector, defaults={"kind": kind})
    if not created and relation.kind != kind:
        relation.kind = kind
        relation.save(update_fields=["kind"])
    audit_record(
        action="relation.add", user=owner, obj=relation, constituency=elector.polling_district.constituency
    )
    return relation


@transaction.atomic
def relation_remove(*, relation: Relation, user: User) -> None:
    audit_record(
        action="relation.remove",
        user=user,
        obj=relation,
        constituency=relation.elector.polling_district.constituency,
    )
    relation.delete()


# --- Phone banks --------------------------------------------------------------------------------

CLAIM_TIMEOUT = timedelta(minutes=15)
RETRY_AFTER = timedelta(hours=2)  # no answer: try again later in the session, not straight away


@transaction.atomic
def call_list_create(
    *, campaign: Campaign, name: str, criteria: dict[str, Any], script: str = "", user: User | None = None
) -> CallList:
    """People to call, chosen like a walk list but only those with a number they may be called on."""
    criteria = criteria_clean(campaign, criteria)
    electors = electors_matching(campaign, criteria, channel=Channel.PHONE)
    call_list = CallList.unscoped.create(
        campaign=campaign,
        name=name[:120],
        criteria=criteria,
        script=script,
        created_by=user,
        skipped_by_rule=skipped_by_rule(campaign, criteria, Channel.PHONE),
        quiet_days=contact_rule.quiet_days(constituency=campaign.constituency_id, channel=Channel.PHONE),
    )
    phones: dict[int, PhoneNumber] = {}
    for phone in (
        PhoneNumber.unscoped.callable().filter(elector__in=electors).order_by("elector_id", "-recorded_at")
    ):
        phones.setdefault(phone.elector_id, phone)
    # Members who consented to calls: their number from the membership record.
    from_members: dict[int, str] = {}
    for member in (
        member_phones().filter(elector__in=electors).exclude(elector__in=list(phones)).order_by("pk")
    ):
        from_members.setdefault(member.elector_id, member.mobile or member.phone)
    PhoneNumber.unscoped.bulk_create(
        [PhoneNumber(elector_id=e, number=n[:20], source="member") for e, n in from_members.items()],
        ignore_conflicts=True,
    )
    for phone in PhoneNumber.unscoped.filter(elector__in=list(from_members), source="member").callable():
        phones.setdefault(phone.elector_id, phone)
    CallEntry.unscoped.bulk_create(
        CallEntry(call_list=call_list, elector_id=elector_id, phone=phone, position=position)
        for position, (elector_id, phone) in enumerate(sorted(phones.items()), start=1)
    )
    call_list.entry_count = len(phones)
    call_list.save(update_fields=["entry_count"])
    audit_record(
        action="call_list.create",
        user=user,
        obj=call_list,
        constituency=campaign.constituency,
        detail={"criteria": criteria, "entries": len(phones), "skipped_by_rule": call_list.skipped_by_rule},
    )
    return call_list


@transaction.atomic
def call_claim_next(*, call_list: CallList, user: User) -> CallEntry | None:
    """The next person for this caller: never someone another caller has (SKIP LOCKED), never
    someone contacted inside the quiet period since the list was made (the contact-frequency rule,
    voters.contact_rule: they are closed off as skipped), and call-backs only once their time has
    come (a call-back was asked for by the person). Returns a CallEntry or None when the list is done."""
    now = timezone.now()
    mine = CallEntry.unscoped.filter(
        call_list=call_list, status=CallEntry.Status.CLAIMED, claimed_by=user
    ).first()
    if mine is not None:
        return mine
    while True:
        entry = (
            CallEntry.unscoped.select_for_update(skip_locked=True)
            .filter(call_list=call_list)
            .filter(
                Q(status=CallEntry.Status.WAITING, call_back_at__isnull=True)
                | Q(status=CallEntry.Status.WAITING, call_back_at__lte=now)
                | Q(status=CallEntry.Status.CLAIMED, claimed_at__lt=now - CLAIM_TIMEOUT)
            )
            .order_by("call_back_at", "position")
            .first()
        )
        if entry is None:
            return None
        due = electors_matching(call_list.campaign, {}, channel=Channel.PHONE).filter(pk=entry.elector_id)
        if entry.call_back_at is None and not due.exists():
            entry.status = CallEntry.Status.SKIPPED  # contacted elsewhere since the list was made
            entry.save(update_fields=["status"])
            continue
        entry.status = CallEntry.Status.CLAIMED
        entry.claimed_by = user
        entry.claimed_at = now
        entry.save(update_fields=["status", "claimed_by", "claimed_at"])
        return entry


CALL_BACK_OUTCOME = "call_back"  # the phone outcome "Call back later" (reference data)


@transaction.atomic
def call_record(
    *,
    entry: CallEntry,
    user: User,
    outcome: str,
    client_uuid: str,
    answers: dict[str, Any] | None = None,
    notes: str = "",
    call_back_at: datetime | None = None,
) -> VisitResult:
    """Record a call's outcome through the same service as a door; free or close the entry."""
    if outcome == CALL_BACK_OUTCOME and call_back_at is None:
        # Once accepted and rung again in an hour, whatever the person had asked (issue 14, item 12).
        raise ValidationError(
            "call_back_at: say when to call back (a date and time), or choose another outcome."
        )
    result = canvass_record_visit(
        canvasser=user,
        campaign=entry.call_list.campaign,
        elector=entry.elector,
        outcome=outcome,
        client_uuid=client_uuid,
        answers=answers,
        notes=notes,
        recorded_at=timezone.now(),
        survey_version=entry.call_list.campaign.current_survey_version() if answers else None,
        call_list=entry.call_list,
        call_back_at=call_back_at,
    )
    if result.status == SyncStatus.REFUSED:
        raise VisitRefused(result.message)
    if result.status == SyncStatus.SUPPRESSED:
        # Objected or erased since the list was made: the entry is closed (an erasure deleted it).
        CallEntry.unscoped.filter(pk=entry.pk).update(
            status=CallEntry.Status.SKIPPED, claimed_by=None, claimed_at=None
        )
        return result
    if result.status != SyncStatus.RECORDED:
        return result
    entry.attempts += 1
    try_again = result.visit.outcome.try_again and entry.attempts < 3  # type: ignore[union-attr]  # recorded
    entry.status = CallEntry.Status.WAITING if try_again else CallEntry.Status.DONE
    entry.call_back_at = (call_back_at or timezone.now() + RETRY_AFTER) if try_again else None
    entry.claimed_by, entry.claimed_at = None, None
    entry.save(update_fields=["attempts", "status", "call_back_at", "claimed_by", "claimed_at"])
    return result


@transaction.atomic
def campaign_create(
    *,
    constituency: Constituency,
    name: str,
    starts_on: date,
    ends_on: date | None = None,
    user: User | None = None,
) -> Campaign:
    """A campaign with the standard doorstep survey, ready for walk lists."""
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("ends_on: the campaign cannot end before it starts.")
    campaign = Campaign.unscoped.create(
        constituency=constituency, name=name[:120], starts_on=starts_on, ends_on=ends_on, created_by=user
    )
    survey_create(campaign=campaign, name=f"{name[:100]} survey", user=user)
    audit_record(action="campaign.create", user=user, obj=campaign, constituency=constituency)
    return campaign
