"""The register's pages: find a voter, the single view of a voter, exports, imports, model versions.

Every view starts with one access-checked lookup through `.for_user(...)`, and every view or export
of personal data is written to the audit log.
"""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, FloatField, Q
from django.db.models.functions import Floor, Least
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from labourhub.csv_export import line_writer, safe_row
from labourhub.forms import SearchForm
from labourhub.scoping import Action, can, get_for_user, require
from labourhub.services import audit_record
from voters import learnt, services
from voters.forms import ContactForm, DoNotContactForm, ImportForm
from voters.models import Elector, ModelVersion, NameChangeReview, Property, RegisterImport
from voters.search import NAME_ORDER, CappedPaginator, search_electors

PAGE_SIZE = 50
CONTACTS_SHOWN = 200
RECENT_DAYS = 30


def get_elector_for_user(request, pk, action=Action.VIEW_VOTERS):
    return get_for_user(
        Elector, request, pk, action, related=("polling_district__constituency__region", "home")
    )


# --- Finding voters ---------------------------------------------------------------


@login_required
def search(request):
    require(request.user, Action.VIEW_VOTERS)
    form, q = SearchForm.of(request)
    electors = Elector.objects.for_user(request.user).select_related("polling_district", "home")
    properties = Property.objects.for_user(request.user)
    results = search_electors(electors, q, properties).order_by(*NAME_ORDER) if q else electors.none()
    page = CappedPaginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    summaries = learnt.summaries(request.user, [e.pk for e in page]) if q else {}
    for e in page:
        e.learnt = summaries.get(e.pk, "")
    if q:
        found = {"found": page.paginator.count, "more": page.paginator.more_than_cap}
        audit_record(
            action="elector.search",
            request=request,
            scope_action=Action.VIEW_VOTERS,
            detail={"q": q, **found},
        )
    can_export = can(request.user, Action.MANAGE_VOTERS)
    context = {"q": q, "page": page, "can_export": can_export, "problem": form.problem()}
    return render(request, "voters/search.html", context, status=400 if form.errors else 200)


@login_required
def export(request):
    """CSV of the electors a search finds (or all on the register). Audited; formula-like cells escaped."""
    require(request.user, Action.MANAGE_VOTERS)
    form, q = SearchForm.of(request)
    if form.errors:
        return HttpResponseBadRequest(form.problem(), content_type="text/plain; charset=utf-8")
    electors = search_electors(
        Elector.objects.for_user(request.user, Action.MANAGE_VOTERS).on_register(),
        q,
        Property.objects.for_user(request.user, Action.MANAGE_VOTERS),
    )
    electors = electors.select_related("polling_district", "home").order_by(
        "polling_district__code", "elector_number", "elector_suffix"
    )
    audit_record(
        action="elector.export",
        request=request,
        scope_action=Action.MANAGE_VOTERS,
        detail={"q": q, "rows": electors.count()},
    )
    response = StreamingHttpResponse(_csv_lines(electors), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="electors.csv"'
    return response


EXPORT_HEADER = [
    "elector_id", "elector_number", "title", "first_names", "surname", "markers", "attainment_date",
    "opted_out", "address", "postcode", "do_not_contact", "source",
]  # fmt: skip


def _csv_lines(electors):
    writer = line_writer()
    yield "\ufeff" + writer.writerow(EXPORT_HEADER)
    for e in electors.iterator(chunk_size=2000):
        home = e.home
        row = [
            e.pk, e.elector_number_raw, e.title, e.first_names, e.surname, e.markers_raw,
            e.attainment_date or "", "yes" if e.opted_out else "no", home.address if home else "",
            home.postcode_display if home else "", "yes" if e.do_not_contact else "no", "electoral register",
        ]  # fmt: skip
        yield writer.writerow(safe_row(row))


# --- The single view of a voter ------------------------------------------------------


@login_required
def elector_detail(request, pk):
    elector = get_elector_for_user(request, pk)
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    household = (
        Elector.objects.for_user(request.user).filter(home_id=elector.home_id).exclude(pk=elector.pk)
        if elector.home_id
        else Elector.objects.none()
    )
    contact_counts = elector.contacts.aggregate(
        total=Count("pk"), recent=Count("pk", filter=Q(at__gte=since))
    )
    contacts = list(elector.contacts.select_related("by")[:CONTACTS_SHOWN])
    answers = learnt.on_contacts(request.user, [c.pk for c in contacts])
    for c in contacts:
        c.learnt = answers.get(c.pk, [])
    context = {
        "elector": elector,
        "household": household.order_by("-on_register", "surname", "first_names"),
        "marks": elector.marks.select_related("source").order_by("-election"),
        "scores": elector.scores.select_related("model_version").order_by("-model_version__run_on", "name"),
        "latest": learnt.latest(request.user, elector),
        "contacts": contacts,
        "contact_counts": contact_counts,
        "recent_days": RECENT_DAYS,
        "contacts_shown": CONTACTS_SHOWN,
        "can_canvass": can(request.user, Action.CANVASS, elector.polling_district.constituency),
        "do_not_contact_form": DoNotContactForm(),
        "contact_form": ContactForm(),
    }
    audit_record(action="elector.view", request=request, obj=elector)
    return render(request, "voters/elector.html", context)


@login_required
@require_POST
def elector_do_not_contact(request, pk):
    elector = get_elector_for_user(request, pk)
    form = DoNotContactForm(request.POST)
    if form.is_valid():
        services.elector_set_do_not_contact(
            elector=elector, user=request.user, request=request, reason=form.cleaned_data["reason"]
        )
        messages.success(request, "Marked do not contact: every list will leave this voter out.")
    else:
        messages.error(request, "Say why this voter must not be contacted.")
    return redirect("voters:elector", pk=elector.pk)


@login_required
@require_POST
def elector_contact(request, pk):
    """Record a contact by hand (a call from the voter, a letter, meeting them at an event)."""
    elector = get_elector_for_user(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        services.contact_record(
            elector=elector, user=request.user, source="elector page", **form.cleaned_data
        )
        messages.success(request, "Contact recorded.")
    else:
        messages.error(request, "Choose how you were in contact.")
    return redirect("voters:elector", pk=elector.pk)


# --- Imports -----------------------------------------------------------------------------


@login_required
def imports(request):
    require(request.user, Action.MANAGE_VOTERS)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        record = services.register_import_create(
            constituency=form.cleaned_data.get("constituency"),
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            user=request.user,
            options=form.options(),
            queue=True,
        )
        return redirect("voters:import", pk=record.pk)
    recent = RegisterImport.objects.for_user(request.user).select_related("constituency", "uploaded_by")[:50]
    to_review = NameChangeReview.objects.for_user(request.user, Action.MANAGE_VOTERS).to_review().count()
    return render(
        request,
        "voters/imports.html",
        {"form": form, "imports": recent, "name_changes_to_review": to_review},
    )


@login_required
def import_detail(request, pk):
    record = get_object_or_404(
        RegisterImport.objects.for_user(request.user).select_related("constituency"), pk=pk
    )
    return render(request, "voters/import.html", {"record": record})


@login_required
def import_confirm(request, pk):
    """Apply an import that would take a large share of the register off it, after the person has
    seen the numbers and examples (shown on the import's page, which a GET shows here too)."""
    record = get_object_or_404(
        RegisterImport.objects.for_user(request.user).select_related("constituency"), pk=pk
    )
    if request.method == "POST":
        try:
            record = services.register_import_confirm(register_import=record, user=request.user)
        except ValueError as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, "Confirmed: the import is being applied.")
        return redirect("voters:import", pk=record.pk)
    return render(request, "voters/import.html", {"record": record})


@login_required
def import_progress(request, pk):
    """The progress bar (and, once finished, the report) that the import page polls with htmx."""
    record = get_object_or_404(RegisterImport.objects.for_user(request.user), pk=pk)
    return render(request, "voters/_import_progress.html", {"record": record})


# --- Possible name changes left by register imports ------------------------------------------

BULK_ACCEPT_MAX = 500  # one confirmation page lists every pair it accepts


def _name_changes_for(request, q=""):
    return (
        NameChangeReview.objects.for_user(request.user, Action.MANAGE_VOTERS)
        .to_review()
        .matching(q)
        .select_related(
            "earlier__home", "earlier__polling_district", "later__home", "later__polling_district"
        )
        .annotate(
            earlier_contacts=Count("earlier__contacts", distinct=True),
            later_contacts=Count("later__contacts", distinct=True),
        )
        .order_by("earlier__surname", "earlier_id", "pk")  # Meta.ordering is dropped with a GROUP BY
    )


@login_required
def name_changes(request):
    """Pairs of electors a register import thinks may be one person under a new surname, for an
    officer to decide; ticking several and accepting them asks first, naming each pair."""
    require(request.user, Action.MANAGE_VOTERS)
    q = (request.POST.get("q") or request.GET.get("q") or "").strip()[:100]
    reviews = _name_changes_for(request, q)
    if request.method == "POST":
        ids = [i for i in request.POST.getlist("review") if i.isdigit()]
        if request.POST.get("all_shown"):
            chosen = list(reviews[:BULK_ACCEPT_MAX])
        else:
            chosen = list(reviews.filter(pk__in=ids[:BULK_ACCEPT_MAX]))
        if not chosen:
            messages.error(request, "Tick the pairs you want to accept first.")
        elif request.POST.get("confirmed") == "yes":
            merged = services.name_change_reviews_accept(reviews=chosen, user=request.user, request=request)
            messages.success(
                request, f"{merged} pair{'s' if merged != 1 else ''} accepted as the same person."
            )
        else:
            return render(request, "voters/name_changes_confirm.html", {"reviews": chosen, "q": q})
        return redirect(
            f"{reverse('voters:name_changes')}?{urlencode({'q': q})}" if q else "voters:name_changes"
        )
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(action="elector.name_changes", request=request, scope_action=Action.MANAGE_VOTERS)
    return render(request, "voters/name_changes.html", {"page": page, "q": q})


@login_required
@require_POST
def name_change_decide(request, pk):
    review = get_for_user(NameChangeReview, request, pk, Action.MANAGE_VOTERS)
    decision = request.POST.get("decision")
    accept = decision == "accept"
    try:
        if decision not in ("accept", "reject"):
            raise ValueError("Choose Same person or Different people.")
        services.name_change_review_decide(review=review, accept=accept, user=request.user, request=request)
    except ValueError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request, "Merged: one person, with both histories." if accept else "Kept as two people."
        )
    q = request.POST.get("q", "").strip()[:100]
    return redirect(f"{reverse('voters:name_changes')}?{urlencode({'q': q})}" if q else "voters:name_changes")


# --- Model versions ------------------------------------------------------------------


@login_required
def model_versions(request):
    require(request.user, Action.VIEW_VOTERS)
    versions = ModelVersion.objects.for_user(request.user).select_related("constituency")
    return render(request, "voters/model_versions.html", {"versions": versions})


@login_required
def model_version_detail(request, pk):
    version = get_object_or_404(
        ModelVersion.objects.for_user(request.user).select_related("constituency"), pk=pk
    )
    buckets = (
        version.scores.all()
        .annotate(bucket=Least(Floor(F("value") * 10.0), 9.0, output_field=FloatField()))  # 1.0 joins 0.9-1
        .values("name", "bucket")
        .annotate(n=Count("pk"))
        .order_by("name", "bucket")
    )
    histogram = {}
    for row in buckets:
        histogram.setdefault(row["name"], []).append(row)
    for rows in histogram.values():
        peak = max(r["n"] for r in rows)
        for r in rows:
            r["low"], r["high"], r["peak"] = r["bucket"] / 10, (r["bucket"] + 1) / 10, peak
    name = request.GET.get("score", "")
    low, high = _float(request.GET.get("min"), 0.0), _float(request.GET.get("max"), 1.0)
    electors = Elector.objects.none()
    if name in version.score_names:
        electors = (
            Elector.objects.for_user(request.user)
            .filter(
                scores__model_version=version,
                scores__name=name,
                scores__value__gte=low,
                scores__value__lte=high,
            )
            .select_related("polling_district", "home")
            .order_by("polling_district__code", "elector_number", "elector_suffix")
        )
        audit_record(
            action="elector.score_query",
            request=request,
            constituency=version.constituency,
            detail={"model_version": version.pk, "score": name, "min": low, "max": high},
        )
    page = Paginator(electors, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "version": version,
        "histogram": histogram,
        "page": page,
        "score": name,
        "low": low,
        "high": high,
    }
    return render(request, "voters/model_version.html", context)


def _float(value, default):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
