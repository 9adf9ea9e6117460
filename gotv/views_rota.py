"""The polling-day rota pages (issue 17 item 6): the grid (its live part refreshed by htmx, as the
board is), the bulk creation (shown first, then confirmed) and the CSV. Organisers only (ORGANISE,
the election's CLP). Thin: one access-checked lookup, gotv/rota.py to read, a service to write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from campaigns.reports import csv_response
from gotv import rota, rota_services
from gotv.forms_rota import RotaCreateForm
from gotv.views import get_election_for_user
from labourhub.scoping import Action
from labourhub.services import audit_record

REFRESH_SECONDS = 30


def _context(request, pk):
    election = get_election_for_user(request, pk, Action.ORGANISE)
    return {
        "election": election,
        "grid": rota.grid(election),
        "refresh": REFRESH_SECONDS,
        "now": timezone.now(),
    }


@login_required
def rota_page(request, pk):
    """Stations x blocks (tellers) and committee rooms x blocks (knockers, drivers), gaps marked."""
    context = _context(request, pk)
    audit_record(action="gotv.rota", request=request, obj=context["election"])
    return render(request, "gotv/rota.html", context)


@login_required
def rota_live(request, pk):
    """The grid alone, fetched again by htmx every REFRESH_SECONDS."""
    return render(request, "gotv/rota_grid.html", _context(request, pk))


@login_required
def rota_create(request, pk):
    """GET: the form. POST: what it will create, with a button to confirm; POST with `confirm`:
    create it."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    form = RotaCreateForm(request.POST or None)
    planned = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") == "1":
            made = rota_services.rota_create(user=request.user, election=election, **form.cleaned_data)
            messages.success(
                request, f"{len(made)} shifts added to the rota. Share each event's link to fill them."
            )
            return redirect("gotv:rota", pk=election.pk)
        planned = rota.plan(election, **form.cleaned_data)
    return render(request, "gotv/rota_create.html", {"election": election, "form": form, "plan": planned})


@login_required
def rota_csv(request, pk):
    election = get_election_for_user(request, pk, Action.ORGANISE)
    audit_record(action="gotv.rota_csv", request=request, obj=election)
    return csv_response(f"rota-{election.pk}.csv", rota.CSV_HEADER, rota.csv_rows(election))
