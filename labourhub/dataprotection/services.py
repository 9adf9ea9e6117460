"""Writes of the register of data-subject requests and the breach log: keyword-only, one
transaction each, every change in the request's timeline and the audit log."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from labourhub.dataprotection import clock
from labourhub.dataprotection.models import (
    CLOSED,
    PAUSED,
    Breach,
    BreachDecision,
    Reminder,
    RequestStatus,
    SubjectRequest,
    SubjectRequestEvent,
)
from labourhub.models import Grant, Role
from labourhub.services import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from labourhub.models import Constituency, User

logger = logging.getLogger(__name__)

NEEDS_REASON = frozenset({RequestStatus.REFUSED, RequestStatus.WITHDRAWN})
REMINDER_DAYS = {Reminder.WEEK: 7, Reminder.TWO_DAYS: 2}


class DataProtectionError(ValueError):
    """A change the rules do not allow; the message says what and why, for the page to show."""


# --- The register of data-subject requests ---------------------------------------------------


@transaction.atomic
def subject_request_create(
    *,
    user: User,
    constituency: Constituency,
    kind: str,
    received_on: datetime.date,
    requester_name: str,
    requester_contact: str = "",
    handler: User | None = None,
    identity_verified_on: datetime.date | None = None,
    identity_verified_how: str = "",
    notes: str = "",
    subject_label: str = "",
    http_request: HttpRequest | None = None,
) -> SubjectRequest:
    """Log a request as received. Its due date follows the ICO's rule from `received_on`."""
    today = timezone.localdate()
    if received_on > today:
        raise DataProtectionError(f"Received on {received_on:%d/%m/%Y} is in the future.")
    if identity_verified_on is not None and identity_verified_on < received_on:
        raise DataProtectionError("Identity cannot be verified before the request was received.")
    subject_request = SubjectRequest(
        constituency=constituency,
        kind=kind,
        received_on=received_on,
        requester_name=requester_name,
        requester_contact=requester_contact,
        handler=handler,
        identity_verified_on=identity_verified_on,
        identity_verified_how=identity_verified_how,
        notes=notes,
        subject_label=subject_label,
        created_by=user,
        due_on=clock.due_date(received_on, nation=clock.nation_of(constituency.gss_code)),
    )
    subject_request.save()
    subject_request.reference = f"DSR-{received_on.year}-{subject_request.pk:05d}"
    subject_request.save(update_fields=["reference"])
    _event(subject_request, user, "Received", to_status=RequestStatus.RECEIVED)
    audit_record(
        action="dataprotection.request.create",
        user=user,
        request=http_request,
        obj=subject_request,
        detail={"kind": kind, "due_on": subject_request.due_on.isoformat()},
    )
    return subject_request


@transaction.atomic
def subject_request_set_status(
    *,
    user: User,
    subject_request: SubjectRequest,
    status: str,
    reason: str = "",
    what_was_sent: str = "",
    on: datetime.date | None = None,
    http_request: HttpRequest | None = None,
) -> SubjectRequest:
    """Move a request on. Waiting for ID or clarification pauses the clock; leaving that state adds
    the paused days to the due date. Answering needs what was sent; refusing or withdrawing a reason."""
    subject_request = _locked(subject_request)
    on = on or timezone.localdate()
    old = RequestStatus(subject_request.status)
    new = RequestStatus(status)
    if old in CLOSED:
        raise DataProtectionError(f"This request is already {old.label.lower()}: it cannot change.")
    if new == old:
        raise DataProtectionError(f"This request is already {old.label.lower()}.")
    if on < subject_request.received_on:
        raise DataProtectionError("A change cannot be dated before the request was received.")
    if on > timezone.localdate():
        raise DataProtectionError(f"{on:%d/%m/%Y} is in the future.")
    if new in NEEDS_REASON and not reason.strip():
        raise DataProtectionError(f"Say why the request is {new.label.lower()}.")
    if new == RequestStatus.ANSWERED and not (what_was_sent.strip() or subject_request.what_was_sent):
        raise DataProtectionError("Say what was sent to the requester.")
    fields = ["status"]
    if old in PAUSED and new not in PAUSED:
        subject_request.paused_days += clock.paused_days_between(subject_request.paused_since or on, on)
        subject_request.paused_since = None
        fields += ["paused_days", "paused_since"]
        _recompute_due(subject_request, fields)
    elif new in PAUSED and old not in PAUSED:
        subject_request.paused_since = on
        fields.append("paused_since")
    if new in CLOSED:
        subject_request.closed_on = on
        subject_request.status_reason = reason.strip()
        fields += ["closed_on", "status_reason"]
    if what_was_sent.strip():
        subject_request.what_was_sent = what_was_sent.strip()
        fields.append("what_was_sent")
    subject_request.status = new
    subject_request.save(update_fields=fields)
    _event(subject_request, user, new.label, from_status=old, to_status=new, note=reason or what_was_sent)
    audit_record(
        action="dataprotection.request.status",
        user=user,
        request=http_request,
        obj=subject_request,
        detail={"from": old.value, "to": new.value, "on": on.isoformat()},
    )
    return subject_request


@transaction.atomic
def subject_request_extend(
    *,
    user: User,
    subject_request: SubjectRequest,
    reason: str,
    on: datetime.date | None = None,
    http_request: HttpRequest | None = None,
) -> SubjectRequest:
    """Extend the time limit by two months. The reason is required and must be recorded within the
    first month (on or before the unextended due date)."""
    subject_request = _locked(subject_request)
    on = on or timezone.localdate()
    if not subject_request.is_open:
        raise DataProtectionError("A closed request cannot be extended.")
    if subject_request.extended_on is not None:
        raise DataProtectionError(f"Already extended on {subject_request.extended_on:%d/%m/%Y}.")
    if not reason.strip():
        raise DataProtectionError("Give the reason for the extension: the requester must be told it.")
    if not clock.extension_allowed(
        subject_request.received_on,
        on,
        nation=subject_request.nation(),
        paused_days=_paused_so_far(subject_request, on),
    ):
        raise DataProtectionError(
            f"Too late to extend: an extension must be recorded within the first month "
            f"(by {subject_request.due_on:%d/%m/%Y})."
        )
    subject_request.extended_on = on
    subject_request.extension_reason = reason.strip()
    fields = ["extended_on", "extension_reason"]
    _recompute_due(subject_request, fields)
    subject_request.save(update_fields=fields)
    _event(subject_request, user, f"Extended to {subject_request.due_on:%d/%m/%Y}", note=reason)
    audit_record(
        action="dataprotection.request.extend",
        user=user,
        request=http_request,
        obj=subject_request,
        detail={"due_on": subject_request.due_on.isoformat()},
    )
    return subject_request


@transaction.atomic
def subject_request_update(
    *,
    user: User,
    subject_request: SubjectRequest,
    changes: dict[str, Any],
    http_request: HttpRequest | None = None,
) -> SubjectRequest:
    """Change the details that carry no clock: handler, contact, identity check, notes, what was sent."""
    allowed = {
        "handler",
        "requester_contact",
        "identity_verified_on",
        "identity_verified_how",
        "notes",
        "what_was_sent",
        "subject_label",
    }
    if unknown := set(changes) - allowed:
        raise DataProtectionError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    subject_request = _locked(subject_request)
    verified = changes.get("identity_verified_on")
    if verified is not None and verified < subject_request.received_on:
        raise DataProtectionError("Identity cannot be verified before the request was received.")
    changed = [name for name, value in changes.items() if getattr(subject_request, name) != value]
    if not changed:
        return subject_request
    for name in changed:
        setattr(subject_request, name, changes[name])
    subject_request.save(update_fields=changed)
    what = "Identity verified" if "identity_verified_on" in changed and verified else "Details changed"
    _event(subject_request, user, what, note=", ".join(name.replace("_", " ") for name in changed))
    audit_record(
        action="dataprotection.request.update",
        user=user,
        request=http_request,
        obj=subject_request,
        detail={"changed": changed},
    )
    return subject_request


# The kinds of record a request can be linked to (labourhub.privacy's SUBJECT_KINDs), and where.
SUBJECT_FIELDS = {
    "elector": "subject_elector_id",
    "member": "subject_member_id",
    "event contact": "subject_event_contact_id",
}


@transaction.atomic
def subject_request_link(
    *,
    user: User,
    subject_request: SubjectRequest,
    kind: str,
    pk: int | None,
    http_request: HttpRequest | None = None,
) -> SubjectRequest:
    """Link the request to the person it is about as the platform knows them: an elector, a member
    or an event contact of the request's own CLP (found with labourhub.privacy.person_find), or
    unlink with `pk=None`. A record of another CLP, or one that is gone, is refused as not found."""
    from labourhub.privacy import person_found

    subject_request = _locked(subject_request)
    field = SUBJECT_FIELDS.get(kind)
    if field is None:
        raise DataProtectionError(f"{kind!r} is not an elector, a member or an event contact.")
    found = person_found(constituency=subject_request.constituency, kind=kind, pk=pk)
    if pk is not None and found is None:
        raise DataProtectionError(f"No {kind} {pk} in {subject_request.constituency}.")
    if getattr(subject_request, field) == pk:
        raise DataProtectionError(
            f"The request is already linked to that {kind}." if pk else f"No {kind} linked."
        )
    setattr(subject_request, field, pk)
    fields = [field]
    if found is not None and not subject_request.subject_label:
        subject_request.subject_label = found.name[:200]
        fields.append("subject_label")
    subject_request.save(update_fields=fields)
    what = f"Linked to {kind} {found.name} ({found.detail})" if found else f"The {kind} unlinked"
    _event(subject_request, user, what)
    audit_record(
        action="dataprotection.request.link",
        user=user,
        request=http_request,
        obj=subject_request,
        detail={"kind": kind, "id": pk},
    )
    return subject_request


@transaction.atomic
def subject_request_note(*, user: User, subject_request: SubjectRequest, what: str, note: str = "") -> None:
    """A line in the request's timeline for something done from it elsewhere (the subject access
    export, an erasure), which audits itself."""
    _event(subject_request, user, what, note=note)


def _locked(subject_request: SubjectRequest) -> SubjectRequest:
    return (
        SubjectRequest.unscoped.select_for_update(of=("self",))
        .select_related("constituency")
        .get(pk=subject_request.pk)
    )


def _paused_so_far(subject_request: SubjectRequest, on: datetime.date) -> int:
    running = (
        clock.paused_days_between(subject_request.paused_since, on) if subject_request.paused_since else 0
    )
    return subject_request.paused_days + running


def _recompute_due(subject_request: SubjectRequest, fields: list[str]) -> None:
    """The due date from the rule; a later date means the reminders count down afresh."""
    due = clock.due_date(
        subject_request.received_on,
        nation=subject_request.nation(),
        extended=subject_request.extended_on is not None,
        paused_days=subject_request.paused_days,
    )
    if due != subject_request.due_on:
        subject_request.due_on = due
        subject_request.reminders_sent = []
        fields += ["due_on", "reminders_sent"]


def _event(
    subject_request: SubjectRequest,
    user: User | None,
    what: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> SubjectRequestEvent:
    return SubjectRequestEvent.unscoped.create(
        request=subject_request,
        by=user,
        what=what[:200],
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


# --- Reminders, from the worker --------------------------------------------------------------


def stage_due(subject_request: SubjectRequest, today: datetime.date) -> Reminder | None:
    """The reminder this request needs today, if any: 7 days before, 2 days before, overdue."""
    days_left = (subject_request.due_on - today).days
    if days_left < 0:
        return Reminder.OVERDUE
    if days_left <= REMINDER_DAYS[Reminder.TWO_DAYS]:
        return Reminder.TWO_DAYS
    if days_left <= REMINDER_DAYS[Reminder.WEEK]:
        return Reminder.WEEK
    return None


def subject_requests_remind(*, today: datetime.date | None = None) -> int:
    """Email the handler and the CLP's data protection leads (its secretary when it has none) when a
    running request is 7 days, 2 days from its deadline, and when it is overdue: each once. Each
    request is its own transaction: the row is locked, the email sent and the stage marked together,
    so a crash before the commit sends it again on the next run, never twice after one."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REMINDER_DAYS[Reminder.WEEK])
    candidates = SubjectRequest.unscoped.running().filter(due_on__lte=horizon).values_list("pk", flat=True)
    return sum(_remind_one(pk, today) for pk in list(candidates))


def _remind_one(pk: int, today: datetime.date) -> bool:
    with transaction.atomic():
        subject_request = (
            SubjectRequest.unscoped.running()
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("constituency", "handler")
            .filter(pk=pk)
            .first()
        )
        if subject_request is None:
            return False
        stage = stage_due(subject_request, today)
        if stage is None or stage.value in subject_request.reminders_sent:
            return False
        recipients = _reminder_recipients(subject_request)
        if recipients:
            send_mail(*_reminder_message(subject_request, stage, today), None, recipients)
        # A later stage makes the earlier ones moot (a request logged 2 days before its deadline).
        order = list(Reminder)
        subject_request.reminders_sent = [s.value for s in order[: order.index(stage) + 1]]
        subject_request.save(update_fields=["reminders_sent"])
        audit_record(
            action="dataprotection.request.remind",
            obj=subject_request,
            detail={"stage": stage.value, "recipients": len(recipients)},
        )
    return True


def _reminder_recipients(subject_request: SubjectRequest) -> list[str]:
    leads = Grant.objects.filter(
        constituency=subject_request.constituency, role=Role.DATA_PROTECTION_LEAD, user__is_active=True
    )
    if not leads.exists():
        leads = Grant.objects.filter(
            constituency=subject_request.constituency, role=Role.CLP_SECRETARY, user__is_active=True
        )
    emails = list(leads.values_list("user__email", flat=True))
    if subject_request.handler is not None and subject_request.handler.is_active:
        emails.insert(0, subject_request.handler.email)
    return list(dict.fromkeys(emails))


def _reminder_message(
    subject_request: SubjectRequest, stage: Reminder, today: datetime.date
) -> tuple[str, str]:
    link = settings.SITE_URL + reverse("dataprotection:request", kwargs={"pk": subject_request.pk})
    due = f"{subject_request.due_on:%A %d %B %Y}"
    if stage == Reminder.OVERDUE:
        days = (today - subject_request.due_on).days
        subject = f"Overdue: data request {subject_request.reference} was due on {due}"
        lead = f"It is {days} day{'s' if days != 1 else ''} past the legal deadline. Answer it now, or record why not."
    else:
        days = (subject_request.due_on - today).days
        subject = f"Data request {subject_request.reference} is due in {days} day{'s' if days != 1 else ''}"
        lead = f"The legal deadline is {due}."
    body = (
        f"{lead}\n\nRequest: {subject_request.reference} ({subject_request.get_kind_display()})\n"
        f"Received: {subject_request.received_on:%d/%m/%Y}\n"
        f"Status: {subject_request.get_status_display()}\n\n{link}\n"
    )
    return subject, body


# --- The breach log ----------------------------------------------------------------------------

BREACH_FIELDS = (
    "what_happened",
    "happened_at",
    "found_at",
    "found_by",
    "records_affected",
    "people_affected",
    "kinds_of_data",
    "risk",
    "contained",
    "decision",
    "decision_reason",
    "reported_at",
    "ico_reference",
    "actions_taken",
    "people_told",
)


def _check_breach(values: dict[str, Any]) -> None:
    now = timezone.now()
    found_at, happened_at, reported_at = (
        values.get("found_at"),
        values.get("happened_at"),
        values.get("reported_at"),
    )
    if found_at is not None and found_at > now + datetime.timedelta(minutes=5):
        raise DataProtectionError("When it was found is in the future.")
    if happened_at is not None and found_at is not None and happened_at > found_at:
        raise DataProtectionError("It cannot have happened after it was found.")
    if reported_at is not None and found_at is not None and reported_at < found_at:
        raise DataProtectionError("It cannot have been reported to the ICO before it was found.")
    decision = values.get("decision", BreachDecision.UNDECIDED)
    if decision != BreachDecision.UNDECIDED and not str(values.get("decision_reason", "")).strip():
        raise DataProtectionError(
            "Give the reason for the decision (the ICO expects it recorded either way)."
        )
    if reported_at is not None and decision != BreachDecision.REPORT:
        raise DataProtectionError("A breach reported to the ICO needs the decision 'Report to the ICO'.")


@transaction.atomic
def breach_record(
    *, user: User, constituency: Constituency, values: dict[str, Any], http_request: HttpRequest | None = None
) -> Breach:
    """Log a suspected breach. Its 72-hour clock runs from `found_at`."""
    unknown = set(values) - set(BREACH_FIELDS)
    if unknown:
        raise DataProtectionError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _check_breach(values)
    breach = Breach.unscoped.create(constituency=constituency, recorded_by=user, **values)
    audit_record(
        action="dataprotection.breach.record",
        user=user,
        request=http_request,
        obj=breach,
        detail={"risk": breach.risk, "found_at": breach.found_at.isoformat()},
    )
    return breach


@transaction.atomic
def breach_update(
    *, user: User, breach: Breach, values: dict[str, Any], http_request: HttpRequest | None = None
) -> Breach:
    """Record what was decided and done. Only the fields that changed are written (and audited)."""
    unknown = set(values) - set(BREACH_FIELDS)
    if unknown:
        raise DataProtectionError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    breach = Breach.unscoped.select_for_update().get(pk=breach.pk)
    merged = {name: values.get(name, getattr(breach, name)) for name in BREACH_FIELDS}
    _check_breach(merged)
    changed = [name for name, value in values.items() if getattr(breach, name) != value]
    if not changed:
        return breach
    for name in changed:
        setattr(breach, name, values[name])
    breach.updated_at = timezone.now()
    breach.save(update_fields=[*changed, "updated_at"])
    audit_record(
        action="dataprotection.breach.update",
        user=user,
        request=http_request,
        obj=breach,
        detail={"changed": changed, "decision": breach.decision},
    )
    return breach
