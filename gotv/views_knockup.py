"""Knock-up rounds: the organiser's round pages, the knocker's phone page for a pack, the printed
sheet (sheet id + QR), keying in paper returns once, and the sync endpoint phones post to.

Knock-up lists are for TELL or CANVASS grant holders only (gotv.knockup.elections_to_knock);
building, refreshing and keying in paper are the organiser's (ORGANISE).
"""

import json
import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Pack
from campaigns.offline import service_worker_response
from campaigns.sync import parse_time
from gotv import knockup, knockup_texts, offline, services
from gotv.models import BallotBoxDistrict, CommitteeRoom, KnockUpOutcome, KnockUpRound
from gotv.views import get_election_for_user
from labourhub.models import PollingDistrict
from labourhub.scoping import Action
from labourhub.services import audit_record

MAX_BATCH = 200
PAPER_NAMESPACE = uuid.UUID("2f0c8a6e-6a53-4d4c-9d0f-1b2b9c3e7a11")


def _room(request, pk, room_pk):
    election = get_election_for_user(request, pk, Action.ORGANISE)
    rooms = CommitteeRoom.objects.for_user(request.user, Action.ORGANISE).filter(election=election)
    return election, get_object_or_404(rooms, pk=room_pk)


def _round(request, pk, round_pk):
    election = get_election_for_user(request, pk, Action.ORGANISE)
    found = get_object_or_404(
        KnockUpRound.objects.for_user(request.user, Action.ORGANISE)
        .filter(committee_room__election=election)
        .select_related("committee_room", "walk_list"),
        pk=round_pk,
    )
    return election, found


def _pack(request, pack_pk):
    found = knockup.pack_for_knocker(request.user, pack_pk)
    if found is None:
        raise Http404("No such pack.")
    return found


@login_required
def rounds(request, pk, room_pk):
    """A committee room's rounds, and a new round from its knock-up list by road group."""
    election, room = _room(request, pk, room_pk)
    districts = PollingDistrict.objects.filter(
        pk__in=BallotBoxDistrict.objects.filter(box__committee_room_link__committee_room=room).values(
            "polling_district"
        )
    ).order_by("code")
    errors = []
    texts = _texts(request, room, districts)
    if texts.get("done"):
        return redirect("gotv:knockup_rounds", election.pk, room.pk)
    if request.method == "POST" and request.POST.get("part") != "text":
        chosen = [d for d in districts if str(d.pk) in request.POST.getlist("district")]
        streets = [s for s in request.POST.get("streets", "").split(",") if s.strip()]
        try:
            pack_size = int(request.POST.get("pack_size") or 30)
            made = services.knock_up_round_create(
                committee_room=room, user=request.user, name=request.POST.get("name", ""),
                polling_districts=chosen, streets=streets, pack_size=pack_size,
            )  # fmt: skip
        except ValueError:
            errors.append("pack_size: a whole number of doors, e.g. 30.")
        except ValidationError as error:
            errors.extend(error.messages)
        else:
            return redirect("gotv:knockup_round", election.pk, made.pk)
    return render(
        request,
        "gotv/knockup_rounds.html",
        {"election": election, "room": room, "rounds": knockup.rounds_of(room), "districts": districts,
         "errors": errors, "texts": texts},
        status=400 if errors or texts.get("errors") else 200,
    )  # fmt: skip


def _texts(request, room, districts):
    """Knock-up texts (gotv/knockup_texts.py): choose a district, see how many will get the text and
    what it says, then send. Nothing of it shows with no SMS provider configured."""
    from labourhub import sms

    if not sms.sms_enabled():
        return {}
    texts = {"on": True, "body": knockup_texts.DEFAULT_TEXT, "errors": []}
    if request.method != "POST" or request.POST.get("part") != "text":
        return texts
    district = next((d for d in districts if str(d.pk) == request.POST.get("district")), None)
    texts["body"] = request.POST.get("body", "").strip()
    if district is None:
        texts["errors"].append("district: choose one of this room's polling districts.")
        return texts
    texts["district"] = district
    expected = request.POST.get("expected", "")
    if not expected.isdigit():  # the first press: say how many and ask
        texts["count"] = len(knockup_texts.recipients(room, district))
        return texts
    try:
        sent = knockup_texts.knock_up_text(
            user=request.user, room=room, district=district, body=texts["body"], expected=int(expected)
        )
    except ValidationError as error:
        texts["errors"].extend(error.messages)
        return texts
    messages.success(
        request, f"{sent} text{'s' if sent != 1 else ''} on their way to promises in {district.code}."
    )
    return {"done": True}


@login_required
def round_detail(request, pk, round_pk):
    """A round's packs with the doors each still has; refresh (move the stamp on) or close it."""
    election, found = _round(request, pk, round_pk)
    if request.method == "POST":
        if request.POST.get("action") == "close":
            services.knock_up_round_close(knock_up_round=found, user=request.user)
        else:
            services.knock_up_round_refresh(knock_up_round=found, user=request.user)
        return redirect("gotv:knockup_round", election.pk, found.pk)
    return render(
        request,
        "gotv/knockup_round.html",
        {"election": election, "round": found, "packs": knockup.round_packs(found)},
    )


@login_required
def pack(request, pack_pk):
    """The knocker's phone page: the pack's doors with promises still to get out, read now. HEAD
    answers only whether the pack is still this knocker's (the page's check, knockup.js)."""
    found, knock_up_round = _pack(request, pack_pk)
    if request.method == "HEAD":
        # The phone asking whether the pack is still theirs (static/gotv/knockup.js checkPage):
        # answered by the look-up above (404 once it is not), with no doors read or rendered.
        return HttpResponse()
    election = knock_up_round.committee_room.election
    now = timezone.now()
    doors = knockup.pack_doors_now(found, election)
    audit_record(action="knock_up.pack", request=request, obj=found, constituency=election.constituency)
    token = offline.download_token_issue(user=request.user, election=election, now=now)
    # What every person's form shares (CSRF, the download token, the outcome buttons) is rendered
    # once here: a pack is ~350 forms, refreshed all day (rendering each in full was most of the
    # page's cost). Each form keeps its own UUID, so a form posted twice is applied once.
    parts = {"token": token, "outcomes": KnockUpOutcome.Outcome.choices}
    return render(
        request,
        "gotv/knockup_pack.html",
        {
            "pack": found,
            "round": knock_up_round,
            "election": election,
            "doors": [(door, [(e, uuid.uuid4()) for e in door.electors]) for door in doors],
            "stamp": now,
            "token": token,
            "form_hidden": render_to_string(PERSON_PARTS, {**parts, "part": "hidden"}, request),
            "buttons": render_to_string(PERSON_PARTS, {**parts, "part": "buttons"}, request),
            "sw_scope": _sw_scope(),
        },
    )


PERSON_PARTS = "gotv/knockup_person_parts.html"


@login_required
def pack_print(request, pack_pk):
    """The paper sheet: stamped, with the sheet id and a QR code of the phone page."""
    found, knock_up_round = _pack(request, pack_pk)
    election = knock_up_round.committee_room.election
    qr = segno.make(request.build_absolute_uri(reverse("gotv:knockup_pack", args=[found.pk])), error="m")
    audit_record(action="knock_up.print", request=request, obj=found, constituency=election.constituency)
    return render(
        request,
        "gotv/knockup_print.html",
        {
            "pack": found,
            "round": knock_up_round,
            "doors": knockup.pack_doors_now(found, election),
            "stamp": timezone.now(),
            "outcomes": KnockUpOutcome.Outcome.choices,
            "qr_svg": mark_safe(qr.svg_inline(scale=3, title=f"Sheet {found.sheet_id}")),  # noqa: S308 (segno's own SVG)
        },
    )


@login_required
@require_POST
def outcome(request, pack_pk):
    """One door outcome from the phone page's form (the same client UUID twice is applied once)."""
    found, knock_up_round = _pack(request, pack_pk)
    election = knock_up_round.committee_room.election
    elector = knockup.elector_for_knocker(election, _int(request.POST.get("elector")))
    if elector is None:
        return render(request, "gotv/knockup_message.html", {"message": "elector: no such person on this sheet."},
                      status=400)  # fmt: skip
    result = services.knock_up_outcome_record(
        knocker=request.user, knock_up_round=knock_up_round, elector=elector, pack=found,
        outcome=request.POST.get("outcome", ""), client_uuid=request.POST.get("uuid", ""),
        downloaded_at=offline.download_time_read(request.POST.get("token"), user=request.user, election=election),
    )  # fmt: skip
    if result.status in ("recorded", "duplicate"):
        return redirect(f"{reverse('gotv:knockup_pack', args=[found.pk])}#door-{elector.home_id}")
    return render(
        request, "gotv/knockup_message.html", {"message": result.message, "pack": found}, status=400
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_SW_SHELL = ["css/labourhub.css", "vendor/htmx-2.0.11.min.js", "offline/queue.js", "gotv/knockup.js",
             "gotv/knockup.css"]  # fmt: skip
_SW_PAGES = r"/polling-day/knockup/pack/\d+/$"


@require_GET
def service_worker(request):
    """The shared offline service worker for the knocker's pack pages (so a pack reloads with no
    signal). The cached page holds the pack's names, as the canvassing page's IndexedDB does:
    static/gotv/knockup.js deletes it once the server says the pack is no longer this person's."""
    return service_worker_response(shell=_SW_SHELL, pages=_SW_PAGES, cache="lh-knockup-v1", scope=_sw_scope())


def _sw_scope():
    """Where the worker is served from (/polling-day/knockup/): the pack pages live under it."""
    return reverse("gotv:knockup_service_worker").rsplit("/", 1)[0] + "/"


@require_POST
def sync(request):
    """Queued outcomes from phones: {"token", "outcomes": [{"uuid", "pack", "elector", "outcome",
    "notes", "recorded_at", "token"}]} -> {"server_time", "results": [{"uuid", "status", "message"}]}.
    Each item is applied once per UUID; one bad item never stops the others. Each item may carry
    the download token of the page it was recorded on (else the batch's): the late-entry rule."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": "Sign in again to send your outcomes; they are safe on the phone."}, status=401
        )
    try:
        body = json.loads(request.body or b"{}")
        items = body["outcomes"]
        if not isinstance(items, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": 'Send JSON: {"token": ..., "outcomes": [...]}.'}, status=400)
    if len(items) > MAX_BATCH:
        return JsonResponse({"error": f"At most {MAX_BATCH} outcomes a batch."}, status=400)
    results, packs = [], {}
    for item in items:
        item = item if isinstance(item, dict) else {}
        pack_pk = _int(item.get("pack"))
        if pack_pk not in packs:
            packs[pack_pk] = knockup.pack_for_knocker(request.user, pack_pk) if pack_pk else None
        found = packs[pack_pk]
        token = item.get("token") or body.get("token")
        if found is None and pack_pk:  # tapped before this knocker's grant ended? (the late-entry rule)
            found = knockup.pack_for_late_entry(pack_pk, user=request.user, token=token)
        elector = (
            knockup.elector_for_knocker(found[1].committee_room.election, _int(item.get("elector")))
            if found
            else None
        )
        if found is None or elector is None:
            results.append(
                {"uuid": item.get("uuid"), "status": "refused", "message": "No such pack or person."}
            )
            continue
        election = found[1].committee_room.election
        result = services.knock_up_outcome_record(
            knocker=request.user, knock_up_round=found[1], elector=elector, pack=found[0],
            outcome=str(item.get("outcome", "")), client_uuid=item.get("uuid", ""), notes=str(item.get("notes", "")),
            recorded_at=parse_time(item.get("recorded_at")),
            downloaded_at=offline.download_time_read(token, user=request.user, election=election),
        )  # fmt: skip
        results.append({"uuid": item.get("uuid"), "status": result.status, "message": result.message})
    return JsonResponse({"server_time": timezone.now().isoformat(), "results": results})


@login_required
def paper(request, pk, round_pk):
    """Key in a returned paper sheet: find it by its sheet id, mark each person's outcome. Each
    (sheet, person) has one fixed UUID, so a sheet keyed in twice is applied once."""
    election, found = _round(request, pk, round_pk)
    sheet_id = (request.GET.get("sheet") or request.POST.get("sheet") or "").strip().upper()
    sheet = None
    if sheet_id:
        sheet = (
            Pack.objects.for_user(request.user, Action.ORGANISE)
            .filter(walk_list=found.walk_list_id, sheet_id=sheet_id)
            .first()
        )
    message, status = "", 200
    if sheet_id and sheet is None:
        message, status = f"sheet: {sheet_id} is not a sheet of {found}.", 400
    doors = knockup.pack_doors_all(sheet, election) if sheet is not None else []
    if request.method == "POST" and sheet is not None:
        counts = {"recorded": 0, "duplicate": 0, "refused": 0, "conflict": 0}
        for door in doors:
            for elector in door.electors:
                value = request.POST.get(f"o{elector.pk}", "")
                if not value:
                    continue
                result = services.knock_up_outcome_record(
                    knocker=request.user, knock_up_round=found, elector=elector, pack=sheet, outcome=value,
                    client_uuid=uuid.uuid5(PAPER_NAMESPACE, f"{sheet.pk}:{elector.pk}"), paper=True,
                )  # fmt: skip
                counts[result.status] += 1
        message = (
            f"Sheet {sheet.sheet_id}: {counts['recorded']} recorded, {counts['duplicate']} already keyed in"
            + (
                f", {counts['refused'] + counts['conflict']} refused"
                if counts["refused"] + counts["conflict"]
                else ""
            )
            + "."
        )
    return render(
        request,
        "gotv/knockup_paper.html",
        {"election": election, "round": found, "sheet": sheet, "sheet_id": sheet_id, "doors": doors,
         "outcomes": KnockUpOutcome.Outcome.choices, "message": message},
        status=status,
    )  # fmt: skip
