"""Every write in access: one transaction each, keyword-only arguments, a Decision row per event.

Bad input raises `AccessError` with a message for the person, and nothing is written.
`now` may be passed to move time (tests of deadlines and expiry); it defaults to now.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from access.deciders import authorities_for, decider_capacity, deciders_for, step_conflict
from access.models import (
    AccessRequest,
    Decision,
    Delegation,
    Holding,
    Level,
    Notification,
    Status,
    Step,
    Tier,
    Tool,
)
from access.rules import Condition, all_met, conditions_for
from access.standing import member_constituencies, requester_standing
from labourhub.models import Grant, Role
from labourhub.scoping import Action, can
from labourhub.services import audit_record, grant_create, grant_revoke

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date, datetime
    from typing import Any

    from django.http import HttpRequest

    from labourhub.models import Constituency, User, Ward

Outcome = Decision.Outcome
RENEWAL_WINDOW = timedelta(days=30)  # a holding this close to expiry may be renewed
REMINDER_BEFORE = timedelta(days=14)
STUCK_AFTER = timedelta(minutes=10)
logger = logging.getLogger(__name__)


class AccessError(Exception):
    """A request or decision that cannot go ahead; the message says why, for the person."""


# --- Requesting -----------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *,
    tool: Tool,
    requester: User,
    submitted_by: User,
    constituency: Constituency,
    reason: str,
    needed_by: date,
    ward: Ward | None = None,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    """Ask for `tool` for `requester` through `constituency`. Auto-approves when the tool allows
    it and every condition holds; otherwise the first step's deciders are told."""
    now = now or timezone.now()
    _check_submission(tool, requester, submitted_by, constituency, needed_by, ward, now)
    ward = ward if tool.level == Level.WARD else None
    conditions = conditions_for(tool, requester, constituency, now)
    first_step = Step.ENDORSEMENT if tool.needs_endorsement else Step.REVIEW
    try:
        with transaction.atomic():
            access_request = AccessRequest.objects.create(
                tool=tool,
                requester=requester,
                submitted_by=submitted_by,
                constituency=constituency,
                ward=ward,
                region=constituency.region,
                reason=reason.strip(),
                needed_by=needed_by,
                status=first_step,
                step=first_step,
                step_due_at=now + timedelta(hours=tool.decision_hours),
                submitted_at=now,
            )
    except IntegrityError:
        # Another click got there first (the open-request constraint): one request is enough.
        raise AccessError(_already_open_message(tool, requester, constituency)) from None
    _decision(access_request, Outcome.SUBMITTED, user=submitted_by, note=reason, at=now)
    audit_record(
        action="access.request.submit",
        user=submitted_by,
        request=http_request,
        obj=access_request,
        detail={"tool": tool.name, "requester": requester.email, "conditions_met": all_met(conditions)},
    )
    if tool.may_auto_approve and all_met(conditions) and not _revoked_before(tool, requester, constituency):
        _approve(
            access_request,
            user=None,
            outcome=Outcome.AUTO_APPROVED,
            duration_days=tool.default_days,
            now=now,
            note="Every condition held.",
            http_request=http_request,
        )
    else:
        _notify(
            deciders_for(access_request, now),
            access_request,
            f"Access request to decide: {tool} for {requester}",
            f"{requester} asks for {tool} in {constituency}, needed by {needed_by:%-d %b %Y}.\n"
            f"Reason: {access_request.reason}\nPlease decide by {_when(access_request.step_due_at)}.",
        )
    return access_request


def _check_submission(
    tool: Tool,
    requester: User,
    submitted_by: User,
    constituency: Constituency,
    needed_by: date,
    ward: Ward | None,
    now: datetime,
) -> None:
    if not tool.is_active:
        raise AccessError(f"{tool} is not offered for new requests.")
    _require_sound_rules(tool)
    if not requester.is_active:
        raise AccessError(f"{requester}'s account is suspended, so no access can be requested for them.")
    if needed_by < timezone.localdate(now):
        raise AccessError(f"The needed-by date {needed_by:%-d %b %Y} is in the past: choose today or later.")
    if submitted_by != requester and not can(submitted_by, Action.ENDORSE_ACCESS, constituency):
        raise AccessError(f"Only {constituency}'s secretary or officers may ask on someone else's behalf.")
    if not member_constituencies(requester).filter(pk=constituency.pk).exists():
        raise AccessError(
            f"{requester} has nothing to do with {constituency}: access is requested through a CLP "
            "where one is a member or already holds a role."
        )
    if tool.level == Level.WARD and (ward is None or ward.constituency_id != constituency.pk):
        raise AccessError(f"{tool} is given for one ward: choose a ward in {constituency}.")
    if _holds_already(tool, requester, constituency, now):
        raise AccessError(
            f"{requester} already holds {tool} in {constituency} (renewal opens 30 days before it ends)."
        )
    if (
        AccessRequest.objects.open()
        .filter(requester=requester, tool=tool, constituency=constituency)
        .exists()
    ):
        raise AccessError(_already_open_message(tool, requester, constituency))


def _holds_already(tool: Tool, user: User, constituency: Constituency, now: datetime) -> bool:
    """Holds it for more than the renewal window (a role given by the office counts too)."""
    later = now + RENEWAL_WINDOW
    held = Holding.unscoped.active(now).filter(
        user=user, tool=tool, constituency=constituency, expires_at__gt=later
    )
    if held.exists():
        return True
    if not tool.role:
        return False
    grants = Grant.all_objects.active(now).filter(user=user, role=tool.role)
    grants = (
        grants.filter(region=constituency.region)
        if tool.level == Level.REGION
        else grants.covering(constituency)
    )
    return grants.filter(expires_at__isnull=True).exists() or grants.filter(expires_at__gt=later).exists()


def _revoked_before(tool: Tool, user: User, constituency: Constituency) -> bool:
    """Had this tool here revoked: then people decide, so a revocation is never undone by a click on
    the renew link. The holdings are locked first, so a revoke still committing is waited for."""
    holdings = Holding.unscoped.filter(user=user, tool=tool, constituency=constituency).select_for_update()
    return any(holding.revoked_at is not None for holding in holdings.only("revoked_at"))


def _already_open_message(tool: Tool, requester: User, constituency: Constituency) -> str:
    return f"{requester} already has an open request for {tool} in {constituency}: follow that one."


@transaction.atomic
def request_withdraw(
    *,
    access_request_id: int,
    user: User,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    now = now or timezone.now()
    access_request = _locked(access_request_id)
    if user.pk not in (access_request.requester_id, access_request.submitted_by_id):
        raise AccessError("Only the person who asked, or who asked for them, may withdraw a request.")
    _require_open(access_request)
    _decision(access_request, Outcome.WITHDRAWN, user=user, at=now)
    _set_status(access_request, Status.WITHDRAWN, decided_at=now)
    audit_record(action="access.request.withdraw", user=user, request=http_request, obj=access_request)
    return access_request


@transaction.atomic
def request_info_give(
    *,
    access_request_id: int,
    user: User,
    note: str,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    """The requester answers a question; the request goes back to the step that asked, with a fresh deadline."""
    now = now or timezone.now()
    access_request = _locked(access_request_id)
    if user.pk not in (access_request.requester_id, access_request.submitted_by_id):
        raise AccessError("Only the person who asked, or who asked for them, may answer.")
    if access_request.status != Status.INFO:
        raise AccessError("Nobody is waiting for more information on this request.")
    if not note.strip():
        raise AccessError("Write the information asked for.")
    _decision(access_request, Outcome.INFO_GIVEN, user=user, note=note.strip(), at=now)
    access_request.status = access_request.step
    _start_deadline(access_request, now)
    access_request.save(update_fields=["status", *DEADLINE_FIELDS])
    audit_record(action="access.request.info_given", user=user, request=http_request, obj=access_request)
    _notify(
        deciders_for(access_request, now),
        access_request,
        f"More information on {access_request}",
        note.strip(),
    )
    return access_request


# --- Deciding -------------------------------------------------------------------------


def _open_for_decision(
    access_request_id: int, *, user: User, expected_status: str, outcome: str, note: str, now: datetime
) -> tuple[AccessRequest, str, User | None]:
    """Lock the request and check what every decision needs: it is still at the status the decider
    saw, open, not waiting for the requester, not their own, and theirs to decide now. Returns the
    request, the decider's level and whose authority they act with (None: their own)."""
    access_request = _locked(access_request_id)
    if access_request.status != expected_status:
        raise AccessError(_moved_on_message(access_request))
    _require_open(access_request)
    if access_request.status == Status.INFO:
        raise AccessError("The requester has been asked for more information; decide once they answer.")
    if user.pk == access_request.requester_id:
        raise AccessError("Nobody may decide their own request.")
    level = decider_capacity(user, access_request, now)
    if level is None:
        raise AccessError("You may not decide this request at its current step.")
    if outcome == Outcome.REFUSED and not note:
        raise AccessError(REFUSAL_NEEDS_REASON)
    if outcome == Outcome.INFO_ASKED and not note:
        raise AccessError(QUESTION_NEEDS_NOTE)
    return access_request, level, _acting_for_whom(user, access_request, outcome, now)


REFUSAL_NEEDS_REASON = "Give a reason: the requester sees it."
QUESTION_NEEDS_NOTE = "Say what information you need."


@transaction.atomic
def request_endorse(
    *,
    access_request_id: int,
    user: User,
    expected_status: str,
    note: str = "",
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    """The CLP endorses: the request moves on to the region's review, whose deciders are told.
    The request row is locked, so of two deciders at once one wins and the other is told what
    happened (nothing changes); the same holds for every decision below."""
    now, note = now or timezone.now(), note.strip()
    access_request, _level, on_behalf_of = _open_for_decision(
        access_request_id,
        user=user,
        expected_status=expected_status,
        outcome=Outcome.ENDORSED,
        note=note,
        now=now,
    )
    if access_request.step != Step.ENDORSEMENT:
        raise AccessError("This request has been endorsed already; it is waiting for review.")
    _decision(access_request, Outcome.ENDORSED, user=user, on_behalf_of=on_behalf_of, note=note, at=now)
    access_request.status = access_request.step = Step.REVIEW
    _start_deadline(access_request, now)
    access_request.save(update_fields=["status", "step", *DEADLINE_FIELDS])
    audit_record(action="access.request.endorse", user=user, request=http_request, obj=access_request)
    _notify(
        deciders_for(access_request, now),
        access_request,
        f"Access request to review: {access_request}",
        f"Endorsed by {user}. Please decide by {_when(access_request.step_due_at)}.",
    )
    return access_request


@transaction.atomic
def request_approve(
    *,
    access_request_id: int,
    user: User,
    expected_status: str,
    note: str = "",
    duration_days: int | None = None,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    """The region approves: the role is granted for `duration_days` (the tool's default if None)."""
    now, note = now or timezone.now(), note.strip()
    access_request, level, on_behalf_of = _open_for_decision(
        access_request_id,
        user=user,
        expected_status=expected_status,
        outcome=Outcome.APPROVED,
        note=note,
        now=now,
    )
    if level != Step.REVIEW:
        raise AccessError("The CLP endorses this request; the region approves it.")
    _approve(
        access_request,
        user=user,
        on_behalf_of=on_behalf_of,
        outcome=Outcome.APPROVED,
        duration_days=duration_days,
        now=now,
        note=note,
        http_request=http_request,
    )
    return access_request


@transaction.atomic
def request_refuse(
    *,
    access_request_id: int,
    user: User,
    expected_status: str,
    note: str = "",
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    """Refuse, with a reason the requester is sent; at either step."""
    now, note = now or timezone.now(), note.strip()
    access_request, _level, on_behalf_of = _open_for_decision(
        access_request_id,
        user=user,
        expected_status=expected_status,
        outcome=Outcome.REFUSED,
        note=note,
        now=now,
    )
    _decision(access_request, Outcome.REFUSED, user=user, on_behalf_of=on_behalf_of, note=note, at=now)
    _set_status(access_request, Status.REFUSED, decided_at=now)
    audit_record(
        action="access.request.refuse",
        user=user,
        request=http_request,
        obj=access_request,
        detail={"reason": note},
    )
    _tell_requester(
        access_request, f"Access request refused: {access_request.tool}", f"Refused by {user}. Reason: {note}"
    )
    return access_request


@transaction.atomic
def request_info_ask(
    *,
    access_request_id: int,
    user: User,
    expected_status: str,
    note: str = "",
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> AccessRequest:
    """Ask the requester for more information; the request waits for their answer."""
    now, note = now or timezone.now(), note.strip()
    access_request, _level, on_behalf_of = _open_for_decision(
        access_request_id,
        user=user,
        expected_status=expected_status,
        outcome=Outcome.INFO_ASKED,
        note=note,
        now=now,
    )
    _decision(access_request, Outcome.INFO_ASKED, user=user, on_behalf_of=on_behalf_of, note=note, at=now)
    _set_status(access_request, Status.INFO)
    audit_record(action="access.request.info_asked", user=user, request=http_request, obj=access_request)
    _tell_requester(access_request, f"More information needed: {access_request.tool}", f"{user} asks: {note}")
    return access_request


# The decision form's words -> the service for each; request_decide is for callers holding the word.
DECISIONS: dict[str, Callable[..., AccessRequest]] = {
    "endorse": request_endorse,
    "approve": request_approve,
    "refuse": request_refuse,
    "info": request_info_ask,
}


def request_decide(*, decision: str, duration_days: int | None = None, **kwargs: Any) -> AccessRequest:
    """The service for `decision` (one of DECISIONS), called with the rest of the arguments."""
    if decision not in DECISIONS:
        raise AccessError(f"Unknown decision {decision!r}: choose one of {', '.join(DECISIONS)}.")
    if decision == "approve":
        kwargs["duration_days"] = duration_days
    return DECISIONS[decision](**kwargs)


def _approve(
    access_request: AccessRequest,
    *,
    user: User | None,
    outcome: str,
    duration_days: int | None,
    now: datetime,
    note: str = "",
    on_behalf_of: User | None = None,
    http_request: HttpRequest | None = None,
) -> Holding:
    tool, requester = access_request.tool, access_request.requester
    _require_sound_rules(tool)
    if user is None and not tool.may_auto_approve:
        raise AccessError(f"{tool} is not approved automatically: people decide.")
    if not requester.is_active:
        raise AccessError(f"{requester}'s account is suspended, so this request cannot be approved.")
    unmet = [c.label for c in conditions_for(tool, requester, access_request.constituency, now) if not c.met]
    if unmet:
        raise AccessError(f"Cannot approve while conditions are not met: {'; '.join(unmet)}.")
    days = duration_days or tool.default_days
    if not 1 <= days <= tool.max_days:
        raise AccessError(f"The duration must be between 1 and {tool.max_days} days for {tool}.")
    _decision(
        access_request, outcome, user=user, on_behalf_of=on_behalf_of, note=note, duration_days=days, at=now
    )
    _set_status(access_request, Status.APPROVED, decided_at=now)
    expires_at = now + timedelta(days=days)
    area = access_request.region if tool.level == Level.REGION else access_request.constituency
    holding = _grant_and_hold(
        access_request, role=tool.role, area=area, granted_by=user, starts_at=now, expires_at=expires_at
    )
    replaced = _end_renewed(holding, user=user, now=now, http_request=http_request)
    audit_record(
        action="access.request.approve",
        user=user,
        request=http_request,
        obj=access_request,
        detail={"holding": holding.pk, "days": days, "automatic": user is None, "replaces": replaced},
    )
    _tell_requester(
        access_request,
        f"Access approved: {tool}",
        f"You now hold {tool} in {access_request.area} until {_when(expires_at)}.",
    )
    return holding


def _grant_and_hold(
    access_request: AccessRequest,
    *,
    role: str,
    area: Any,
    granted_by: User | None,
    starts_at: datetime,
    expires_at: datetime,
) -> Holding:
    """An approved request's grant (when its tool carries a role) and its holding on the register."""
    grant = None
    if role:
        grant = grant_create(
            user=access_request.requester,
            role=role,
            area=area,
            granted_by=granted_by,
            starts_at=starts_at,
            expires_at=expires_at,
            reason=f"Access request {access_request.pk}: {access_request.tool}",
        )
    return Holding.unscoped.create(
        request=access_request,
        tool=access_request.tool,
        user=access_request.requester,
        constituency=access_request.constituency,
        region=access_request.region,
        grant=grant,
        starts_at=starts_at,
        expires_at=expires_at,
    )


def _end_renewed(
    holding: Holding, *, user: User | None, now: datetime, http_request: HttpRequest | None = None
) -> list[int]:
    """A renewal takes over: what the holder had of the same tool over the same area ends as the
    new holding starts (its grant too, and any office-given grant of the same role there), so
    no two overlap. Each ending is a decision row on the old request and an audit event.
    Returns the ids of the holdings replaced."""
    tool, access_request = holding.tool, holding.request
    same_area: dict[str, Any] = (
        {"region": holding.region} if tool.level == Level.REGION else {"constituency": holding.constituency}
    )
    old_holdings = (
        Holding.unscoped.active(now)
        .filter(user=holding.user, tool=tool, **same_area)
        .exclude(pk=holding.pk)
        .select_related("grant", "request")
        .select_for_update(of=("self",))
    )
    replaced = []
    for old in old_holdings:
        was_due = old.expires_at
        old.expires_at, old.expiry_recorded_at, old.replaced_by = now, now, holding
        old.save(update_fields=["expires_at", "expiry_recorded_at", "replaced_by"])
        Decision.objects.create(
            request=old.request,
            step=old.request.step,
            outcome=Outcome.RENEWED,
            by=user,
            note=f"Replaced by request {access_request.pk}; it was due to end on {_when(was_due)}.",
            at=now,
        )
        audit_record(
            action="access.holding.renewed",
            user=user,
            request=http_request,
            obj=old,
            detail={"replaced_by": holding.pk, "was_due": was_due.isoformat()},
        )
        replaced.append(old.pk)
    if tool.role:
        for grant in (
            Grant.all_objects.active(now)
            .filter(user=holding.user, role=tool.role, **same_area)
            .exclude(pk=holding.grant_id)
            .select_for_update()
        ):
            was_due = grant.expires_at
            grant.expires_at = now
            grant.save(update_fields=["expires_at"])
            audit_record(
                action="access.grant.renewed",
                user=user,
                request=http_request,
                obj=grant,
                constituency=grant.constituency,
                region=grant.region,  # a regional grant has no CLP
                detail={"replaced_by": holding.grant_id, "was_due": was_due and was_due.isoformat()},
            )
    return replaced


def _acting_for_whom(user: User, access_request: AccessRequest, outcome: str, now: datetime) -> User | None:
    """Whose authority `by` decides with (None: their own), after the two-person rule, checked on
    PEOPLE: whoever decides counts as both themselves and the person they act for. Nobody decides
    their own request through a delegate; nobody endorses or approves a request they asked for on
    someone's behalf; and the same person never both endorses and approves one request."""
    candidates = authorities_for(user, access_request, now)
    requester, submitter = access_request.requester_id, access_request.submitted_by_id
    endorsed_by = set()
    if outcome == Outcome.APPROVED:
        for row in access_request.decisions.filter(outcome=Outcome.ENDORSED).values("by", "on_behalf_of"):
            endorsed_by |= {row["by"], row["on_behalf_of"]} - {None}
    problem = ""
    for holder in candidates:
        people = {user.pk} | ({holder.pk} if holder else set())
        if requester in people:
            problem = "Nobody may decide their own request, in their own right or through a delegation."
        elif (
            outcome in (Outcome.ENDORSED, Outcome.APPROVED) and submitter != requester and submitter in people
        ):
            problem = (
                f"{access_request.submitted_by} asked for it on {access_request.requester}'s behalf, so "
                "someone else decides it."
            )
        elif people & endorsed_by:
            problem = (
                "The same person may not both endorse and approve a request, in their own right or as "
                "someone's delegate: two different people decide."
            )
        else:
            return holder
    raise AccessError(problem or "You may not decide this request at its current step.")


def decision_blocked(
    *, user: User, access_request: AccessRequest, level: str, now: datetime | None = None
) -> str:
    """Why the two-person rule stops `by` giving the step's first decision (endorse, or approve at
    review level), or "" when it does not: for the status page, which then offers only the rest."""
    outcome = Outcome.APPROVED if level == Step.REVIEW else Outcome.ENDORSED
    try:
        _acting_for_whom(user, access_request, outcome, now or timezone.now())
    except AccessError as error:
        return str(error)
    return ""


def _require_sound_rules(tool: Tool) -> None:
    """The catalogue is validated when saved; this guards whatever reached the database anyway."""
    problem = tool.hand_out_problem()
    if problem:
        raise AccessError(f"{problem} Nothing was granted; the platform operator must correct {tool}.")


@transaction.atomic
def tool_save(*, tool: Tool, user: User, http_request: HttpRequest | None = None) -> Tool:
    """Add or change a tool of the catalogue. The catalogue decides who gets which role everywhere,
    so only the platform operator changes it; its rules are validated here as well as in forms,
    and every change is audited with the values before and after (shown on the public rules page)."""
    if user is None or not user.is_superuser:
        raise AccessError("Only the platform operator changes the catalogue of tools.")
    try:
        tool.full_clean()
    except ValidationError as error:
        raise AccessError(" ".join(error.messages)) from None
    before = Tool.objects.filter(pk=tool.pk).values(*CATALOGUE_FIELDS).first() if tool.pk else None
    tool.save()
    after = {name: getattr(tool, name) for name in CATALOGUE_FIELDS}
    changes = {
        name: [before[name] if before else None, value]
        for name, value in after.items()
        if before is None or before[name] != value
    }
    audit_record(
        action="access.tool.change" if before else "access.tool.add",
        user=user,
        request=http_request,
        obj=tool,
        detail={"tool": tool.name, "changes": changes},
    )
    return tool


CATALOGUE_FIELDS = [
    "name", "slug", "description", "role", "level", "requires_good_standing", "training_months",
    "requires_role", "needs_endorsement", "endorser_roles", "approver_roles", "decision_hours",
    "default_days", "max_days", "auto_approve", "is_active",
]  # fmt: skip


def _moved_on_message(access_request: AccessRequest) -> str:
    last = access_request.decisions.select_related("by").order_by("-at", "-pk").first()
    who = f" by {last.by}" if last and last.by else ""
    return (
        f"Someone decided first: this request is now '{access_request.get_status_display()}'"
        f" ({last.get_outcome_display().lower()}{who} at {_when(last.at)}). Nothing was changed."  # type: ignore[union-attr]
    )


# --- Deadlines, expiry, revocation ----------------------------------------------------


@transaction.atomic
def requests_escalate_overdue(*, now: datetime | None = None) -> int:
    """Every step past its deadline climbs one tier (endorsers → approvers → the regional
    contact → the national contact), and climbs again each time a further deadline period
    passes undecided. Everyone who may now decide is told. Returns the count."""
    now = now or timezone.now()
    due = (
        AccessRequest.objects.to_escalate(now)
        .select_related("tool", "requester", "constituency")
        .select_for_update(of=("self",), skip_locked=True)
    )
    count = 0
    for access_request in due:
        missed = access_request.next_escalation_at or access_request.step_due_at
        access_request.escalation_level += 1
        access_request.next_escalation_at = now + timedelta(hours=access_request.tool.decision_hours)
        access_request.save(update_fields=["escalation_level", "next_escalation_at"])
        tier = access_request.tier
        Decision.objects.create(
            request=access_request,
            step=access_request.step,
            outcome=Outcome.ESCALATED,
            tier=tier,
            note=f"Not decided by {_when(missed)}: now also {tier.label}.",
            at=now,
        )
        audit_record(
            action="access.request.escalate",
            obj=access_request,
            detail={
                "step": access_request.step,
                "level": access_request.escalation_level,
                "tier": tier.label,
            },
        )
        _notify(
            deciders_for(access_request, now),
            access_request,
            f"Overdue access request escalated: {access_request}",
            f"The {access_request.get_step_display().lower()} was due by {_when(missed)} and is now "
            f"escalated to {tier.label}. Anyone from the first level up to this one may decide it. "
            + (
                "This is the last level."
                if tier == Tier.NATIONAL
                else f"If nobody has by {_when(access_request.next_escalation_at)}, it goes further up."
            ),
        )
        count += 1
    return count


@transaction.atomic
def holding_revoke(
    *,
    holding_id: int,
    user: User,
    reason: str,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> Holding:
    """Revoke at once: the holder's next request is refused."""
    now = now or timezone.now()
    holding = (
        Holding.unscoped.select_for_update(of=("self",))
        .select_related("tool", "user", "grant")
        .filter(pk=holding_id)
        .first()
    )
    if holding is None:
        raise AccessError("No such holding.")
    if not can(user, Action.ENDORSE_ACCESS, holding.constituency) and not can(
        user, Action.REVIEW_ACCESS, holding.constituency
    ):
        raise AccessError("Only the CLP's endorsers or the region's reviewers may revoke access.")
    if holding.revoked_at is not None:
        raise AccessError(f"Already revoked on {_when(holding.revoked_at)}.")
    if not reason.strip():
        raise AccessError("Give a reason for revoking: the holder sees it.")
    holding.revoked_at, holding.revoked_by, holding.revoke_reason = now, user, reason.strip()
    holding.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    if holding.grant is not None and holding.grant.revoked_at is None:
        grant_revoke(grant=holding.grant, revoked_by=user, reason=reason.strip())
    audit_record(
        action="access.holding.revoke",
        user=user,
        request=http_request,
        obj=holding,
        detail={"reason": reason.strip()},
    )
    _notify(
        [holding.user],
        holding.request,
        f"Access revoked: {holding.tool}",
        f"Revoked by {user}. Reason: {reason.strip()}",
    )
    return holding


@transaction.atomic
def holdings_remind_expiring(*, now: datetime | None = None) -> int:
    """Holders and their endorser hear 14 days before a holding ends, with a renewal link. Once each."""
    now = now or timezone.now()
    due = (
        Holding.unscoped.expiring_between(now, now + REMINDER_BEFORE)
        .filter(reminded_at__isnull=True)
        .select_related("tool", "user", "request")
        .select_for_update(of=("self",), skip_locked=True)
    )
    count = 0
    for holding in due:
        holding.reminded_at = now
        holding.save(update_fields=["reminded_at"])
        endorsement = holding.request.decisions.filter(outcome=Outcome.ENDORSED).select_related("by").first()
        people = [holding.user] + ([endorsement.by] if endorsement and endorsement.by else [])
        renew = settings.SITE_URL + reverse("access:renew", kwargs={"pk": holding.pk})
        _notify(
            people,
            holding.request,
            f"{holding.tool} for {holding.user} ends on {_when(holding.expires_at)}",
            f"Ask to renew it in one click: {renew}",
        )
        audit_record(action="access.holding.remind", obj=holding)
        count += 1
    return count


@transaction.atomic
def holdings_record_expired(*, now: datetime | None = None) -> int:
    """Expired holdings already stop working (grants carry the same end); this records each expiry once."""
    now = now or timezone.now()
    ended = Holding.unscoped.filter(
        revoked_at__isnull=True, expires_at__lte=now, expiry_recorded_at__isnull=True
    ).select_for_update(skip_locked=True)
    count = 0
    for holding in ended:
        holding.expiry_recorded_at = now
        holding.save(update_fields=["expiry_recorded_at"])
        audit_record(
            action="access.holding.expire", obj=holding, detail={"expired_at": holding.expires_at.isoformat()}
        )
        count += 1
    return count


def access_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """What beat runs: escalations, reminders, expiries. Each part is its own transaction."""
    now = now or timezone.now()
    return {
        "escalated": requests_escalate_overdue(now=now),
        "reminded": holdings_remind_expiring(now=now),
        "expired": holdings_record_expired(now=now),
        "emails_caught_up": notifications_send_stuck(now=now),
    }


def notifications_send_stuck(*, now: datetime | None = None) -> int:
    """Send emails still unsent ten minutes after they were planned (the broker was down, or a
    worker died). Each is sent at most once (notification_send locks and marks the row)."""
    now = now or timezone.now()
    stuck = Notification.objects.filter(sent_at__isnull=True, created_at__lt=now - STUCK_AFTER)
    return sum(notification_send(notification_id=pk) for pk in stuck.values_list("pk", flat=True)[:500])


# --- Delegation -----------------------------------------------------------------------


@transaction.atomic
def delegation_create(
    *,
    delegator: User,
    delegate: User,
    starts_on: date,
    ends_on: date,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> Delegation:
    now = now or timezone.now()
    if delegate == delegator:
        raise AccessError("Choose someone else to decide while you are away.")
    if not delegate.is_active:
        raise AccessError(f"{delegate}'s account is suspended.")
    if ends_on < starts_on:
        raise AccessError("The last day away must be on or after the first.")
    if ends_on < timezone.localdate(now):
        raise AccessError("Those dates are in the past.")
    if not (can(delegator, Action.ENDORSE_ACCESS) or can(delegator, Action.REVIEW_ACCESS)):
        raise AccessError("Only endorsers and reviewers have decisions to delegate.")
    conflict = step_conflict(delegator, delegate, now)
    if conflict:
        raise AccessError(
            f"{delegate} already decides at another step of the same requests ({conflict}): two different "
            "people decide each request, so choose someone who decides at the same step as you."
        )
    delegation = Delegation.objects.create(
        delegator=delegator, delegate=delegate, starts_on=starts_on, ends_on=ends_on
    )
    audit_record(
        action="access.delegation.create",
        user=delegator,
        request=http_request,
        obj=delegation,
        detail={"delegate": delegate.email, "from": str(starts_on), "to": str(ends_on)},
    )
    return delegation


# --- Notifications --------------------------------------------------------------------


def notification_send(*, notification_id: int) -> bool:
    """Send one planned email, exactly once (the row is locked and marked in one transaction)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("to")
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        send_mail(notification.subject, notification.body, None, [notification.to.email])
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True


def notify_by_email(
    users: Iterable[User], subject: str, body: str, path: str, access_request: AccessRequest | None = None
) -> None:
    """Email each user once, after the caller's transaction commits, with a link to `path` (the page
    where they act on it). Also used for notices that are not about an access request."""
    from access.tasks import notification_send_task

    link = settings.SITE_URL + path
    for user in users:
        notification = Notification.objects.create(
            to=user, request=access_request, subject=subject[:200], body=f"{body}\n\n{link}\n"
        )
        transaction.on_commit(lambda pk=notification.pk: _queue(notification_send_task, pk))  # type: ignore[misc]


def _notify(users: Iterable[User], access_request: AccessRequest, subject: str, body: str) -> None:
    path = reverse("access:request", kwargs={"pk": access_request.pk})
    notify_by_email(users, subject, body, path, access_request)


def _queue(task: Any, notification_id: int) -> None:
    """Hand the email to the worker. If the broker is down the decision still stands (it is
    committed): the row stays unsent and the next sweep sends it."""
    try:
        task.delay(notification_id)
    except Exception:  # kombu and redis raise many kinds; none may turn a saved decision into an error page
        logger.exception("Could not queue access notification %s; the sweep will send it", notification_id)


def _tell_requester(access_request: AccessRequest, subject: str, body: str) -> None:
    people = {access_request.requester, access_request.submitted_by}
    _notify(people, access_request, subject, body)


# --- Small helpers ----------------------------------------------------------------------


def _locked(access_request_id: int) -> AccessRequest:
    access_request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("tool", "requester", "submitted_by", "constituency", "region")
        .filter(pk=access_request_id)
        .first()
    )
    if access_request is None:
        raise AccessError("No such request.")
    return access_request


def _require_open(access_request: AccessRequest) -> None:
    if not access_request.is_open:
        raise AccessError(
            f"This request is closed ({access_request.get_status_display().lower()}); nothing was changed."
        )


def _decision(
    access_request: AccessRequest,
    outcome: str,
    *,
    user: User | None,
    at: datetime,
    note: str = "",
    on_behalf_of: User | None = None,
    duration_days: int | None = None,
) -> Decision:
    return Decision.objects.create(
        request=access_request,
        step=access_request.step,
        outcome=outcome,
        by=user,
        on_behalf_of=on_behalf_of,
        note=note,
        duration_days=duration_days,
        at=at,
    )


def _set_status(access_request: AccessRequest, status: str, decided_at: datetime | None = None) -> None:
    access_request.status = status
    fields = ["status"]
    if decided_at is not None:
        access_request.decided_at = decided_at
        fields.append("decided_at")
    access_request.save(update_fields=fields)


DEADLINE_FIELDS = ["step_due_at", "escalation_level", "next_escalation_at"]


def _start_deadline(access_request: AccessRequest, now: datetime) -> None:
    """A step starts (or restarts) with its first tier and a fresh deadline."""
    access_request.step_due_at = now + timedelta(hours=access_request.tool.decision_hours)
    access_request.escalation_level = 0
    access_request.next_escalation_at = None


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y %H:%M")


# --- Visiting activists (issue 17, item 5) ------------------------------------------------------

VISITING_TOOL_NAME = "Visiting activist at a checked-in session"
VISITING_TOOL_SLUG = "visiting-activist"


def visiting_tool() -> Tool:
    """The catalogue's rule for visiting activists: auto-approved, for one day. Made on first use;
    the catalogue may switch it off (then visitors are not let in) but not make it wider."""
    tool, _ = Tool.objects.get_or_create(
        role=Role.VISITING_ACTIVIST,
        defaults={
            "name": VISITING_TOOL_NAME,
            "slug": VISITING_TOOL_SLUG,
            "description": "A member of another CLP checked in at a session open to visitors (or a "
            "member of the CLP with no canvassing role, checked in at its session): canvass the pack "
            "of that session's walk list handed to them, until the end of the day.",
            "auto_approve": True,
            "needs_endorsement": False,
            "requires_good_standing": True,
            "default_days": 1,
            "max_days": 1,
            "decision_hours": 1,
        },
    )
    return tool


@transaction.atomic
def visiting_grant_give(
    *,
    user: User,
    requester: User,
    constituency: Constituency,
    home: Constituency,
    session: str,
    starts_at: datetime,
    expires_at: datetime,
    now: datetime | None = None,
) -> Holding:
    """The rule "visiting activist at a checked-in session": `requester`, a member of `home`, was
    checked in by `user` at `session` in `constituency` (the caller has checked the session is
    open to `home` and that they are booked there). `home` may be `constituency` itself: a member
    of the CLP with no canvassing role there, handed a pack at its session, gets the same day. Approved at once when every condition holds,
    as a request, a decision, a grant and a holding on the CLP's public register that end at
    `expires_at` (the end of the session's day); refused otherwise, with nothing written."""
    now = now or timezone.now()
    tool = visiting_tool()
    _require_sound_rules(tool)
    if not tool.is_active or not tool.may_auto_approve:
        raise AccessError(f"{tool} is switched off in the catalogue: visitors cannot be let in.")
    if not requester.is_active:
        raise AccessError(f"{requester}'s account is suspended.")
    # A member of the CLP itself with no canvassing role, handed a pack at its session, gets the
    # same day (issue 17: a handed pack must open for the person it was handed to).
    visitor = home.pk != constituency.pk
    if expires_at <= max(now, starts_at):
        raise AccessError("The session's day is over: a visitor is let in on the day only.")
    standing = requester_standing(requester, home)
    conditions = [
        Condition(
            f"Checked in at a session of {constituency}" + (f" open to {home}" if visitor else ""),
            True,
            session,
        ),
    ]
    if tool.requires_good_standing:
        conditions.append(
            Condition(
                f"Member in good standing in {home}", standing.in_good_standing, standing.membership_label
            )
        )
    unmet = [c.label for c in conditions if not c.met]
    if unmet:
        how = "as a visitor" if visitor else "for the day"
        raise AccessError(f"{requester} cannot be let in {how}: {'; '.join(unmet)}.")
    access_request = AccessRequest.objects.create(
        tool=tool,
        requester=requester,
        submitted_by=user,
        constituency=constituency,
        region=constituency.region,
        reason=f"Checked in at {session}"[:500],
        needed_by=timezone.localdate(now),
        status=Status.REVIEW,
        step=Step.REVIEW,
        submitted_at=now,
    )
    _decision(access_request, Outcome.SUBMITTED, user=user, note=access_request.reason, at=now)
    _decision(
        access_request,
        Outcome.AUTO_APPROVED,
        user=None,
        note="Every condition held: " + "; ".join(f"{c.label} ({c.detail})" for c in conditions),
        duration_days=1,
        at=now,
    )
    _set_status(access_request, Status.APPROVED, decided_at=now)
    holding = _grant_and_hold(
        access_request,
        role=Role.VISITING_ACTIVIST,
        area=constituency,
        granted_by=None,
        starts_at=starts_at,
        expires_at=expires_at,
    )
    audit_record(
        action="access.request.approve",
        user=user,
        obj=access_request,
        detail={
            "holding": holding.pk,
            "automatic": True,
            "visiting": session,
            "until": expires_at.isoformat(),
        },
    )
    _tell_requester(
        access_request,
        f"Welcome to {constituency}: {session}",
        f"You may canvass the pack you were given at {session} until {_when(expires_at)}.",
    )
    return holding


@transaction.atomic
def visiting_grant_end(*, user: User, grant: Grant, reason: str, now: datetime | None = None) -> None:
    """A visitor's check-in undone: their day's access ends at once (holding and grant)."""
    now = now or timezone.now()
    holding = Holding.unscoped.select_for_update(of=("self",)).filter(grant=grant).first()
    if holding is not None and holding.revoked_at is None:
        holding.revoked_at, holding.revoked_by, holding.revoke_reason = now, user, reason
        holding.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(action="access.holding.revoke", user=user, obj=holding, detail={"reason": reason})
    if grant.revoked_at is None:
        grant_revoke(grant=grant, revoked_by=user, reason=reason)
