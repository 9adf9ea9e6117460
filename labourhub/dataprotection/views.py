"""Data protection pages: the register of data-subject requests (list, overdue, new, one request
with its timeline), the report, the breach log and the records of processing. Each starts with one
access-checked lookup or `require`; every page showing personal data is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from labourhub.csv_export import line_writer, safe_row
from labourhub.dataprotection import records, services
from labourhub.dataprotection.forms import (
    BreachForm,
    DetailsForm,
    ExtendForm,
    RequestFilterForm,
    StatusForm,
    SubjectRequestForm,
)
from labourhub.dataprotection.models import Breach, SubjectRequest, SubjectRequestEvent
from labourhub.dataprotection.report import requests_report
from labourhub.forms import parse_day_first
from labourhub.privacy import Person, person_find, person_found, subject_kinds
from labourhub.privacy_views import erase_page, subject_access_response
from labourhub.scoping import Action, can, constituencies_for, get_for_user, require
from labourhub.services import audit_record

PAGE_SIZE = 100
CSV_COLUMNS = [
    "Reference",
    "CLP",
    "Type",
    "Received",
    "Requester",
    "Status",
    "Due",
    "Overdue",
    "Extended",
    "Paused days",
    "Identity verified",
    "Handler",
    "Closed",
    "Days to answer",
]


def _render(request, template, context, status=200):
    """The page, with whether the user may open the register (the nav links to it only then)."""
    context = {**context, "can_protect": can(request.user, Action.PROTECT_DATA)}
    return render(request, template, context, status=status)


def _requests(user):
    return SubjectRequest.objects.for_user(user, Action.PROTECT_DATA).select_related(
        "constituency", "handler"
    )


def get_request_for_user(request, pk):
    return get_for_user(SubjectRequest, request, pk, Action.PROTECT_DATA, related=("constituency", "handler"))


@login_required
def request_list(request):
    """The CLP's register: search, filter by status (open by default), overdue first, CSV export."""
    require(request.user, Action.PROTECT_DATA)
    today = timezone.localdate()
    form = RequestFilterForm(request.GET or None)
    rows = _requests(request.user)
    if form.is_bound and not form.is_valid():
        context = {
            "form": form,
            "page": Paginator(rows.none(), PAGE_SIZE).get_page(1),
            "problem": form.problem(),
        }
        return _render(request, "dataprotection/request_list.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    status = data.get("status") or ""
    if status == "":
        rows = rows.open()
    elif status == "overdue":
        rows = rows.overdue(today)
    elif status != "all":
        rows = rows.filter(status=status)
    rows = rows.search(data.get("q") or "").overdue_first(today)
    if request.GET.get("format") == "csv":
        return _csv(request, rows, today)
    audit_record(action="dataprotection.request.list", request=request, scope_action=Action.PROTECT_DATA)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "today": today}
    return _render(request, "dataprotection/request_list.html", context)


def _csv(request, rows, today):
    audit_record(action="dataprotection.request.export", request=request, scope_action=Action.PROTECT_DATA)
    writer = line_writer()

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for r in rows.iterator(chunk_size=500):
            yield writer.writerow(
                safe_row(
                    [
                        r.reference,
                        r.constituency.name,
                        r.get_kind_display(),
                        f"{r.received_on:%d/%m/%Y}",
                        r.requester_name,
                        r.get_status_display(),
                        f"{r.due_on:%d/%m/%Y}",
                        "yes" if r.is_overdue(today) else "",
                        f"{r.extended_on:%d/%m/%Y}" if r.extended_on else "",
                        r.paused_days,
                        f"{r.identity_verified_on:%d/%m/%Y}" if r.identity_verified_on else "",
                        r.handler.get_full_name() if r.handler else "",
                        f"{r.closed_on:%d/%m/%Y}" if r.closed_on else "",
                        r.days_to_answer() or "",
                    ]
                )
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="data-requests-{today:%Y-%m-%d}.csv"'
    return response


@login_required
def request_overdue(request):
    """Every running request past its legal deadline, the most overdue first."""
    require(request.user, Action.PROTECT_DATA)
    today = timezone.localdate()
    rows = _requests(request.user).overdue(today).order_by("due_on", "pk")
    audit_record(action="dataprotection.request.overdue", request=request, scope_action=Action.PROTECT_DATA)
    return _render(request, "dataprotection/request_overdue.html", {"rows": rows, "today": today})


@login_required
def request_new(request):
    require(request.user, Action.PROTECT_DATA)
    constituencies = constituencies_for(request.user, Action.PROTECT_DATA).order_by("name")
    form = SubjectRequestForm(
        request.POST or None,
        constituencies=constituencies,
        initial={"received_on": timezone.localdate(), "handler": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.subject_request_create(
                user=request.user, http_request=request, **form.cleaned_data
            )
        except services.DataProtectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Logged as {created.reference}, due {created.due_on:%d/%m/%Y}.")
            return redirect("dataprotection:request", pk=created.pk)
    status = 400 if request.method == "POST" else 200
    return _render(request, "dataprotection/request_new.html", {"form": form}, status=status)


@login_required
def request_detail(request, pk):
    """One request: its clock, its timeline, and the forms that move it on. A POST names its `op`:
    status, extend or details; a refused one is shown again with its errors and what was typed."""
    subject_request = get_request_for_user(request, pk)
    forms = {
        "status": StatusForm(current=subject_request.status, initial={"on": timezone.localdate()}),
        "extend": ExtendForm(),
        "details": DetailsForm(
            subject_request=subject_request,
            initial={name: getattr(subject_request, name) for name in DetailsForm.base_fields},
        ),
    }
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op not in forms:
            messages.error(request, "Choose what to change: the status, an extension or the details.")
            return redirect("dataprotection:request", pk=subject_request.pk)
        if op != "details" and not subject_request.is_open:
            messages.error(
                request, f"This request is {subject_request.get_status_display().lower()}: it cannot change."
            )
            return redirect("dataprotection:request", pk=subject_request.pk)
        form = _bound(op, request.POST, subject_request)
        forms[op] = form
        if form.is_valid():
            try:
                _apply(op, form.cleaned_data, request, subject_request)
            except services.DataProtectionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Saved.")
                return redirect("dataprotection:request", pk=subject_request.pk)
        status = 400
    else:
        audit_record(action="dataprotection.request.view", request=request, obj=subject_request)
    events = (
        SubjectRequestEvent.objects.for_user(request.user, Action.PROTECT_DATA)
        .filter(request=subject_request)
        .select_related("by")
    )
    context = {
        "r": subject_request,
        "events": events,
        "forms": forms if subject_request.is_open else {"details": forms["details"]},
        "today": timezone.localdate(),
        "days_left": (subject_request.due_on - timezone.localdate()).days,
        "days_over": (timezone.localdate() - subject_request.due_on).days,
        "linked": _linked(subject_request),
    }
    return _render(request, "dataprotection/request_detail.html", context, status=status)


def _linked(subject_request):
    """The records the request is linked to, as (kind, Found or None when it is no longer held)."""
    ids = {kind: getattr(subject_request, field) for kind, field in services.SUBJECT_FIELDS.items()}
    return [
        (kind, person_found(constituency=subject_request.constituency, kind=kind, pk=ids[kind]))
        for kind in subject_kinds()
        if ids.get(kind) is not None
    ]


def _person(subject_request):
    """The person the request is about, as labourhub.privacy knows them, or None if nobody is linked."""
    linked = {kind: found.pk for kind, found in _linked(subject_request) if found is not None}
    if not linked:
        return None
    return Person(
        subject_request.constituency,
        elector_ids=frozenset({linked["elector"]} if "elector" in linked else ()),
        member_ids=frozenset({linked["member"]} if "member" in linked else ()),
        event_contact_ids=frozenset({linked["event contact"]} if "event contact" in linked else ()),
    )


@login_required
def request_person(request, pk):
    """Find the person a request is about among the CLP's electors (name, postcode, address, elector
    number), members (name, email, membership number, postcode) and event contacts (name, email,
    phone), and link or unlink them."""
    subject_request = get_request_for_user(request, pk)
    if request.method == "POST":
        kind, raw = request.POST.get("kind", ""), request.POST.get("pk", "").strip()
        try:
            if request.POST.get("op") == "unlink":
                target = None
            elif raw.isdigit() and len(raw) < 19:
                target = int(raw)
            else:
                raise services.DataProtectionError(f"pk: {raw[:20]!r} is not the number of a record.")
            services.subject_request_link(
                user=request.user, subject_request=subject_request, kind=kind, pk=target, http_request=request
            )
        except services.DataProtectionError as error:
            messages.error(request, str(error))
            return redirect("dataprotection:request_person", pk=subject_request.pk)
        messages.success(request, "Linked." if target else "Unlinked.")
        return redirect("dataprotection:request", pk=subject_request.pk)
    q = " ".join(request.GET.get("q", "").split())[:200]
    found = person_find(constituency=subject_request.constituency, text=q) if q else []
    if q:  # the count only: the audit log keeps no names
        audit_record(
            action="dataprotection.request.find",
            request=request,
            obj=subject_request,
            detail={"found": len(found)},
        )
    linked = {(kind, f.pk) for kind, f in _linked(subject_request) if f is not None}
    context = {
        "r": subject_request,
        "q": q,
        "found": found,
        "linked": _linked(subject_request),
        "ids": linked,
    }
    return _render(request, "dataprotection/request_person.html", context)


@login_required
@require_POST
def request_subject_access(request, pk):
    """One click from the request: the zip of everything held on the linked person, noted in its timeline."""
    subject_request = get_request_for_user(request, pk)
    person = _person(subject_request)
    if person is None:
        messages.error(
            request, "Find and link the person first: nobody on our records is linked to this request."
        )
        return redirect("dataprotection:request_person", pk=subject_request.pk)

    def noted(export):
        services.subject_request_note(
            user=request.user,
            subject_request=subject_request,
            what=f"Subject access export made: {export.records} records",
        )

    return subject_access_response(
        request, person, f"subject-access-{subject_request.reference}.zip", after=noted
    )


@login_required
def request_erase(request, pk):
    """Erasure or an objection for the linked person, from the request: noted in its timeline."""
    subject_request = get_request_for_user(request, pk)
    person = _person(subject_request)
    if person is None:
        messages.error(
            request, "Find and link the person first: nobody on our records is linked to this request."
        )
        return redirect("dataprotection:request_person", pk=subject_request.pk)

    def noted(result):
        removed = ", ".join(f"{label}: {count}" for label, count in result.removed if count)
        services.subject_request_note(
            user=request.user,
            subject_request=subject_request,
            what="Erased" if result.erased else "Objection recorded",
            note=removed or "Nothing held to remove.",
        )

    return erase_page(
        request,
        person,
        name=subject_request.subject_label or subject_request.requester_name,
        back_url=reverse("dataprotection:request", args=[subject_request.pk]),
        after=noted,
    )


def _bound(op, data, subject_request):
    if op == "status":
        return StatusForm(data, current=subject_request.status)
    if op == "extend":
        return ExtendForm(data)
    return DetailsForm(data, subject_request=subject_request)


def _apply(op, data, request, subject_request):
    common = {"user": request.user, "subject_request": subject_request, "http_request": request}
    if op == "status":
        services.subject_request_set_status(**common, **data)
    elif op == "extend":
        services.subject_request_extend(**common, reason=data["reason"])
    else:
        services.subject_request_update(**common, changes=data)


@login_required
def report(request):
    """Requests and days to answer, per CLP and per region: CLP officers see their CLP, regional
    staff their region's CLPs. Figures only, no requester."""
    require(request.user, Action.READ_DATA_PROTECTION)
    since, problem = None, ""
    if request.GET.get("since"):
        try:
            since = parse_day_first(request.GET["since"])
        except Exception as error:  # a ValidationError: shown, never a 500
            problem = f"Received since: {' '.join(getattr(error, 'messages', [str(error)]))}"
    result = requests_report(request.user, today=timezone.localdate(), since=since)
    audit_record(
        action="dataprotection.report.view", request=request, scope_action=Action.READ_DATA_PROTECTION
    )
    context = {"report": result, "since": request.GET.get("since", ""), "problem": problem}
    return _render(request, "dataprotection/report.html", context, status=400 if problem else 200)


# --- The breach log ----------------------------------------------------------------------------


@login_required
def breach_list(request):
    require(request.user, Action.READ_DATA_PROTECTION)
    breaches = Breach.objects.for_user(request.user, Action.READ_DATA_PROTECTION).select_related(
        "constituency"
    )
    audit_record(
        action="dataprotection.breach.list", request=request, scope_action=Action.READ_DATA_PROTECTION
    )
    context = {
        "breaches": breaches[:500],
        "can_record": can(request.user, Action.PROTECT_DATA),
        "now": timezone.now(),
    }
    return _render(request, "dataprotection/breach_list.html", context)


@login_required
def breach_new(request):
    require(request.user, Action.PROTECT_DATA)
    constituencies = constituencies_for(request.user, Action.PROTECT_DATA).order_by("name")
    form = BreachForm(
        request.POST or None,
        constituencies=constituencies,
        initial={"found_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        constituency = values.pop("constituency")
        try:
            breach = services.breach_record(
                user=request.user, constituency=constituency, values=values, http_request=request
            )
        except services.DataProtectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Breach recorded. The ICO's 72-hour clock runs from when it was found.")
            return redirect("dataprotection:breach", pk=breach.pk)
    status = 400 if request.method == "POST" else 200
    return _render(request, "dataprotection/breach_new.html", {"form": form}, status=status)


@login_required
def breach_detail(request, pk):
    """A breach with its 72-hour clock. Regional staff read it; the CLP's PROTECT_DATA holders edit it."""
    breach = get_for_user(
        Breach, request, pk, Action.READ_DATA_PROTECTION, related=("constituency", "recorded_by")
    )
    editable = can(request.user, Action.PROTECT_DATA, breach.constituency)
    form = BreachForm(instance=breach, constituencies=None) if editable else None
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(
                "Only the CLP's data protection lead or secretary may change a breach record."
            )
        form = BreachForm(request.POST, instance=breach, constituencies=None)
        if form.is_valid():
            try:
                services.breach_update(
                    user=request.user, breach=breach, values=form.cleaned_data, http_request=request
                )
            except services.DataProtectionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Saved.")
                return redirect("dataprotection:breach", pk=breach.pk)
        status = 400
    else:
        audit_record(action="dataprotection.breach.view", request=request, obj=breach)
    context = {"breach": breach, "form": form, "now": timezone.now()}
    return _render(request, "dataprotection/breach_detail.html", context, status=status)


# --- Records of processing ------------------------------------------------------------------


@login_required
def records_of_processing(request):
    """What personal data the platform holds and why, generated from the apps' declarations and
    the role table. Holds no personal data itself; shown to whoever answers for data protection."""
    require(request.user, Action.READ_DATA_PROTECTION)
    return _render(request, "dataprotection/records.html", {"records": records.processing_records()})
