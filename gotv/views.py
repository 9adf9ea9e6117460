"""Polling-day office pages. Thin: each starts with one access-checked lookup and calls services."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from gotv import services
from gotv.forms import StationImportForm
from gotv.models import BallotBox, CommitteeRoom, Election
from labourhub.scoping import Action, can, get_for_user


def get_election_for_user(request, pk, action=Action.TELL):
    """The one lookup of an election for every polling-day page (office, telling, board, knock-up)."""
    return get_for_user(Election, request, pk, action, related=("constituency", "publication"))


@login_required
def index(request):
    if not (request.user.is_superuser or can(request.user, Action.TELL)):
        raise PermissionDenied("You have no role that allows this.")
    elections = Election.objects.for_user(request.user).select_related("constituency")
    return render(request, "gotv/index.html", {"elections": elections})


@login_required
def election(request, pk):
    election = get_election_for_user(request, pk)
    boxes = (
        BallotBox.objects.for_user(request.user, Action.TELL)
        .filter(election=election)
        .select_related("station", "committee_room_link__committee_room")
        .prefetch_related("districts__polling_district")
        .order_by("station__name", "label")
    )
    rooms = (
        CommitteeRoom.objects.for_user(request.user, Action.TELL)
        .filter(election=election)
        .select_related("organiser")
    )
    return render(
        request,
        "gotv/election.html",
        {
            "election": election,
            "boxes": boxes,
            "rooms": rooms,
            "may_organise": can(request.user, Action.ORGANISE, election.constituency),
        },
    )


@login_required
def stations_import(request, pk):
    """Upload the council's polling station list into this election (all or nothing)."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    form = StationImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        with tempfile.NamedTemporaryFile(suffix=".csv") as stored:
            for chunk in form.cleaned_data["file"].chunks():
                stored.write(chunk)
            stored.flush()
            result = services.station_import(
                election=election,
                path=stored.name,
                layout=form.cleaned_data["layout"],
                columns=form.columns(),
                user=request.user,
            )
    status = 400 if result is not None and result.rejected else 200
    return render(
        request,
        "gotv/stations_import.html",
        {"election": election, "form": form, "result": result},
        status=status,
    )
