"""Telling: the teller's phone page (keypad, undo, search, agents' counts) and the organiser's view
of the agents' counts. The page is an app shell holding no personal data; static/gotv/telling.js
queues every entry in IndexedDB and sends it to `telling_sync` (contract in gotv/telling_sync.py).
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import IntentionCode
from campaigns.offline import service_worker_response
from campaigns.sync import server_time
from gotv import offline
from gotv.models import BallotBox, BoxTurnoutCount, Election, WarpCount
from gotv.poll_numbers import BoxDistricts
from gotv.services import UNDO_LAST, warp_count_invalidate
from gotv.telling_sync import MAX_BATCH, telling_sync
from gotv.views import get_election_for_user
from labourhub.scoping import Action
from labourhub.services import audit_record
from voters.models import RegisterEntry

SEARCH_LIMIT = 20


def get_box_for_user(request, election_pk, box_pk):
    election = get_election_for_user(request, election_pk)
    boxes = BallotBox.objects.for_user(request.user, Action.TELL).select_related("station")
    box = get_object_or_404(boxes, election=election, pk=box_pk)
    return election, box


@login_required
def telling_home(request):
    """Pick the election and the box: today's and coming elections where this user may tell."""
    elections = (
        Election.objects.for_user(request.user, Action.TELL)
        .upcoming()
        .prefetch_related("boxes__station")
        .order_by("poll_date", "name")
    )
    return render(request, "gotv/telling_home.html", {"elections": elections})


@login_required
def telling_box(request, election, box):
    """The app shell for telling at one box. The signed download token is the server time the page
    was served: entries typed offline carry it (the late-entry rule), never the phone's clock."""
    election, box = get_box_for_user(request, election, box)
    districts = BoxDistricts.of(box)
    return render(
        request,
        "gotv/telling_box.html",
        {
            "election": election,
            "box": box,
            "districts": districts.label,
            "token": offline.download_token_issue(user=request.user, election=election),
            "undo_last": UNDO_LAST,
            "parties": IntentionCode.objects.active().filter(is_party=True),
        },
    )


@require_POST
def telling_sync_view(request):
    """The telling sync endpoint (contract in gotv/telling_sync.py). JSON in, JSON out, never a 500."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": "Sign in again to send your numbers; they are safe on the phone."}, status=401
        )
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return JsonResponse({"error": "The batch is too big: send fewer entries at once."}, status=413)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    items = body.get("entries") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return JsonResponse({"error": 'Expected {"entries": [...]}.'}, status=400)
    if len(items) > MAX_BATCH:
        return JsonResponse(
            {"error": f"At most {MAX_BATCH} entries per batch, got {len(items)}."}, status=400
        )
    results = telling_sync(user=request.user, items=items, request=request)
    return JsonResponse({"server_time": server_time(), "results": results})


@never_cache
@login_required
@require_GET
def telling_search(request, election, box):
    """Find a voter at this box by name or address when the card is missing: only what telling
    needs (name, address, number), only the box's districts, only the election's register."""
    election, box = get_box_for_user(request, election, box)
    words = request.GET.get("q", "").split()[:4]
    if not words or sum(len(w) for w in words) < 3:
        return JsonResponse({"error": "Type at least 3 letters of a name or an address.", "results": []})
    districts = BoxDistricts.of(box)
    entries = RegisterEntry.objects.for_user(request.user, Action.TELL).filter(
        publication_id=election.publication_id, polling_district_id__in=list(districts.codes)
    )
    for word in words:
        entries = entries.filter(
            Q(elector__surname__icontains=word)
            | Q(elector__first_names__icontains=word)
            | Q(elector__home__address__icontains=word)
            | Q(elector__home__postcode__icontains=word.replace(" ", ""))
        )
    found = [
        entry
        for entry in entries.select_related("elector__home").order_by(
            "elector__surname", "elector__first_names", "pk"
        )[: SEARCH_LIMIT + 1]
        if districts.covers(entry)
    ]
    audit_record(
        action="telling.search", request=request, obj=election, detail={"q": " ".join(words), "n": len(found)}
    )
    return JsonResponse(
        {
            "results": [
                {
                    "name": entry.elector.full_name,
                    "address": entry.elector.home.address if entry.elector.home_id else "",
                    "number": entry.elector_number_raw,
                }
                for entry in found[:SEARCH_LIMIT]
            ],
            "more": len(found) > SEARCH_LIMIT,
        }
    )


@never_cache
@require_GET
def telling_ping(request):
    """Server time: is there really signal, and is the phone's clock right?"""
    return JsonResponse({"server_time": server_time()})


_SW_SHELL = ["css/labourhub.css", "vendor/htmx-2.0.11.min.js", "offline/queue.js", "gotv/telling.js",
             "gotv/telling.css"]  # fmt: skip
_SW_PAGES = r"/polling-day/telling/\d+/box/\d+/$"


@require_GET
def telling_service_worker(request):
    """The shared offline service worker (static/campaigns/sw.js), for the telling pages' scope."""
    return service_worker_response(
        shell=_SW_SHELL, pages=_SW_PAGES, cache="lh-telling-v1", scope=reverse("gotv:telling_home")
    )


# --- The organiser's view of the agents' counts --------------------------------------------------


@login_required
def telling_counts(request, election):
    """Agents' counts per box: turnout snapshots (latest first, history kept) and WARP counts."""
    election = get_election_for_user(request, election, Action.ORGANISE)
    turnout = BoxTurnoutCount.objects.for_user(request.user, Action.ORGANISE).filter(election=election)
    warps = WarpCount.objects.for_user(request.user, Action.ORGANISE).filter(election=election)
    boxes = list(election.boxes.select_related("station").order_by("label"))
    by_box = {box.pk: {"box": box, "turnout": [], "warp": [], "warp_total": 0} for box in boxes}
    for count in turnout.select_related("recorded_by").order_by("-as_of", "-received_at"):
        by_box[count.box_id]["turnout"].append(count)
    for count in warps.select_related("party", "recorded_by").order_by("-recorded_at"):
        by_box[count.box_id]["warp"].append(count)
        if not count.invalid:
            by_box[count.box_id]["warp_total"] += count.votes
    return render(request, "gotv/telling_counts.html", {"election": election, "boxes": list(by_box.values())})


@login_required
@require_POST
def warp_invalidate(request, pk):
    """Mark a WARP count invalid (an organiser, with a reason); it stays listed, no longer added up."""
    count = get_object_or_404(
        WarpCount.objects.for_user(request.user, Action.ORGANISE).select_related("election"), pk=pk
    )
    try:
        warp_count_invalidate(warp_count=count, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Marked invalid at {timezone.localtime():%H:%M}: {count}.")
    return redirect("gotv:telling_counts", election=count.election_id)
