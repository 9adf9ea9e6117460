"""The committee-room board and the agent's constituency overview (office pages, organisers).

The page loads once; its live part (`board_live`) is fetched again every 20 s by htmx, so the
numbers move without a reload. The map keeps its Leaflet view and gets new doors from the
live part's JSON.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from campaigns.reports import csv_response
from gotv import afterpoll
from gotv import board as boards
from gotv.models import CommitteeRoom
from gotv.views import get_election_for_user
from labourhub.scoping import Action
from labourhub.services import audit_record

REFRESH_SECONDS = 20


def _rooms(request, election):
    return CommitteeRoom.objects.for_user(request.user, Action.ORGANISE).filter(election=election)


def _room_for(request, election, room_pk):
    if room_pk is None:
        return None
    return get_object_or_404(_rooms(request, election), pk=room_pk)


def _context(request, pk, room_pk):
    election = get_election_for_user(request, pk, Action.ORGANISE)
    room = _room_for(request, election, room_pk)
    data = boards.board(election, room)
    return {
        "election": election,
        "room": room,
        "board": data,
        "chart": boards.hour_chart(data.by_hour),
        "refresh": REFRESH_SECONDS,
        "map": {"doors": data.doors, "tiles": settings.MAP_TILE_URL},
        "rooms": _rooms(request, election) if room is None else (),
    }


@login_required
def board(request, pk, room_pk=None):
    """A committee room's board (`room_pk`), or the constituency overview across all rooms."""
    context = _context(request, pk, room_pk)
    audit_record(action="gotv.board", request=request, obj=context["room"] or context["election"])
    return render(request, "gotv/board.html", context)


@login_required
def board_live(request, pk, room_pk=None):
    """The board's live part, fetched by htmx every REFRESH_SECONDS."""
    return render(request, "gotv/board_live.html", _context(request, pk, room_pk))


@login_required
def after_poll(request, pk):
    """After the poll: the marked register against the telling, per box, for the next election.
    ?format=csv: the boxes' figures; ?format=promises-csv: the promises who did not vote."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    data = afterpoll.report(election)
    export = request.GET.get("format", "")
    if export == "csv":
        audit_record(action="gotv.after_poll.export", request=request, obj=election)
        return csv_response(
            f"after-poll-{election.pk}.csv",
            ["box", "station", "electors", "marked in person", "marked postal", "told", "told and marked",
             "told not marked", "marked not told", "telling accuracy %", "coverage %", "promises",
             "promises not voted", "hours with no teller"],
            ([line.label, line.box.station.name if line.box else "", line.electors, line.marked, line.postal_marked,
              line.told, line.told_marked, line.told_unmarked, line.missed, line.accuracy, line.coverage,
              line.promises, line.promises_not_voted, afterpoll.hours_label(line.gap_hours)]
             for line in data.boxes),
        )  # fmt: skip
    if export == "promises-csv":
        people = list(afterpoll.promises_not_voted(election))
        audit_record(action="gotv.after_poll.promises_export", request=request, obj=election,
                     detail={"rows": len(people)})  # fmt: skip
        return csv_response(
            f"promises-not-voted-{election.pk}.csv",
            ["poll number", "name", "address", "postcode", "intention", "postal voter"],
            ([e.poll_number_raw, e.full_name, e.home.address, e.home.postcode_display, e.intention_code,
              "yes" if e.postal else ""] for e in people),
        )  # fmt: skip
    if export:
        return render(request, "gotv/knockup_message.html",
                      {"message": f"format: {export!r} is not one of csv, promises-csv."}, status=400)  # fmt: skip
    audit_record(action="gotv.after_poll", request=request, obj=election)
    return render(request, "gotv/after_poll.html", {"election": election, "report": data,
                                                    "hours_label": afterpoll.hours_label})  # fmt: skip
