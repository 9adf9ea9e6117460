"""Thin views: one access-checked lookup, a form, a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access import deciders, lookups, reports
from access.deciders import (
    decidable_constituencies,
    decider_capacity,
    deciders_for,
    requests_visible_to,
)
from access.forms import (
    AnswerForm,
    AuditSearchForm,
    DecisionForm,
    DelegationForm,
    RequestForm,
    RevokeForm,
    person_of,
)
from access.models import AccessRequest, Delegation, Level, Status, Step, Tool
from access.rules import all_met, conditions_for, evaluate, facts_for
from access.services import (
    AccessError,
    decision_blocked,
    delegation_create,
    holding_revoke,
    request_decide,
    request_info_give,
    request_submit,
    request_withdraw,
)
from access.standing import member_constituencies
from labourhub.forms import SearchForm
from labourhub.models import Constituency, Grant
from labourhub.scoping import ROLES_FOR, Action, can
from labourhub.services import audit_record

QUEUE_PAGE_SIZE = 50


def get_request_for_user(request, pk):
    """The one lookup for an access request: 404 unless the user may open it."""
    return get_object_or_404(
        requests_visible_to(request.user).select_related(
            "tool", "requester", "submitted_by", "constituency", "region", "ward"
        ),
        pk=pk,
    )


def rules(request):
    """Public: every tool and its rules, in plain words, and who changed them when."""
    return render(
        request,
        "access/rules.html",
        {"tools": Tool.objects.offered(), "changes": reports.catalogue_changes()},
    )


@login_required
def index(request):
    user = request.user
    mine = (
        AccessRequest.objects.filter(Q(requester=user) | Q(submitted_by=user))
        .select_related("tool", "constituency", "requester")
        .order_by("-submitted_at")[:50]
    )
    holdings = lookups.holdings_of(user).active().select_related("tool", "constituency", "region", "grant")
    return render(
        request,
        "access/index.html",
        {
            "requests": mine,
            "holdings": holdings,
            "clps": member_constituencies(user),
            "may_endorse": deciders.endorser_queue(user) is not None,
            "may_review": reports.review_regions(user).exists(),
            "may_audit": reports.audit_regions(user).exists(),
        },
    )


@login_required
def request_new(request):
    form = RequestForm(request.POST or None, user=request.user, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access_request = request_submit(
                tool=data["tool"],
                requester=data["for_email"] or request.user,
                submitted_by=request.user,
                constituency=data["constituency"],
                ward=data["ward"],
                reason=data["reason"],
                needed_by=data["needed_by"],
                http_request=request,
            )
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Request sent: {access_request.get_status_display().lower()}.")
            return redirect("access:request", pk=access_request.pk)
    ward_level_tools = list(Tool.objects.offered().filter(level=Level.WARD).values_list("pk", flat=True))
    return render(request, "access/request_form.html", {"form": form, "ward_level_tools": ward_level_tools})


@login_required
def conditions(request):
    """htmx partial for the request form: the chosen tool's rules applied to the person it is for
    (the signed-in user, or the member an officer of that CLP names)."""
    form = RequestForm(request.GET, user=request.user)
    tool_id = request.GET.get("tool", "")
    tool = Tool.objects.offered().filter(pk=tool_id).first() if tool_id.isdigit() else None
    constituency_id = request.GET.get("constituency", "")
    constituency = (
        form.fields["constituency"].queryset.filter(pk=constituency_id).first()
        if constituency_id.isdigit()
        else None
    )
    person = request.user
    email = request.GET.get("for_email", "").strip().lower()
    outsider = False
    if email and constituency and can(request.user, Action.ENDORSE_ACCESS, constituency):
        # An officer sees the conditions of their own CLP's people only, and the same answer for
        # an address with no account as for someone from elsewhere.
        person = person_of(constituency, email)
        outsider = person is None
    checks = conditions_for(tool, person, constituency) if tool and constituency and not outsider else []
    context = {
        "tool": tool,
        "constituency": constituency,
        "checks": checks,
        "person": person,
        "email": email,
        "outsider": outsider,
    }
    return render(request, "access/_conditions.html", context)


@login_required
def request_detail(request, pk):
    return render(
        request, "access/request_detail.html", _detail_context(request, get_request_for_user(request, pk))
    )


def _detail_context(request, access_request, decision_data=None):
    """The status page; `decision_data` is a decision sent back (its errors shown, all of it kept)."""
    level = None
    if (
        access_request.status in (Status.ENDORSEMENT, Status.REVIEW)
        and access_request.requester_id != request.user.pk
    ):
        level = decider_capacity(request.user, access_request)
    # The two-person rule may still forbid this person to endorse or approve (they endorsed it, or
    # asked for it on someone's behalf): say so, and offer only refusing or asking.
    blocked = decision_blocked(user=request.user, access_request=access_request, level=level) if level else ""
    decision_form = None
    if level:
        decision_form = _decision_form(access_request, level, decision_data, blocked=bool(blocked))
        if decision_data is not None:
            decision_form.is_valid()  # shows its errors next to the fields
    return {
        "req": access_request,
        "checks": conditions_for(access_request.tool, access_request.requester, access_request.constituency),
        "history": access_request.decisions.select_related("by", "on_behalf_of"),
        "deciders": deciders_for(access_request) if access_request.is_open else [],
        "is_requester": request.user.pk in (access_request.requester_id, access_request.submitted_by_id),
        "decision_form": decision_form,
        "level": level,
        "blocked": blocked,
        "requester_grants": (
            Grant.objects.filter(user=access_request.requester_id).select_related("constituency", "region")
            if level
            else []
        ),
        "answer_form": AnswerForm(),
        "holding": lookups.holding_of_request(access_request),
        "may_revoke": level is not None or _may_revoke(request.user, access_request.constituency),
        "revoke_form": RevokeForm(),
    }


def _decision_form(access_request, level, data=None, blocked=False):
    """No decision is pre-selected: the decider chooses every time."""
    first = ("approve", "Approve") if level == Step.REVIEW else ("endorse", "Endorse")
    choices = [first, ("refuse", "Refuse"), ("info", "Ask for more information")][1 if blocked else 0 :]
    return DecisionForm(
        data, choices=choices, tool=access_request.tool, initial={"expected_status": access_request.status}
    )


def _may_revoke(user, constituency):
    return decidable_constituencies(user, Action.ENDORSE_ACCESS).filter(pk=constituency.pk).exists() or (
        decidable_constituencies(user, Action.REVIEW_ACCESS).filter(pk=constituency.pk).exists()
    )


@login_required
@require_POST
def decide(request, pk):
    """A decision sent back (no decision, no reason, the request moved on) is shown again on the
    status page with the error next to its field and everything typed kept."""
    access_request = get_request_for_user(request, pk)
    level = decider_capacity(request.user, access_request) if access_request.is_open else None
    form = _decision_form(access_request, level or Step.ENDORSEMENT, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            request_decide(
                access_request_id=access_request.pk,
                user=request.user,
                decision=data["decision"],
                expected_status=data["expected_status"],
                note=data["note"],
                duration_days=data["duration_days"],
                http_request=request,
            )
        except AccessError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Decision recorded.")
            return redirect("access:request", pk=pk)
    elif not level:
        messages.error(request, _form_errors(form))
        return redirect("access:request", pk=pk)
    access_request = get_request_for_user(request, pk)  # as it is now, if someone else moved it on
    context = _detail_context(request, access_request, request.POST)
    return render(request, "access/request_detail.html", context, status=400)


@login_required
@require_POST
def withdraw(request, pk):
    access_request = get_request_for_user(request, pk)
    try:
        request_withdraw(access_request_id=access_request.pk, user=request.user, http_request=request)
    except AccessError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("access:request", pk=pk)


@login_required
@require_POST
def answer(request, pk):
    access_request = get_request_for_user(request, pk)
    form = AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise AccessError(_form_errors(form))
        request_info_give(
            access_request_id=access_request.pk,
            user=request.user,
            note=form.cleaned_data["note"],
            http_request=request,
        )
    except AccessError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Answer sent; the request is back with the deciders.")
    return redirect("access:request", pk=pk)


@login_required
def endorser_queue(request):
    queue = deciders.endorser_queue(request.user)
    if queue is None:
        raise PermissionDenied("Only people holding a tool's endorser roles endorse access requests.")
    return _queue(request, queue, "Endorsements to give")


@login_required
def reviewer_queue(request):
    queue = deciders.reviewer_queue(request.user)
    if queue is None:
        raise PermissionDenied("Only people holding a tool's approver roles review access requests.")
    return _queue(request, queue, "Requests to review")


def _queue(request, queryset, title):
    """A queue page: soonest deadline first, 50 a page, each row with the requester's standing,
    the conditions and their current roles, in a fixed number of queries."""
    form, search = SearchForm.of(request)
    if search:
        queryset = queryset.filter(
            Q(requester__full_name__icontains=search)
            | Q(requester__email__icontains=search)
            | Q(tool__name__icontains=search)
        )
    page = Paginator(queryset.select_related("tool", "requester", "constituency"), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    requests_ = list(page.object_list)
    facts = facts_for([(r.requester_id, r.constituency_id) for r in requests_])
    now = timezone.now()
    rows = []
    for access_request in requests_:
        checks = evaluate(
            access_request.tool, access_request.requester_id, access_request.constituency, facts
        )
        rows.append(
            {
                "req": access_request,
                "standing": facts.standings[(access_request.requester_id, access_request.constituency_id)],
                "checks": checks,
                "all_met": all_met(checks),
                "grants": facts.grants.get(access_request.requester_id, []),
                "overdue": access_request.step_due_at and access_request.step_due_at < now,
            }
        )
    return render(
        request,
        "access/queue.html",
        {"title": title, "rows": rows, "page": page, "q": search, "problem": form.problem()},
        status=400 if form.errors else 200,
    )


@login_required
def renew(request, pk):
    """One click from the reminder email: ask again for the same tool, same CLP."""
    holding = get_object_or_404(
        lookups.holdings_of(request.user).select_related("tool", "constituency"), pk=pk
    )
    if request.method == "POST":
        try:
            access_request = request_submit(
                tool=holding.tool,
                requester=request.user,
                submitted_by=request.user,
                constituency=holding.constituency,
                reason=f"Renewal of {holding.tool}, which ends on {holding.expires_at:%-d %b %Y}.",
                needed_by=max(timezone.localdate(holding.expires_at), timezone.localdate()),
                http_request=request,
            )
        except AccessError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Renewal requested.")
            return redirect("access:request", pk=access_request.pk)
    return render(request, "access/renew.html", {"holding": holding})


@login_required
@require_POST
def revoke(request, pk):
    holding = get_object_or_404(lookups.holdings_revocable_by(request.user), pk=pk)
    form = RevokeForm(request.POST)
    try:
        if not form.is_valid():
            raise AccessError(_form_errors(form))
        holding_revoke(
            holding_id=holding.pk, user=request.user, reason=form.cleaned_data["reason"], http_request=request
        )
    except AccessError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Revoked: {holding.tool} for {holding.user}.")
    return redirect("access:request", pk=holding.request_id)


@login_required
def register(request, pk):
    """Who holds which access in a CLP: names and roles, never contact details. For its members."""
    constituency = get_object_or_404(member_constituencies(request.user).select_related("region"), pk=pk)
    holdings = (
        lookups.register_holdings(constituency)
        .select_related("user", "tool", "grant")
        .prefetch_related("request__decisions__by")
        .order_by("tool__name", "user__full_name")
    )
    office_grants = (
        Grant.objects.covering(constituency)
        .filter(holding__isnull=True)
        .select_related("user", "region", "constituency")
    ).order_by("role", "user__full_name")
    audit_record(action="access.register.view", request=request, constituency=constituency)
    return render(
        request,
        "access/register.html",
        {"constituency": constituency, "holdings": holdings, "office_grants": office_grants},
    )


@login_required
def register_index(request):
    clps = list(member_constituencies(request.user)[:2])
    if len(clps) == 1:
        return redirect("access:register", pk=clps[0].pk)
    return render(request, "access/register_index.html", {"clps": member_constituencies(request.user)})


@login_required
def grant_why(request, pk):
    """Why can this person see this? A grant explained: the role's powers, the area, who decided."""
    mine = member_constituencies(request.user)
    grant = get_object_or_404(
        Grant.all_objects.filter(
            Q(constituency__in=mine) | Q(region__in=mine.values("region"))
        ).select_related("user", "constituency", "region", "granted_by", "revoked_by"),
        pk=pk,
    )
    holding = lookups.holding_of_grant(grant)
    powers = [action.label for action in Action if grant.role in ROLES_FOR[action]]
    history = holding.request.decisions.select_related("by", "on_behalf_of") if holding else []
    return render(
        request,
        "access/grant_why.html",
        {"grant": grant, "holding": holding, "powers": powers, "history": history},
    )


@login_required
def delegations(request):
    form = DelegationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation_create(
                delegator=request.user,
                delegate=data["delegate_email"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                http_request=request,
            )
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Delegation saved.")
            return redirect("access:delegations")
    mine = Delegation.objects.filter(Q(delegator=request.user) | Q(delegate=request.user)).select_related(
        "delegator", "delegate"
    )
    return render(request, "access/delegations.html", {"form": form, "delegations": mine})


@login_required
def report(request):
    regions = reports.review_regions(request.user)
    if not regions.exists():
        raise PermissionDenied("Reports are for regional staff.")
    return render(request, "access/reports.html", reports.summary(regions))


@login_required
def audit(request):
    regions = reports.audit_regions(request.user)
    if not regions.exists():
        raise PermissionDenied("The audit log is searched by regional staff for their region.")
    form = AuditSearchForm(
        request.GET or None, constituencies=Constituency.objects.filter(region__in=regions)
    )
    if request.GET and not form.is_valid():
        return render(request, "access/audit.html", {"form": form, "page": None}, status=400)
    events = reports.audit_search(regions, form.cleaned_data if request.GET else {})
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    _audit_log_read(request, "access.audit.search", regions)
    return render(
        request, "access/audit.html", {"form": form, "page": page, "query": request.GET.urlencode()}
    )


@login_required
def audit_export(request):
    regions = reports.audit_regions(request.user)
    if not regions.exists():
        raise PermissionDenied("The audit log is exported by regional staff for their region.")
    form = AuditSearchForm(
        request.GET or None, constituencies=Constituency.objects.filter(region__in=regions)
    )
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(_form_errors(form))
    _audit_log_read(request, "access.audit.export", regions)
    return reports.audit_csv(reports.audit_search(regions, form.cleaned_data if request.GET else {}))


def _audit_log_read(request, action, regions):
    """Reading the audit log is itself audited, in the (first) region read."""
    codes = [region.code for region in regions]
    audit_record(
        action=action,
        request=request,
        region=regions[0],
        detail={"query": request.GET.urlencode(), "regions": codes},
    )


def _form_errors(form):
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )
