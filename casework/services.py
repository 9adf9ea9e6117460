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
from django.db.models import F, Max, Q
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
    ThirdParty,
    TimelineEntry,
    Topic,
)
from casework.models_parties import CaseConstituent, CaseLink
from casework.working_days import add_working_days
from labourhub.services import audit_record
from voters.models import Channel as ContactChannel
from voters.services import contact_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from casework.models import Attachment
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


def _check_agency(agency: Agency, office_id: int) -> None:
    if agency.office_id not in (None, office_id):
        raise ValidationError({"agency": "That agency is not in this office's directory."})


def _from_register(elector: Elector | None, name: str, address: str, postcode: str) -> tuple[str, str, str]:
    """A constituent's name and address: as typed, or copied from the elector found on the register."""
    if elector is not None:
        name = name or " ".join(p for p in (elector.first_names, elector.surname) if p)
        home = elector.home
        if home is not None:
            address = address or home.address
            postcode = postcode or home.postcode_display or home.postcode
    if not name.strip():
        raise ValidationError({"name": "The constituent's name is needed."})
    return name, address, postcode


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
    name, address, postcode = _from_register(elector, name, address, postcode)
    if agency is not None:
        _check_agency(agency, office.pk)
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
        _check_agency(agency, case.office_id)
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
    third_party: ThirdParty | None = None,
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
    if third_party is not None:
        if third_party.case_id != case.pk:
            problems["third_party"] = "That third party is not on this case."
        elif problem := third_party.authority_problem():
            problems["third_party"] = (
                f"{problem} Letters and emails go to a third party only while their authority is live."
            )
    if not subject.strip():
        problems["subject"] = "Write a subject."
    if not body.strip():
        problems["body"] = "Write the letter."
    if kind in (LetterKind.REFERRAL, LetterKind.CHASER):
        agency = agency or case.agency
        if agency is None:
            problems["agency"] = "Say which agency it goes to."
        elif agency.office_id not in (None, case.office_id):
            problems["agency"] = "That agency is not in this office's directory."
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
        third_party=third_party,
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
    *,
    user: User,
    office: Office,
    share_counts_with_clp: bool,
    retention_days: int,
    allow_verbal_authority: bool | None = None,
) -> Office:
    """The office lead's choices: whether the CLP sees suppressed counts, how long closed cases
    are kept before they are anonymised, and whether a third party's authority may be verbal
    (None: unchanged)."""
    _require_lead(user, office)
    if not 30 <= retention_days <= 36500:
        raise ValidationError({"retention_days": "Keep closed cases between 30 days and 100 years."})
    office = Office.objects.select_for_update().get(pk=office.pk)
    before = {
        "share_counts_with_clp": office.share_counts_with_clp,
        "retention_days": office.retention_days,
        "allow_verbal_authority": office.allow_verbal_authority,
    }
    office.share_counts_with_clp, office.retention_days = share_counts_with_clp, retention_days
    if allow_verbal_authority is not None:
        office.allow_verbal_authority = allow_verbal_authority
    office.save(update_fields=["share_counts_with_clp", "retention_days", "allow_verbal_authority"])
    audit_record(
        action="casework.office_settings",
        user=user,
        detail={
            "office": office.pk,
            "before": before,
            "after": {
                "share_counts_with_clp": share_counts_with_clp,
                "retention_days": retention_days,
                "allow_verbal_authority": office.allow_verbal_authority,
            },
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


# --- Who else is on a case: constituents, third parties, linked cases (issue 15 item 2) ---------


def _others_search(case: Case) -> str:
    """What the case search finds of the case's further constituents (Case.others_search): their
    names, and their postcodes without the space (one word, so "AT9" and "AT99ZZ" find it)."""
    rows = CaseConstituent.unscoped.filter(case=case).order_by("pk").values_list("name", "postcode")
    return " ".join(f"{name} {postcode.replace(' ', '')}".strip() for name, postcode in rows)


@transaction.atomic
def case_constituent_add(
    *,
    user: User,
    case: Case,
    elector: Elector | None = None,
    name: str = "",
    address: str = "",
    postcode: str = "",
    email: str = "",
    phone: str = "",
) -> CaseConstituent:
    """Add a further constituent to `case` (a couple's joint case): an elector found on the register
    of the office's area (the caller checks that; name and address copied in) or entered fresh."""
    _require_member(user, case.office)
    name, address, postcode = _from_register(elector, name, address, postcode)
    if elector is not None and (
        case.elector_id == elector.pk
        or CaseConstituent.unscoped.filter(case=case, elector_id=elector.pk).exists()
    ):
        raise ValidationError({"elector": f"{name} is already a constituent on this case."})
    person = CaseConstituent.unscoped.create(
        case=case,
        elector=elector,
        name=name.strip(),
        address=address.strip(),
        postcode=postcode.strip().upper(),
        email=email.strip(),
        phone=phone.strip(),
        added_by=user,
    )
    Case.unscoped.filter(pk=case.pk).update(updated_at=timezone.now(), others_search=_others_search(case))
    _status_entry(case, user, f"Constituent added: {person.name}")
    _audit(
        "casework.constituent_add",
        user=user,
        case=case,
        constituent=person.pk,
        elector_linked=elector is not None,
    )
    return person


@transaction.atomic
def third_party_add(
    *,
    user: User,
    case: Case,
    name: str,
    relationship: str,
    authority_signed_on: datetime.date,
    authority_held: str,
    organisation: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    authority_form: Attachment | None = None,
    form_upload: tuple[str, bytes] | None = None,
    authority_expires_on: datetime.date | None = None,
) -> ThirdParty:
    """Record someone acting for the constituent, with the constituent's authority: a signed form
    (an attachment already on the case, or uploaded now through the attachment path: checked,
    stored outside the web root, audited) or, where the office allows it, verbal authority recorded
    by `user` today."""
    from casework import attachments

    _require_member(user, case.office)
    held = ThirdParty.Held(authority_held)
    relationship = ThirdParty.Relationship(relationship)
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "Give the third party's name."
    today = timezone.localdate()
    if authority_signed_on > today:
        problems["authority_signed_on"] = "The authority cannot be signed in the future."
    if authority_expires_on is not None and authority_expires_on <= authority_signed_on:
        problems["authority_expires_on"] = "The authority must expire after the day it was signed."
    if held == ThirdParty.Held.VERBAL:
        if not case.office.allow_verbal_authority:
            problems["authority_held"] = (
                "This office takes a third party's authority only as a signed form: attach the form "
                "(the office lead can allow verbal authority in the office settings)."
            )
        authority_form = None
    else:
        if authority_form is not None and authority_form.case_id != case.pk:
            problems["authority_form"] = "That file is not one of this case's attachments."
        if authority_form is None and form_upload is None:
            problems["authority_form"] = "Attach the signed form, or choose it from the case's attachments."
    if problems:
        raise ValidationError(problems)
    if held == ThirdParty.Held.SIGNED_FORM and authority_form is None and form_upload is not None:
        authority_form = attachments.attachment_add(
            case=case, filename=form_upload[0], data=form_upload[1], user=user
        )
    party = ThirdParty.unscoped.create(
        case=case,
        name=name.strip(),
        relationship=relationship,
        organisation=organisation.strip(),
        email=email.strip(),
        phone=phone.strip(),
        address=address.strip(),
        authority_signed_on=authority_signed_on,
        authority_held=held,
        authority_form=authority_form,
        verbal_recorded_by=user if held == ThirdParty.Held.VERBAL else None,
        authority_expires_on=authority_expires_on,
        added_by=user,
    )
    Case.unscoped.filter(pk=case.pk).update(updated_at=timezone.now())
    how = "verbal, recorded by " + user.get_short_name() if held == ThirdParty.Held.VERBAL else "signed form"
    _status_entry(
        case, user, f"Third party added: {party.name} ({relationship.label.lower()}), authority {how}"
    )
    _audit("casework.third_party_add", user=user, case=case, third_party=party.pk, held=held.value)
    return party


@transaction.atomic
def third_party_withdraw(
    *, user: User, case: Case, third_party: ThirdParty, on: datetime.date | None = None
) -> ThirdParty:
    """The constituent withdrew the third party's authority (from `on`, today by default): no
    letter or email goes to them from then on."""
    _require_member(user, case.office)
    party = ThirdParty.unscoped.select_for_update().filter(pk=third_party.pk, case=case).first()
    if party is None:
        raise ValidationError("That third party is not on this case.")
    if party.withdrawn_on is not None:
        raise ValidationError(
            f"{party.name}'s authority was already withdrawn on {party.withdrawn_on:%-d %b %Y}."
        )
    party.withdrawn_on, party.withdrawn_by = on or timezone.localdate(), user
    party.save(update_fields=["withdrawn_on", "withdrawn_by"])
    _status_entry(case, user, f"Authority withdrawn: {party.name}, from {party.withdrawn_on:%-d %b %Y}")
    _audit("casework.third_party_withdraw", user=user, case=case, third_party=party.pk)
    return party


@transaction.atomic
def case_link(*, user: User, case: Case, other: Case, kind: str, reason: str) -> CaseLink:
    """Link two cases of the same office (related, duplicate of, same family), with why. Both must
    be cases `user` may work on in that office; cases of two offices are never linked."""
    _require_member(user, case.office)
    kind = CaseLink.Kind(kind)
    if other.office_id != case.office_id:
        raise ValidationError({"other": "Cases of different offices cannot be linked."})
    if other.pk == case.pk:
        raise ValidationError({"other": "A case cannot be linked to itself."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the cases are linked."})
    if CaseLink.unscoped.filter(Q(case=case, other=other) | Q(case=other, other=case)).exists():
        raise ValidationError({"other": f"{case.reference} and {other.reference} are already linked."})
    link = CaseLink.unscoped.create(case=case, other=other, kind=kind, reason=reason.strip(), created_by=user)
    now = timezone.now()
    Case.unscoped.filter(pk__in=[case.pk, other.pk]).update(updated_at=now)
    _audit("casework.case_link", user=user, case=case, other=other.pk, link=link.pk, kind=kind.value)
    return link


@transaction.atomic
def agency_save(
    *,
    user: User,
    office: Office,
    agency: Agency | None = None,
    name: str,
    kind: str,
    response_working_days: int,
    contact_route: str = "",
    email: str = "",
    phone: str = "",
    postal_address: str = "",
    portal_url: str = "",
) -> Agency:
    """Add an agency to the office's directory, or edit one of its own: the office lead only (the
    shared directory is the operator's, in the admin)."""
    _require_lead(user, office)
    if agency is not None and agency.office_id != office.pk:
        raise ValidationError(
            "Only the office's own agencies can be edited here; the shared directory is kept by the platform operator."
        )
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "Give the agency's name."
    elif (
        Agency.objects.for_office(office)
        .filter(name__iexact=name.strip())
        .exclude(pk=agency.pk if agency is not None else 0)
        .exists()
    ):
        problems["name"] = f"{name.strip()} is already in the directory."
    if not 1 <= response_working_days <= 250:
        problems["response_working_days"] = "The response target is between 1 and 250 working days."
    if problems:
        raise ValidationError(problems)
    values = {
        "name": name.strip(),
        "kind": Agency.Kind(kind),
        "response_working_days": response_working_days,
        "contact_route": contact_route.strip(),
        "email": email.strip(),
        "phone": phone.strip(),
        "postal_address": postal_address.strip(),
        "portal_url": portal_url.strip(),
    }
    if agency is None:
        agency = Agency.objects.create(office=office, **values)
        action = "casework.agency_add"
    else:
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        for field, value in values.items():
            setattr(agency, field, value)
        agency.save(update_fields=list(values))
        action = "casework.agency_edit"
    audit_record(
        action=action, user=user, detail={"office": office.pk, "agency": agency.pk, "name": agency.name}
    )
    return agency
