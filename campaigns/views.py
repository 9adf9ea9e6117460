"""Canvassing pages. Thin: each starts with one access-checked lookup and calls services for writes."""

import json

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns import packs
from campaigns.models import Campaign, Pack, Visit
from campaigns.sync import MAX_BATCH, server_time, sync_batch
from labourhub.scoping import Action, can
from labourhub.services import audit_record


def get_pack_for_user(request, pk, action=Action.CANVASS):
    return get_object_or_404(
        Pack.objects.for_user(request.user, action).select_related("walk_list__campaign__constituency"),
        pk=pk,
    )


# --- The canvasser's offline page ------------------------------------------------------


@login_required
def pack_canvass(request, pk):
    """The app shell for one pack. It holds no personal data: canvass.js fetches the pack into
    IndexedDB, so the page keeps working (and can be reloaded) with no signal."""
    pack = get_pack_for_user(request, pk)
    return render(request, "campaigns/canvass.html", {"pack": pack})


@never_cache
@login_required
def pack_data(request, pk):
    """Everything the phone needs for a pack: doors, household members, the survey, the codes."""
    pack = get_pack_for_user(request, pk)
    audit_record(action="pack.download", request=request, obj=pack)
    return JsonResponse(packs.pack_download(pack=pack), json_dumps_params={"separators": (",", ":")})


@never_cache
@login_required
def pack_today(request, pk):
    """Doors in this pack knocked today by someone else, so two canvassers do not repeat a street."""
    pack = get_pack_for_user(request, pk)
    knocked = (
        Visit.objects.filter(pack__walk_list=pack.walk_list, elector__home__in=pack.doors.values("property"))
        .on_day(timezone.localdate())
        .exclude(canvasser=request.user)
        .values_list("elector__home", "canvasser__full_name", "received_at")
    )
    doors = {}
    for home, name, at in knocked:
        doors[str(home)] = {
            "by": (name or "Another canvasser").split()[0],
            "at": f"{timezone.localtime(at):%H:%M}",
        }
    return JsonResponse({"doors": doors, "server_time": server_time()})


def pack_shared(request, token):
    """A pack's shared link (or QR code): opens only for a signed-in canvasser of that CLP."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    pack = Pack.objects.for_user(request.user, Action.CANVASS).filter(share_token=token).first()
    if pack is None:
        return render(request, "campaigns/pack_closed.html", status=403)
    return redirect("campaigns:pack_canvass", pk=pack.pk)


@require_POST
def sync(request):
    """The sync endpoint (contract in campaigns/sync.py). JSON in, JSON out, never a 500."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": "Sign in again to send your answers; they are safe on the phone."}, status=401
        )
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return JsonResponse({"error": "The batch is too big: send fewer answers at once."}, status=413)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    items = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return JsonResponse({"error": 'Expected {"answers": [...]}.'}, status=400)
    if len(items) > MAX_BATCH:
        return JsonResponse(
            {"error": f"At most {MAX_BATCH} answers per batch, got {len(items)}."}, status=400
        )
    results = sync_batch(user=request.user, items=items, request=request)
    return JsonResponse({"server_time": server_time(), "results": results})


@never_cache
@require_GET
def ping(request):
    """Server time for the phone: is there really signal, and how far off is the phone's clock?"""
    return JsonResponse({"server_time": server_time()})


_SW_SHELL = [
    "css/labourhub.css",
    "vendor/htmx-2.0.11.min.js",
    "campaigns/canvass.js",
    "campaigns/canvass.css",
    "campaigns/icon.svg",
    "campaigns/manifest.webmanifest",
]


@require_GET
def service_worker(request):
    """static/campaigns/sw.js, served from /campaigns/ so it may control the canvassing pages."""
    path = finders.find("campaigns/sw.js")
    if path is None:
        raise Http404("sw.js is missing")
    with open(path, encoding="utf-8") as source:
        script = source.read()
    shell = json.dumps([static(name) for name in _SW_SHELL])
    response = HttpResponse(f"const SHELL = {shell};\n{script}", content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("campaigns:index")
    return response


@login_required
def index(request):
    """A canvasser's packs, and the campaigns an organiser runs."""
    campaigns = Campaign.objects.for_user(request.user, Action.CANVASS).select_related("constituency")
    my_packs = (
        Pack.objects.for_user(request.user)
        .filter(assigned_to=request.user)
        .select_related("walk_list__campaign")
        .order_by("-walk_list__created_at", "number")
    )
    return render(
        request,
        "campaigns/index.html",
        {
            "campaigns": campaigns,
            "my_packs": my_packs,
            "organiser": can(request.user, Action.ORGANISE),
        },
    )
