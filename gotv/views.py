"""Polling-day office pages. Thin: each starts with one access-checked lookup and calls services."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render

from gotv import services
from gotv.forms import StationImportForm
from gotv.forms_setup import CommitteeRoomForm, ElectionForm
from gotv.models import BallotBox, CommitteeRoom, Election
from labourhub.scoping import Action, can, get_for_user


def form_service(form, service, **arguments):
    """`service(**arguments, **form.cleaned_data)` when the form is valid; a ValidationError the
    service raises goes on the form (which keeps what was typed). The service's result, or None."""
    if not form.is_valid():
        return None
    try:
        return service(**arguments, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return None


def get_election_for_user(request, pk, action=Action.TELL):
    """The one lookup of an election for every polling-day page (office, telling, board, knock-up)."""
    return get_for_user(Election, request, pk, action, related=("constituency", "publication"))


@login_required
def index(request):
    """Every polling-day job: tellers and organisers open the election's page; canvassers (who
    do not TELL) reach the postal chase and their lifts from here."""
    telling = Election.objects.for_user(request.user, Action.TELL)
    canvassing = Election.objects.for_user(request.user, Action.CANVASS)
    if not (request.user.is_superuser or can(request.user, Action.TELL) or can(request.user, Action.CANVASS)):
        raise PermissionDenied("You have no role that allows this.")
    elections = (
        (telling | canvassing)
        .select_related("constituency")
        .annotate(
            may_tell=Exists(telling.filter(pk=OuterRef("pk"))),
            may_canvass=Exists(canvassing.filter(pk=OuterRef("pk"))),
            may_organise=Exists(
                Election.objects.for_user(request.user, Action.ORGANISE).filter(pk=OuterRef("pk"))
            ),
        )
    )
    jobs = {
        action: request.user.is_superuser or can(request.user, action)
        for action in (Action.TELL, Action.ORGANISE)
    }
    return render(
        request,
        "gotv/index.html",
        {"elections": elections, "may_tell": jobs[Action.TELL], "may_organise": jobs[Action.ORGANISE]},
    )


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


# --- Setting up: the election and its committee rooms (office pages, ORGANISE) ------------------


@login_required
def election_create(request):
    """A new election in a CLP where the user may ORGANISE (its polling-day campaign comes with it)."""
    if not (request.user.is_superuser or can(request.user, Action.ORGANISE)):
        raise PermissionDenied("You have no role that allows this.")
    form = ElectionForm(request.POST or None, user=request.user)
    election = form_service(form, services.election_create, user=request.user) if form.is_bound else None
    if election is not None:
        messages.success(request, f"{election.name} set up. Next: import its polling stations.")
        return redirect("gotv:election", pk=election.pk)
    status = 400 if form.is_bound else 200
    return render(request, "gotv/election_form.html", {"form": form}, status=status)


@login_required
def committee_room_create(request, pk):
    """A committee room of this election, with the boxes (or whole districts) it runs."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    form = CommitteeRoomForm(request.POST or None, election=election)
    room = (
        form_service(form, services.committee_room_create, election=election, user=request.user)
        if form.is_bound
        else None
    )
    if room is not None:
        boxes = len(form.cleaned_data["boxes"])
        messages.success(request, f"{room.name} added, running {boxes} box{'es' if boxes != 1 else ''}.")
        return redirect("gotv:election", pk=election.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "gotv/committee_room_form.html",
        {
            "election": election,
            "form": form,
            "has_main": election.committee_rooms.filter(is_main=True).exists(),
        },
        status=status,
    )
