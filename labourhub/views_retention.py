"""The retention preview (issue 16, item 4): per CLP, what the nightly run will remove a month from
now, category by category, the records themselves (paged) and the last run's counts. For the CLP
secretary and the data protection lead (PROTECT_DATA)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from labourhub import retention
from labourhub.models import AuditEvent, Constituency
from labourhub.scoping import Action, constituencies_for, require
from labourhub.services import audit_record

RECORDS_PAGE_SIZE = 50


def get_protected_constituency(request, pk) -> Constituency:
    """The CLP `pk` where the user may PROTECT_DATA, or 404."""
    found = (
        constituencies_for(request.user, Action.PROTECT_DATA).filter(pk=pk).select_related("region").first()
    )
    if found is None:
        raise Http404("No such CLP here.")
    return found


@login_required
def retention_index(request):
    require(request.user, Action.PROTECT_DATA)
    clps = list(constituencies_for(request.user, Action.PROTECT_DATA).order_by("name")[:1000])
    return render(request, "labourhub/retention_index.html", {"clps": clps})


@login_required
def retention_preview(request, pk):
    constituency = get_protected_constituency(request, pk)
    on = retention.preview_date()
    rows = [
        {"due": item, "count": item.count, "cutoff": item.cutoff}
        for item in retention.due(constituency, retention.start_of(on))
    ]
    last_run = (
        AuditEvent.objects.filter(constituency=constituency, action="retention.run").order_by("-at").first()
    )
    audit_record(action="retention.preview", request=request, constituency=constituency)
    return render(
        request,
        "labourhub/retention_preview.html",
        {
            "constituency": constituency,
            "on": on,
            "removed": [row for row in rows if not row["due"].category.held],
            "held": [row for row in rows if row["due"].category.held],
            "last_run": last_run,
            "last_run_rows": _last_run_rows(last_run),
        },
    )


def _last_run_rows(event):
    if event is None:
        return []
    labels = {c.key: c.label for c in retention.categories()}
    removed = event.detail.get("removed", {})
    return [(labels.get(key, key), count) for key, count in removed.items()]


@login_required
def retention_records(request, pk, key):
    """The records of one category that the run on the preview date removes, 50 a page."""
    constituency = get_protected_constituency(request, pk)
    category = retention.category(key)
    if category is None:
        raise Http404("No such kind of record.")
    on = retention.preview_date()
    (item,) = retention.due(constituency, retention.start_of(on), keys=[key])
    queryset = item.queryset.select_related(*category.related).order_by("pk")
    page = Paginator(queryset, RECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        action="retention.records",
        request=request,
        constituency=constituency,
        detail={"category": key, "page": page.number},
    )
    return render(
        request,
        "labourhub/retention_records.html",
        {
            "constituency": constituency,
            "category": category,
            "on": on,
            "cutoff": item.cutoff,
            "page": page,
            "lines": [category.describe(row) for row in page.object_list],
        },
    )
