"""Casework reports, the office's settings, the retention preview and the lead's bulk handover
(issue 15, items 5 and 7); and the CLP's suppressed counts, the one casework page a campaign role
may open. Each view starts with one access-checked lookup; every report shown or downloaded is
audited (`services.report_viewed`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from casework import reports, retention, services
from casework.forms_reports import ClpCountsForm, HandoverForm, OfficeSettingsForm, ReportPeriodForm
from casework.models import OfficeMembership
from casework.views import _message, get_office_for_user
from labourhub.csv_export import line_writer, safe_row
from labourhub.models import Constituency


def _office_lead(request, pk):
    office, membership = get_office_for_user(request, pk)
    if membership.role != OfficeMembership.Role.LEAD:
        raise PermissionDenied("Only the office lead may do this.")
    return office


def _period(request):
    form = ReportPeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    default = reports.default_period()
    return form, reports.Period(data.get("start") or default.start, data.get("end") or default.end)


@login_required
def office_reports(request, pk):
    """The office's reports: cases by topic, ward, agency and month, agency response times and
    caseload per worker. Counts only; a my-cases caseworker's reports count their own cases."""
    office, membership = get_office_for_user(request, pk)
    form, period = _period(request)
    context = {"office": office, "membership": membership, "form": form}
    if period is None:
        context["problem"] = form.problem()
        return render(request, "casework/reports.html", context, status=400)
    cases = reports.office_cases_for_report(office, membership, request.user)
    months = reports.by_month(cases, period)
    topics = reports.by_topic(cases, period)
    context |= {
        "period": period,
        "query": request.GET.urlencode(),
        "topics": topics,
        "wards": reports.by_ward(cases, period),
        "agencies": reports.by_agency(cases, period),
        "months": months,
        "times": reports.agency_times(cases, period, office.nation),
        "caseload": reports.caseload(cases, period),
        "chart": {
            "labels": [f"{m.month:%b %Y}" for m in months],
            "opened": [m.opened for m in months],
            "closed": [m.closed for m in months],
            "topics": [t.label for t in topics],
            "topic_opened": [t.opened for t in topics],
        },
    }
    services.report_viewed(user=request.user, office=office, report="office", request=request,
                           start=period.start.isoformat(), end=period.end.isoformat())  # fmt: skip
    return render(request, "casework/reports.html", context)


def _rows(kind, cases, period, office):
    counted = ["Opened in the period", "Of those, open now", "Closed in the period"]
    if kind in ("topic", "ward", "agency"):
        rows = {"topic": reports.by_topic, "ward": reports.by_ward, "agency": reports.by_agency}[kind](
            cases, period
        )
        return [kind.capitalize(), *counted], [tuple(r) for r in rows]
    if kind == "month":
        return ["Month", "Opened", "Closed"], [
            (f"{r.month:%Y-%m}", r.opened, r.closed) for r in reports.by_month(cases, period)
        ]
    if kind == "agency-times":
        header = ["Agency", "Referred", "Answered", "Waiting", "Median working days", "90th percentile working days",
                  "Late", "Late share"]  # fmt: skip
        rows = [
            (*r[:7], "" if r.late_share is None else f"{r.late_share:.2f}")
            for r in reports.agency_times(cases, period, office.nation)
        ]
        return header, rows
    if kind == "caseload":
        return ["Caseworker", "Open now", "Overdue now", "Opened in the period", "Closed in the period"], [
            tuple(r) for r in reports.caseload(cases, period)
        ]
    raise Http404("No such report.")


@login_required
def office_report_csv(request, pk, kind):
    office, membership = get_office_for_user(request, pk)
    form, period = _period(request)
    if period is None:
        return HttpResponse(form.problem(), status=400, content_type="text/plain; charset=utf-8")
    cases = reports.office_cases_for_report(office, membership, request.user)
    header, rows = _rows(kind, cases, period, office)
    writer = line_writer()
    body = "".join(writer.writerow(safe_row(row)) for row in [header, *rows])
    services.report_viewed(user=request.user, office=office, report=kind, request=request, format="csv",
                           start=period.start.isoformat(), end=period.end.isoformat())  # fmt: skip
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"{office.reference_prefix.lower()}-{kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def clp_counts(request, pk):
    """A CLP secretary's or officer's view of the casework offices that share with the CLP: one
    topic's cases opened in one quarter, by ward, small cells suppressed (casework.reports.clp_counts)."""
    constituency = Constituency.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if constituency is None or not reports.may_see_clp_counts(request.user, constituency):
        raise Http404("No such page here.")
    form = ClpCountsForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        context = {"constituency": constituency, "form": form, "problem": form.problem()}
        return render(request, "casework/clp_counts.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    quarter = data.get("quarter") or reports.Quarter.of(timezone.localdate())
    counts = reports.clp_counts(constituency=constituency, quarter=quarter, topic=data.get("topic") or None)
    this = reports.Quarter.of(timezone.localdate())
    quarters = [this]
    for _ in range(7):
        quarters.append(quarters[-1].previous())
    services.report_viewed(user=request.user, office=None, report="clp_counts", request=request,
                           constituency=constituency.pk, quarter=quarter.key, topic=counts.topic)  # fmt: skip
    context = {
        "constituency": constituency,
        "form": form,
        "counts": counts,
        "quarter": quarter,
        "quarters": quarters,
    }
    return render(request, "casework/clp_counts.html", context)


@login_required
def office_settings(request, pk):
    office = _office_lead(request, pk)
    initial = {
        "share_counts_with_clp": office.share_counts_with_clp,
        "retention_days": office.retention_days,
        "allow_verbal_authority": office.allow_verbal_authority,
    }
    form = OfficeSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.office_settings_update(user=request.user, office=office, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _message(error))
        else:
            messages.success(request, "The office's settings are saved.")
            return redirect("casework:office_settings", pk=office.pk)
    status = 400 if form.errors else 200
    return render(request, "casework/office_settings.html", {"office": office, "form": form}, status=status)


@login_required
def retention_preview(request, pk):
    """What the nightly run will anonymise in the next month, for the office lead."""
    office = _office_lead(request, pk)
    rows = retention.preview(office)
    services.report_viewed(user=request.user, office=office, report="retention_preview", request=request,
                           cases=len(rows))  # fmt: skip
    context = {"office": office, "rows": rows, "days": retention.PREVIEW_DAYS}
    return render(request, "casework/retention_preview.html", context)


@login_required
def handover(request, pk):
    """The office lead hands a caseworker's cases to another, or closes them with an outcome: the
    first POST says what will happen, a second (confirmed, same count) does it."""
    office = _office_lead(request, pk)
    form = HandoverForm(request.POST or None, office=office)
    context = {"office": office, "form": form}
    if request.method != "POST":
        return render(request, "casework/handover.html", context)
    if not form.is_valid():
        context["problem"] = form.problem()
        return render(request, "casework/handover.html", context, status=400)
    data = form.cleaned_data
    try:
        plan = services.cases_handover_plan(user=request.user, office=office, **data)
    except ValidationError as error:
        context["problem"] = _message(error)
        return render(request, "casework/handover.html", context, status=400)
    confirmed = request.POST.get("confirm") == "yes"
    if confirmed and request.POST.get("count") == str(plan.count) and plan.count:
        ids = [c.pk for c in plan.cases]
        if plan.action == "hand_over":
            done = services.cases_hand_over(user=request.user, office=office, from_user=data["from_user"],
                                            to_user=data["to_user"], case_ids=ids)  # fmt: skip
            messages.success(
                request, f"{done} case{'s' if done != 1 else ''} handed over to {data['to_user']}."
            )
        else:
            done = services.cases_close_bulk(user=request.user, office=office, from_user=data["from_user"],
                                             case_ids=ids, outcome=data["outcome"])  # fmt: skip
            messages.success(request, f"{done} case{'s' if done != 1 else ''} closed.")
        return redirect("casework:handover", pk=office.pk)
    if confirmed:
        context["problem"] = "The cases changed since you looked: check the list again before confirming."
    context |= {"plan": plan, "outcome_label": dict(form.fields["outcome"].choices).get(plan.outcome, "")}
    return render(request, "casework/handover.html", context, status=409 if confirmed else 200)
