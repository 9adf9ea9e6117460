"""The events report pages (issue 17 item 7): fill and no-show rates per event and shift, new
volunteers, hours given per ward, with charts and a CSV. Organisers of the CLPs they organise
(ORGANISE). Thin: the scoped events, campaigns/events_reports.py to read."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from campaigns import events_reports as reports
from campaigns.models import Event
from campaigns.reports import csv_response, date_range
from labourhub.scoping import Action, can
from labourhub.services import audit_record


def _read(request):
    if not can(request.user, Action.ORGANISE):
        raise PermissionDenied("Only organisers and officers read events reports.")
    start, end, errors = date_range(request.GET)
    events = Event.objects.for_user(request.user, Action.ORGANISE)
    shifts = reports.shifts_in(events, start, end)
    return events, shifts, start, end, errors


@login_required
def event_reports(request):
    events, shifts, start, end, errors = _read(request)
    shift_rows = reports.shift_rows(shifts)
    titles = dict(events.filter(pk__in={row.event_id for row in shift_rows}).values_list("pk", "title"))
    event_rows = reports.event_rows(shift_rows, titles)
    wards = reports.hours_by_ward(shifts)
    turnout = reports.invitation_turnout(shifts)
    audit_record(action="event.report", request=request)
    context = {
        "start": start,
        "end": end,
        "errors": errors,
        "total": reports.totals(shift_rows),
        "events": event_rows,
        "shifts": shift_rows,
        "new_volunteers": reports.new_volunteers(events, start, end),
        "wards": wards,
        "fill_chart": reports.bar_chart([(row.label, row.fill_rate or 0) for row in event_rows[:30]]),
        "ward_chart": reports.bar_chart(wards[:30]),
        "turnout": turnout,
        "turnout_chart": reports.bar_chart(
            [(f"{row.label}: {row.audience}", row.signed_up_rate or 0) for row in turnout[:30]]
        ),
    }
    return render(request, "campaigns/events/reports.html", context)


@login_required
def event_reports_csv(request):
    _, shifts, start, end, _ = _read(request)
    audit_record(action="event.report_export", request=request)
    if request.GET.get("part") == "invitations":  # turnout of invited audiences
        rows = reports.turnout_csv_rows(reports.invitation_turnout(shifts))
        return csv_response("events-invitations.csv", reports.TURNOUT_CSV_HEADER, rows)
    return csv_response("events-report.csv", reports.CSV_HEADER, reports.csv_rows(reports.shift_rows(shifts)))
