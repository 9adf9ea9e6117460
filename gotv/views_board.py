"""The committee-room board and the agent's constituency overview (office pages, organisers).

The page loads once; its live part (`board_live`) is fetched again every 20 s by htmx, so the
numbers move without a reload. The map keeps its Leaflet view and gets new doors from the
live part's JSON.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from gotv import board as boards
from gotv.models import CommitteeRoom
from gotv.views import get_election_for_user
from labourhub.scoping import Action
from labourhub.services import audit_record

REFRESH_SECONDS = 20


def _room_for(election, room_pk):
    if room_pk is None:
        return None
    return get_object_or_404(CommitteeRoom.objects.filter(election=election), pk=room_pk)


def _context(request, pk, room_pk):
    election = get_election_for_user(request, pk, Action.ORGANISE)
    room = _room_for(election, room_pk)
    data = boards.board(election, room)
    return {
        "election": election,
        "room": room,
        "board": data,
        "chart": boards.hour_chart(data.by_hour),
        "refresh": REFRESH_SECONDS,
        "map": {"doors": data.doors, "tiles": settings.MAP_TILE_URL},
        "rooms": CommitteeRoom.objects.filter(election=election) if room is None else (),
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
