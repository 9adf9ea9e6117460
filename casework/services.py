"""Writes in casework: opening, assigning, moving and reopening cases, their timelines, and the one
audited crossing into campaigning (consent_record). Every view of a case is audited too
(`case_viewed`). Each function is keyword-only and one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from casework import letters
from casework.models import (
    STATUS_CLASS,
    Agency,
    Case,
    CaseAssignment,
    CaseConsent,
    Chaser,
    Letter,
    LetterKind,
    LetterTemplate,
    Office,
    OfficeMembership,
    Status,
    StatusClass,
    TimelineEntry,
    Topic,
)
from casework.working_days import add_working_days
from labourhub.services import audit_record
from voters.models import Channel as ContactChannel
from voters.services import contact_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from labourhub.models import User
    from voters.models import Elector

# Where a case may go from each status (closing and cancelling from any open status; reopening
# only through case_reopen).
ALLOWED_MOVES: dict[str, set[str]] = {
    Status.NEW: {
        Status.TRIAGE,
        Status.AWAITING_CONSTITUENT,
        Status.AWAITING_AGENCY,
        Status.CLOSED,
        Status.CANCELLED,
    },
    Status.TRIAGE: {Status.AWAITING_CONSTITUENT, Status.AWAITING_AGENCY, Status.CLOSED, Status.CANCELLED},
    Status.AWAITING_CONSTITUENT: {Status.TRIAGE, Status.AWAITING_AGENCY, Status.CLOSED, Status.CANCELLED},
    Status.AWAITING_AGENCY: {Status.TRIAGE, Status.AWAITING_CONSTITUENT, Status.CLOSED, Status.CANCELLED},
    Status.CLOSED: set(),
    Status.CANCELLED: set(),
}


def _audit(
    action: str, *, user: User, case: Case, request: HttpRequest | None = None, **detail: object
) -> None:
    # Casework events name the case in `detail` and carry no area: an event with the case as its
    # object would take the office's constituency and show on the CLP's audit page, and the CLP must
    # learn nothing of casework, not even that a case was opened or read. (Reading them per office,
    # for the office lead, is a later round's page.)
    audit_record(
        action=action,
        user=user,
        request=request,
        detail={"case": case.pk, "office": case.office_id, "reference": case.reference, **detail},
    )


def _require_member(user: User, office: Office) -> OfficeMembership:
    membership = OfficeMembership.objects.in_force_for(user).filter(office=office).first()
    if membership is None:
        raise ValidationError("You are not a caseworker of this office.")
    return membership


def _next_seq(office: Office, year: int) -> int:
    Office.objects.select_for_update().filter(pk=office.pk).first()  # one reference at a time
    top = Case.unscoped.filter(reference_prefix=office.reference_prefix, reference_year=year).aggregate(
        top=Max("reference_seq")
    )["top"]
    return (top or 0) + 1


@transaction.atomic
def case_open(
    *,
    user: User,
    office: Office,
    channel: str,
    summary: str,
    elector: Elector | None = None,
    name: str = "",
    address: str = "",
    postcode: str = "",
    email: str = "",
    phone: str = "",
    topic: Topic | None = None,
    urgency: str = Case.Urgency.NORMAL,
    special_category: bool = False,
    article9_condition: str = "",
    sensitive: bool = False,
    agency: Agency | None = None,
    opened_on: datetime.date | None = None,
    note: str = "",
) -> Case:
    """Open a case in `office`, owned by `user` (who must work there). The constituent is an
    elector found on the register (their name and address are copied in) or entered fresh."""
    _require_member(user, office)
    if topic is not None and topic.office_id != office.pk:
        raise ValidationError({"topic": "That topic is not one of this office's."})
    if special_category and not article9_condition:
        raise ValidationError({"article9_condition": "Special category data needs its Article 9 condition."})
    if elector is not None:
        name = name or " ".join(p for p in (elector.first_names, elector.surname) if p)
        home = elector.home
        if home is not None:
            address = address or home.address
            postcode = postcode or home.postcode_display or home.postcode
    if not name.strip():
        raise ValidationError({"name": "The constituent's name is needed."})
    opened_on = opened_on or timezone.localdate()
    case = Case.unscoped.create(
        office=office,
        reference_prefix=office.reference_prefix,
        reference_year=opened_on.year,
        reference_seq=_next_seq(office, opened_on.year),
        elector=elector,
        name=name.strip(),
        address=address.strip(),
        postcode=postcode.strip().upper(),
        email=email.strip(),
        phone=phone.strip(),
        channel=Case.Channel(channel),
        summary=summary.strip(),
        topic=topic,
        urgency=Case.Urgency(urgency),
        special_category=special_category,
        article9_condition=article9_condition,
        sensitive=sensitive,
        owner=user,
        agency=agency,
        opened_on=opened_on,
        due_on=add_working_days(opened_on, agency.response_working_days, office.nation) if agency else None,
    )
    CaseAssignment.unscoped.create(case=case, user=user)
    if note.strip():
        TimelineEntry.unscoped.create(case=case, kind=TimelineEntry.Kind.NOTE, author=user, text=note.strip())
    _audit("casework.case_open", user=user, case=case, elector_linked=elector is not None)
    return case


@transaction.atomic
def case_assign(*, user: User, case: Case, assignees: Iterable[User], owner: User | None = None) -> Case:
    """Set who works the case (and, optionally, its owner, who is always an assignee). Each must
    be a caseworker of the office now."""
    _require_member(user, case.office)
    people = {a.pk: a for a in assignees}
    if owner is not None:
        people[owner.pk] = owner
        case.owner = owner
    people.setdefault(case.owner_id, case.owner)
    for person in people.values():
        if not OfficeMembership.objects.in_force_for(person).filter(office=case.office).exists():
            raise ValidationError({"assignees": f"{person} is not a caseworker of this office."})
    CaseAssignment.unscoped.filter(case=case).exclude(user__in=list(people)).delete()
    have = set(CaseAssignment.unscoped.filter(case=case).values_list("user_id", flat=True))
    CaseAssignment.unscoped.bulk_create(
        [CaseAssignment(case=case, user_id=pk) for pk in people if pk not in have]
    )
    case.updated_at = timezone.now()
    case.save(update_fields=["owner", "updated_at"])
    _audit("casework.case_assign", user=user, case=case, assignees=sorted(people), owner=case.owner_id)
    return case


def _status_entry(case: Case, user: User, text: str) -> None:
    TimelineEntry.unscoped.create(case=case, kind=TimelineEntry.Kind.STATUS, author=user, text=text)


@transaction.atomic
def case_move(
    *,
    user: User,
    case: Case,
    status: str,
    outcome: str = "",
    agency: Agency | None = None,
    on: datetime.date | None = None,
) -> Case:
    """Move a case along its lifecycle. Closing needs an outcome; awaiting an agency needs the agency
    (or the one already on the case), and sets the due date to its response target in working days."""
    _require_member(user, case.office)
    case = Case.unscoped.select_for_update(of=("self",)).select_related("office", "agency").get(pk=case.pk)
    target = Status(status)
    if target not in ALLOWED_MOVES[Status(case.status)]:
        raise ValidationError(
            {
                "status": f"A case that is {case.get_status_display().lower()} cannot move to {target.label.lower()}."
            }
        )
    on = on or timezone.localdate()
    fields = ["status", "status_class", "updated_at"]
    if target == Status.CLOSED:
        if outcome not in Case.Outcome.values:
            raise ValidationError({"outcome": "Closing a case needs its outcome."})
        case.outcome, case.closed_on = outcome, on
        fields += ["outcome", "closed_on"]
    elif target == Status.CANCELLED:
        case.closed_on = on
        fields += ["closed_on"]
    elif target == Status.AWAITING_AGENCY:
        agency = agency or case.agency
        if agency is None:
            raise ValidationError({"agency": "Say which agency the case is waiting for."})
        case.agency = agency
        case.due_on = add_working_days(on, agency.response_working_days, case.office.nation)
        case.referred_on, case.agency_replied_on = on, None  # response times (casework/reports.py)
        fields += ["agency", "due_on", "referred_on", "agency_replied_on"]
    if case.status == Status.AWAITING_AGENCY and target != Status.AWAITING_AGENCY:
        case.agency_replied_on = on  # leaving "awaiting agency": the agency has answered (or given up on)
        fields += ["agency_replied_on"]
    before = case.get_status_display()
    case.status, case.status_class = target, STATUS_CLASS[target]
    case.updated_at = timezone.now()
    case.save(update_fields=fields)
    text = f"{before} → {target.label}"
    if target == Status.CLOSED:
        text += f" ({case.get_outcome_display()})"
    elif target == Status.AWAITING_AGENCY:
        text += f": {case.agency}, due {case.due_on:%-d %b %Y}"
    _status_entry(case, user, text)
    _audit("casework.case_move", user=user, case=case, status=target.value, outcome=case.outcome)
    return case


@transaction.atomic
def case_reopen(*, user: User, case: Case, reason: str) -> Case:
    """Reopen a closed or cancelled case into triage; the outcome is cleared, the reason noted."""
    _require_member(user, case.office)
    case = Case.unscoped.select_for_update().get(pk=case.pk)
    if case.status_class == StatusClass.OPEN:
        raise ValidationError({"status": "The case is already open."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is reopened."})
    case.status, case.status_class = Status.TRIAGE, StatusClass.OPEN
    case.outcome, case.closed_on, case.updated_at = "", None, timezone.now()
    case.save(update_fields=["status", "status_class", "outcome", "closed_on", "updated_at"])
    _status_entry(case, user, f"Reopened: {reason.strip()}")
    _audit("casework.case_reopen", user=user, case=case)
    return case


@transaction.atomic
def timeline_add(
    *, user: User, case: Case, kind: str, text: str, at: datetime.datetime | None = None
) -> TimelineEntry:
    """Add a letter, email, call or note to the case's timeline."""
    _require_member(user, case.office)
    kind = TimelineEntry.Kind(kind)
    if kind == TimelineEntry.Kind.STATUS:
        raise ValidationError({"kind": "Status changes are written by moving the case."})
    if not text.strip():
        raise ValidationError({"text": "Write what happened."})
    entry = TimelineEntry.unscoped.create(
        case=case, kind=kind, author=user, text=text.strip(), at=at or timezone.now()
    )
    Case.unscoped.filter(pk=case.pk).update(updated_at=timezone.now())
    _audit("casework.timeline_add", user=user, case=case, kind=kind.value)
    return entry


@transaction.atomic
def consent_record(
    *, user: User, case: Case, wording: str, given: bool, given_on: datetime.date | None = None
) -> CaseConsent:
    """Record the constituent's answer to the campaign-updates question. This is the only bridge
    from casework to campaigning: when the answer is yes and the case is linked to an elector, the
    elector gets one contact row on the register saying they agreed to campaign updates (the
    wording, nothing of the case), and the crossing is audited in the CLP's area."""
    _require_member(user, case.office)
    if not wording.strip():
        raise ValidationError({"wording": "Record the exact question the constituent answered."})
    consent = CaseConsent.unscoped.create(
        case=case,
        wording=wording.strip(),
        given=given,
        given_on=given_on or timezone.localdate(),
        recorded_by=user,
    )
    _audit("casework.consent_record", user=user, case=case, given=given)
    if given and case.elector_id is not None:
        elector = case.elector
        assert elector is not None  # noqa: S101 (for the type checker: elector_id is set)
        contact_record(
            elector=elector,
            channel=ContactChannel.POST,
            user=user,
            outcome="agreed to campaign updates",
            notes=f"Agreed to: {consent.wording}",
            source="consent",
        )
        audit_record(
            action="casework.consent_crossing",
            user=user,
            obj=elector,
            detail={"consent": consent.pk, "office": case.office_id},
        )
    return consent


def case_viewed(*, user: User, case: Case, request: HttpRequest | None = None) -> None:
    """Every view of a case is in the audit log."""
    _audit("casework.case_view", user=user, case=case, request=request)


def letter_viewed(*, user: User, letter: Letter, request: HttpRequest | None = None) -> None:
    """Every view of a letter is in the audit log, as a case's is."""
    _audit("casework.letter_view", user=user, case=letter.case, request=request, letter=letter.pk)


def cases_listed(*, user: User, office: Office | None, what: str, request: HttpRequest | None = None) -> None:
    audit_record(
        action="casework.case_list",
        user=user,
        request=request,
        detail={"office": office.pk if office else None, "list": what},
    )


# --- Letters and emails out, templates, chasers (issue 15 items 3 and 4) ----------------------

# After a chaser goes, the agency is given this many more working days before the next chaser.
CHASE_AGAIN_AFTER_WORKING_DAYS = 10


@transaction.atomic
def letter_template_save(*, user: User, office: Office, kind: str, subject: str, body: str) -> LetterTemplate:
    """The office lead's own wording for one kind of letter (every merge field must exist)."""
    _require_lead(user, office)
    kind = LetterKind(kind)
    problems: dict[str, str] = {}
    for field, text in (("subject", subject), ("body", body)):
        try:
            letters.check(text)
        except letters.UnknownMergeField as error:
            problems[field] = str(error)
        if not text.strip():
            problems[field] = "This is needed."
    if problems:
        raise ValidationError(problems)
    template, _ = LetterTemplate.objects.update_or_create(
        office=office,
        kind=kind,
        defaults={
            "subject": subject.strip(),
            "body": body.strip(),
            "updated_by": user,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        action="casework.letter_template_save", user=user, detail={"office": office.pk, "kind": kind.value}
    )
    return template


def _await_agency(case: Case, user: User, agency: Agency, on: datetime.date, why: str) -> None:
    """Set `case` awaiting `agency`, due `days` working days from `on` (a referral sent, a chaser)."""
    before = case.get_status_display()
    case.status, case.status_class, case.agency = Status.AWAITING_AGENCY, StatusClass.OPEN, agency
    case.due_on = add_working_days(on, agency.response_working_days, case.office.nation)
    case.updated_at = timezone.now()
    case.save(update_fields=["status", "status_class", "agency", "due_on", "updated_at"])
    _status_entry(
        case,
        user,
        f"{before} → {Status.AWAITING_AGENCY.label}: {agency}, due {case.due_on:%-d %b %Y} ({why})",
    )


@transaction.atomic
def letter_create(
    *,
    user: User,
    case: Case,
    kind: str,
    medium: str,
    recipient_name: str,
    recipient_address: str = "",
    to_email: str = "",
    subject: str,
    body: str,
    agency: Agency | None = None,
) -> Letter:
    """A letter to print or an email to send, as the caseworker finished it, on the case's timeline.

    A referral sets the case awaiting `agency`, due in its response target of working days; a chaser
    marks the agency's open chasers done and gives it CHASE_AGAIN_AFTER_WORKING_DAYS more. An email is
    queued for the worker (casework.tasks.letter_email_send) when this transaction commits."""
    _require_member(user, case.office)
    case = Case.unscoped.select_for_update(of=("self",)).select_related("office", "agency").get(pk=case.pk)
    kind, medium = LetterKind(kind), Letter.Medium(medium)
    problems: dict[str, str] = {}
    if not recipient_name.strip():
        problems["recipient_name"] = "Say who the letter is to."
    if medium == Letter.Medium.EMAIL and not to_email.strip():
        problems["to_email"] = "An email needs the address it goes to."
    if medium == Letter.Medium.LETTER and not recipient_address.strip():
        problems["recipient_address"] = "A printed letter needs the address it goes to."
    if not subject.strip():
        problems["subject"] = "Write a subject."
    if not body.strip():
        problems["body"] = "Write the letter."
    if kind in (LetterKind.REFERRAL, LetterKind.CHASER):
        agency = agency or case.agency
        if agency is None:
            problems["agency"] = "Say which agency it goes to."
        if not case.is_open:
            problems["kind"] = "The case is closed: reopen it before writing to an agency."
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    if medium == Letter.Medium.EMAIL:
        text = f"Email to {recipient_name.strip()} <{to_email.strip()}>: {subject.strip()}"
        entry_kind = TimelineEntry.Kind.EMAIL_OUT
    else:
        text = f"Letter to {recipient_name.strip()}: {subject.strip()}"
        entry_kind = TimelineEntry.Kind.LETTER_OUT
    entry = TimelineEntry.unscoped.create(case=case, kind=entry_kind, author=user, text=text, at=now)
    letter = Letter.unscoped.create(
        case=case,
        kind=kind,
        medium=medium,
        agency=agency if kind in (LetterKind.REFERRAL, LetterKind.CHASER) else None,
        recipient_name=recipient_name.strip(),
        recipient_address=recipient_address.strip(),
        to_email=to_email.strip(),
        subject=subject.strip(),
        body=body.strip(),
        state=Letter.State.QUEUED if medium == Letter.Medium.EMAIL else Letter.State.PRINTED,
        entry=entry,
        created_by=user,
        created_at=now,
    )
    today = timezone.localdate()
    if kind == LetterKind.REFERRAL:
        assert agency is not None  # noqa: S101 (checked above; for the type checker)
        _await_agency(case, user, agency, today, "referral sent")
    elif kind == LetterKind.CHASER:
        assert agency is not None  # noqa: S101 (checked above; for the type checker)
        Chaser.unscoped.filter(case=case, done_at__isnull=True).update(done_at=now, done_letter=letter)
        before = case.get_status_display()
        case.agency = agency
        case.due_on = add_working_days(today, CHASE_AGAIN_AFTER_WORKING_DAYS, case.office.nation)
        case.updated_at = now
        case.save(update_fields=["agency", "due_on", "updated_at"])
        _status_entry(case, user, f"{before}: {agency} chased, due again {case.due_on:%-d %b %Y}")
    else:
        Case.unscoped.filter(pk=case.pk).update(updated_at=now)
    _audit(
        "casework.letter_create", user=user, case=case, letter=letter.pk, kind=kind.value, medium=medium.value
    )
    if medium == Letter.Medium.EMAIL:
        from casework.tasks import letter_email_send_task

        transaction.on_commit(lambda: letter_email_send_task.delay(letter.pk))
    return letter


def _claim(letter_id: int) -> Letter | None:
    """Take a queued email for this worker, in its own commit: a second delivery of the task, or a
    second worker, finds it no longer queued and sends nothing."""
    with transaction.atomic():
        letter = (
            Letter.unscoped.select_for_update(skip_locked=True)
            .filter(pk=letter_id, state=Letter.State.QUEUED)
            .first()
        )
        if letter is None:
            return None
        letter.state = Letter.State.SENDING
        letter.save(update_fields=["state"])
    return letter


def letter_email_send(*, letter_id: int) -> bool:
    """Send one queued email, at most once: claimed (queued → sending) in a commit of its own before
    the SMTP server sees it, marked sent (or failed, with the server's words) after. A worker killed
    between the two leaves it "sending", shown on the case page, never sent twice. Returns whether
    this call sent it."""
    letter = _claim(letter_id)
    if letter is None:
        return False
    case = Case.unscoped.select_related("office").get(pk=letter.case_id)
    message = EmailMessage(
        subject=letter.subject,
        body=f"{letter.body}\n\n{letters.signature(user=letter.created_by, case=case)}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[letter.to_email],
        headers={"X-Case-Reference": case.reference},
    )
    try:
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 (any refusal is recorded on the letter)
        Letter.unscoped.filter(pk=letter.pk).update(state=Letter.State.FAILED, error=str(error)[:500])
        return False
    Letter.unscoped.filter(pk=letter.pk).update(state=Letter.State.SENT, sent_at=timezone.now())
    return True


@transaction.atomic
def chasers_create(*, today: datetime.date | None = None) -> int:
    """The nightly check: a chaser task on every open case whose agency is past its due date, once
    per missed date, with a task on the case's timeline (by the case's owner, for whom it is set).
    Returns how many were set."""
    today = today or timezone.localdate()
    late = (
        Case.unscoped.filter(status=Status.AWAITING_AGENCY, agency__isnull=False, due_on__lt=today)
        .exclude(chasers__missed_due_on=F("due_on"))
        .select_related("agency")
    )
    made = 0
    for case in late:
        assert case.agency is not None and case.due_on is not None  # noqa: S101 (filtered above)
        Chaser.unscoped.create(case=case, agency=case.agency, missed_due_on=case.due_on)
        TimelineEntry.unscoped.create(
            case=case,
            kind=TimelineEntry.Kind.TASK,
            author_id=case.owner_id,
            text=f"Chase {case.agency}: their reply was due {case.due_on:%-d %b %Y}.",
        )
        made += 1
    return made


# --- Reports, sharing, retention and handover (issue 15, items 5 and 7) --------------------------


def _require_lead(user: User, office: Office) -> OfficeMembership:
    membership = _require_member(user, office)
    if membership.role != OfficeMembership.Role.LEAD:
        raise ValidationError("Only the office lead may do this.")
    return membership


def report_viewed(
    *, user: User, office: Office | None, report: str, request: HttpRequest | None = None, **detail: object
) -> None:
    """Every report shown or downloaded is in the audit log (counts, but of the office's cases)."""
    audit_record(
        action="casework.report_view",
        user=user,
        request=request,
        detail={"office": office.pk if office else None, "report": report, **detail},
    )


@transaction.atomic
def office_settings_update(
    *, user: User, office: Office, share_counts_with_clp: bool, retention_days: int
) -> Office:
    """The office lead's choices: whether the CLP sees suppressed counts, and how long closed cases
    are kept before they are anonymised."""
    _require_lead(user, office)
    if not 30 <= retention_days <= 36500:
        raise ValidationError({"retention_days": "Keep closed cases between 30 days and 100 years."})
    office = Office.objects.select_for_update().get(pk=office.pk)
    before = {"share_counts_with_clp": office.share_counts_with_clp, "retention_days": office.retention_days}
    office.share_counts_with_clp, office.retention_days = share_counts_with_clp, retention_days
    office.save(update_fields=["share_counts_with_clp", "retention_days"])
    audit_record(
        action="casework.office_settings",
        user=user,
        detail={
            "office": office.pk,
            "before": before,
            "after": {"share_counts_with_clp": share_counts_with_clp, "retention_days": retention_days},
        },
    )
    return office


def case_retention_run(*, on: datetime.date | None = None) -> dict[int, int]:
    """The nightly run: in each office, anonymise the closed cases past its retention period (see
    casework/retention.py). One transaction per office; each office's count is in the audit log.
    Returns {office id: cases anonymised}."""
    from casework import retention

    on = on or timezone.localdate()
    done: dict[int, int] = {}
    for office in Office.objects.order_by("pk"):
        with transaction.atomic():
            ids = list(retention.due(office, on).values_list("pk", flat=True))
            count = retention.anonymise(ids, timezone.now()) if ids else 0
            audit_record(
                action="casework.retention_run",
                detail={"office": office.pk, "anonymised": count, "on": on.isoformat()},
            )
        done[office.pk] = count
    return done


class HandoverPlan:
    """What a bulk action will do, shown before it is done: which cases, and to whom or how."""

    def __init__(self, cases: list[Case], action: str, to_user: User | None, outcome: str):
        self.cases, self.action, self.to_user, self.outcome = cases, action, to_user, outcome

    @property
    def count(self) -> int:
        return len(self.cases)


def _handover_cases(office: Office, from_user: User, topic: Topic | None, include_closed: bool) -> list[Case]:
    cases = Case.unscoped.filter(office=office).filter(
        pk__in=CaseAssignment.unscoped.filter(user=from_user).values("case")
    )
    if not include_closed:
        cases = cases.filter(status_class=StatusClass.OPEN)
    if topic is not None:
        cases = cases.filter(topic__in=[topic, *topic.subtopics.all()])
    return list(cases.order_by("reference_year", "reference_seq"))


def cases_handover_plan(
    *,
    user: User,
    office: Office,
    from_user: User,
    action: str,
    to_user: User | None = None,
    outcome: str = "",
    topic: Topic | None = None,
    include_closed: bool = False,
) -> HandoverPlan:
    """Check a bulk handover or bulk close and say what it would do (nothing is written)."""
    _require_lead(user, office)
    if action == "hand_over":
        if to_user is None:
            raise ValidationError({"to_user": "Say who takes the cases over."})
        if to_user.pk == from_user.pk:
            raise ValidationError({"to_user": "Choose someone other than the caseworker leaving."})
        if not OfficeMembership.objects.in_force_for(to_user).filter(office=office).exists():
            raise ValidationError({"to_user": f"{to_user} is not a caseworker of this office."})
    elif action == "close":
        if outcome not in Case.Outcome.values:
            raise ValidationError({"outcome": "Closing cases needs their outcome."})
        include_closed = False
    else:
        raise ValidationError({"action": "Choose to hand the cases over or to close them."})
    if topic is not None and topic.office_id != office.pk:
        raise ValidationError({"topic": "That topic is not one of this office's."})
    return HandoverPlan(_handover_cases(office, from_user, topic, include_closed), action, to_user, outcome)


@transaction.atomic
def cases_hand_over(
    *,
    user: User,
    office: Office,
    from_user: User,
    to_user: User,
    case_ids: Iterable[int],
    on: datetime.date | None = None,
) -> int:
    """The office lead hands `case_ids` (cases `from_user` works) to `to_user`: the assignment moves,
    and ownership too where `from_user` owned the case. Each case's timeline says so."""
    plan = cases_handover_plan(user=user, office=office, from_user=from_user, action="hand_over", to_user=to_user,
                               include_closed=True)  # fmt: skip
    ids = [c.pk for c in plan.cases if c.pk in set(case_ids)]
    cases = Case.unscoped.select_for_update().filter(pk__in=ids)
    now = timezone.now()
    cases.filter(owner=from_user).update(owner=to_user, updated_at=now)
    cases.exclude(owner=from_user).update(updated_at=now)
    CaseAssignment.unscoped.filter(case__in=ids, user=from_user).delete()
    have = set(CaseAssignment.unscoped.filter(case__in=ids, user=to_user).values_list("case_id", flat=True))
    CaseAssignment.unscoped.bulk_create(
        [CaseAssignment(case_id=pk, user=to_user) for pk in ids if pk not in have]
    )
    text = f"Handed over from {from_user.get_short_name()} to {to_user.get_short_name()}"
    TimelineEntry.unscoped.bulk_create(
        [TimelineEntry(case_id=pk, kind=TimelineEntry.Kind.STATUS, author=user, text=text) for pk in ids]
    )
    audit_record(
        action="casework.cases_hand_over",
        user=user,
        detail={"office": office.pk, "from": from_user.pk, "to": to_user.pk, "cases": ids, "count": len(ids)},
    )
    return len(ids)


@transaction.atomic
def cases_close_bulk(
    *, user: User, office: Office, from_user: User, case_ids: Iterable[int], outcome: str
) -> int:
    """The office lead closes `case_ids` (open cases `from_user` works) with `outcome`, each through
    the case's own lifecycle (case_move: its timeline entry and audit row)."""
    plan = cases_handover_plan(user=user, office=office, from_user=from_user, action="close", outcome=outcome)
    wanted = set(case_ids)
    closed = 0
    for case in plan.cases:
        if case.pk in wanted:
            case_move(user=user, case=case, status=Status.CLOSED, outcome=outcome)
            closed += 1
    audit_record(
        action="casework.cases_close_bulk",
        user=user,
        detail={"office": office.pk, "from": from_user.pk, "outcome": outcome, "count": closed},
    )
    return closed
