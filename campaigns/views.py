"""Canvassing pages. Thin: each starts with one access-checked lookup and calls services for writes."""

import json
import uuid

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns import packs, reports, services
from campaigns.forms import (
    CallListForm,
    CampaignForm,
    KnownPersonForm,
    PaperSheetForm,
    QuestionForm,
    ReasonForm,
    RelationForm,
    WalkListForm,
)
from campaigns.models import (
    CallEntry,
    CallList,
    Campaign,
    DoorOutcome,
    FollowUp,
    IntentionCode,
    LatestIntention,
    Pack,
    Question,
    Relation,
    Signup,
    Visit,
    WalkList,
)
from campaigns.offline import service_worker_response
from campaigns.services import SyncStatus
from campaigns.sync import MAX_BATCH, server_time, sync_batch
from labourhub.forms import SearchForm, parse_day_first_datetime
from labourhub.scoping import Action, can, constituencies_for, get_for_user
from labourhub.services import audit_record
from voters.models import Channel, Elector
from voters.services import elector_set_do_not_contact


def _number(value):
    """A posted id, or 0 (which matches nothing) when it is not a number."""
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def get_pack_for_user(request, pk, action=Action.CANVASS):
    return get_for_user(Pack, request, pk, action, related=("walk_list__campaign__constituency",))


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
    issued = services.pack_download_issue(pack=pack, user=request.user)
    audit_record(action="pack.download", request=request, obj=pack)
    return JsonResponse(
        packs.pack_download(pack=pack, token=issued.token), json_dumps_params={"separators": (",", ":")}
    )


@never_cache
@login_required
def pack_today(request, pk):
    """Doors in this pack knocked today: by someone else (so two canvassers do not repeat a street),
    and by this canvasser on another phone (so their own doors show as done on a second phone)."""
    pack = get_pack_for_user(request, pk)
    knocked = (
        pack.walk_list.campaign.visits.filter(elector__home__in=pack.doors.values("property"))
        .on_day(timezone.localdate())
        .order_by("received_at")
        .values_list("elector__home", "canvasser_id", "canvasser__full_name", "received_at")
    )
    doors = {}
    for home, canvasser_id, name, at in knocked:
        door = doors.setdefault(str(home), {})
        if canvasser_id == request.user.pk:
            door["mine"] = f"{timezone.localtime(at):%H:%M}"
        else:
            door["by"] = (name or "Another canvasser").split()[0]
            door["at"] = f"{timezone.localtime(at):%H:%M}"
    return JsonResponse({"doors": doors, "server_time": server_time()})


def pack_shared(request, token):
    """A pack's shared link (or QR code): opens only for a signed-in canvasser of that CLP."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    pack = Pack.objects.for_user(request.user, Action.CANVASS).filter(share_token=token).first()
    if pack is None:
        # The sheet or link an organiser handed out: it gives the pack to the canvasser who opens
        # it, if nobody has it yet. A pack given to someone else stays theirs.
        pack = packs.pack_to_claim(request.user, token)
        if pack is None:
            return render(request, "campaigns/pack_closed.html", status=403)
        services.pack_assign(pack=pack, canvasser=request.user, user=request.user)
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
    # How many answers a tombstone caught (the person objected or was erased): not recorded.
    caught = sum(result["status"] == SyncStatus.SUPPRESSED for result in results)
    return JsonResponse({"server_time": server_time(), "results": results, "suppressed": caught})


@never_cache
@require_GET
def ping(request):
    """Server time for the phone: is there really signal, and how far off is the phone's clock?"""
    return JsonResponse({"server_time": server_time()})


_SW_SHELL = [
    "css/labourhub.css",
    "vendor/htmx-2.0.11.min.js",
    "offline/queue.js",
    "campaigns/canvass.js",
    "campaigns/canvass.css",
    "campaigns/packlist.js",
    "offline/signout.js",
    "campaigns/campaigns.css",
    "campaigns/icon.svg",
    "campaigns/manifest.webmanifest",
    # The pack's map (issue 14, item 11): opens offline from the pack on the phone.
    "campaigns/door_map.js",
    "campaigns/door_map.css",
    "vendor/leaflet-1.9.4/leaflet.js",
    "vendor/leaflet-1.9.4/leaflet.css",
]
# The pack list too, so "On this phone" opens with no signal (it holds pack names, no people).
_SW_PAGES = r"^/campaigns/$|/packs/\d+/(canvass|map)/$"


@require_GET
def service_worker(request):
    """static/campaigns/sw.js, served from /campaigns/ so it may control the canvassing pages."""
    return service_worker_response(
        shell=_SW_SHELL, pages=_SW_PAGES, cache="lh-canvass-v1", scope=reverse("campaigns:index")
    )


@login_required
def index(request):
    """A canvasser's packs, and the campaigns an organiser runs."""
    campaigns = Campaign.objects.for_user(request.user, Action.CANVASS).select_related("constituency")
    my_packs = (
        Pack.objects.for_user(request.user)
        # ... and a visiting activist's pack, handed to them at a session's check-in (issue 17).
        .filter(Q(assigned_to=request.user) | Q(pk__in=Signup.objects.visiting_packs(request.user)))
        .select_related("walk_list__campaign")
        .annotate(people=Count("doors__property__electors"))
        .order_by("-walk_list__created_at", "number")
    )
    # Phone bankers are canvassers too: the call lists of the campaigns they may canvass for.
    call_lists = (
        CallList.objects.for_user(request.user, Action.CANVASS)
        .select_related("campaign")
        .order_by("-created_at")
    )
    return render(
        request,
        "campaigns/index.html",
        {
            "campaigns": campaigns,
            "my_packs": [
                (pack, packs.download_kb(doors=pack.door_count, people=pack.people)) for pack in my_packs
            ],
            "call_lists": call_lists,
            "organiser": can(request.user, Action.ORGANISE),
        },
    )


# --- The organiser's pages -------------------------------------------------------------------


def get_campaign_for_user(request, pk, action=Action.ORGANISE):
    return get_for_user(Campaign, request, pk, action, related=("constituency",))


@login_required
def campaign_create(request):
    constituencies = constituencies_for(request.user, Action.ORGANISE)
    if not constituencies.exists():
        raise PermissionDenied("Only organisers and officers start campaigns.")
    form = CampaignForm(request.POST or None, constituencies=constituencies)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect("campaigns:campaign", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


@login_required
def campaign(request, pk):
    campaign = get_campaign_for_user(request, pk)
    walk_lists = campaign.walk_lists.annotate(packs_count=Count("packs")).order_by("-created_at")
    open_follow_ups = campaign.follow_ups.open().values("kind").annotate(n=Count("pk"))
    return render(
        request,
        "campaigns/campaign.html",
        {
            "campaign": campaign,
            "version": campaign.current_survey_version(),
            "walk_lists": walk_lists,
            "call_lists": campaign.call_lists.all(),
            "open_follow_ups": open_follow_ups,
        },
    )


@login_required
def survey_edit(request, pk):
    """Add or remove a question: each edit is a new survey version; old answers keep theirs."""
    campaign = get_campaign_for_user(request, pk)
    survey = campaign.surveys.order_by("-created_at").first()
    if survey is None:
        raise Http404("This campaign has no survey.")
    version = survey.current_version
    action = request.POST.get("action")
    form = QuestionForm(request.POST if action == "add" else None)
    if request.method == "POST" and (action in ("remove", "reword") or form.is_valid()):
        key = request.POST.get("key", "")
        try:
            if action == "remove":
                services.survey_question_remove(survey=survey, key=key, user=request.user)
            elif action == "reword":
                text = request.POST.get("text", "")
                services.survey_question_reword(survey=survey, key=key, text=text, user=request.user)
            else:
                services.survey_question_add(survey=survey, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Saved as version {version.number + 1}.")
            return redirect("campaigns:survey_edit", pk=campaign.pk)
    return render(
        request,
        "campaigns/survey_edit.html",
        {
            "campaign": campaign,
            "survey": survey,
            "version": version,
            "questions": version.questions.select_related("party"),
            "versions": survey.versions.annotate(answers=Count("visits")).order_by("-number"),
            "form": form,
        },
    )


def _campaign_list_create(request, pk, *, form_class, create, setting, detail, what):
    """The page that builds a walk list or a call list from criteria: `create` is the service,
    `setting` the one form field besides name and criteria that it takes."""
    campaign = get_campaign_for_user(request, pk)
    form = form_class(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            created = create(
                campaign=campaign,
                name=form.cleaned_data["name"],
                criteria=form.criteria(),
                user=request.user,
                **{setting: form.cleaned_data[setting]},
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect(detail, pk=created.pk)
    return render(request, "campaigns/criteria_form.html", {"campaign": campaign, "form": form, "what": what})


@login_required
def walklist_create(request, pk):
    return _campaign_list_create(
        request,
        pk,
        form_class=WalkListForm,
        create=services.walk_list_create,
        setting="pack_size",
        detail="campaigns:walklist",
        what="walk list",
    )


@login_required
def walklist(request, pk):
    walk_list = get_object_or_404(
        WalkList.objects.for_user(request.user, Action.ORGANISE).select_related("campaign__constituency"),
        pk=pk,
    )
    packs = (
        walk_list.packs.select_related("assigned_to")
        .annotate(knocked=Count("visits__elector__home", distinct=True, filter=Q(visits__voided=False)))
        .order_by("number")
    )
    return render(
        request,
        "campaigns/walklist.html",
        {
            "walk_list": walk_list,
            "packs": packs,
            "canvassers": services.canvassers_for(walk_list.campaign.constituency),
        },
    )


@require_POST
@login_required
def pack_assign(request, pk):
    pack = get_pack_for_user(request, pk, Action.ORGANISE)
    canvasser = None
    if request.POST.get("canvasser"):
        canvasser = (
            services.canvassers_for(pack.campaign.constituency)
            .filter(pk=_number(request.POST["canvasser"]))
            .first()
        )
        if canvasser is None:
            messages.error(request, "Choose a canvasser of this CLP.")
            return redirect("campaigns:walklist", pk=pack.walk_list_id)
    services.pack_assign(pack=pack, canvasser=canvasser, user=request.user)
    messages.success(
        request, f"{pack.sheet_id} {'given to ' + str(canvasser) if canvasser else 'unassigned'}."
    )
    return redirect("campaigns:walklist", pk=pack.walk_list_id)


def _share_url(request, pack):
    return request.build_absolute_uri(reverse("campaigns:pack_shared", args=[pack.share_token]))


@login_required
def pack_print(request, pk):
    """The paper fallback: doors and people with boxes to mark, a sheet id and a QR code so the
    returned sheet is keyed in against the right doors."""
    pack = get_pack_for_user(request, pk)
    audit_record(action="pack.print", request=request, obj=pack)
    qr = segno.make(_share_url(request, pack), error="m")
    doors = packs.pack_doors(pack)
    return render(
        request,
        "campaigns/pack_print.html",
        {
            "pack": pack,
            "doors": packs.doors_marked(doors, packs.pack_resting(pack, doors)),
            "qr_svg": mark_safe(qr.svg_inline(scale=3, title=f"Pack {pack.sheet_id}")),  # noqa: S308 (segno's own SVG)
            "codes": IntentionCode.objects.active(),
            "outcomes": DoorOutcome.objects.active().filter(channel=Channel.DOOR),
        },
    )


@login_required
def pack_map(request, pk):
    """A map of the pack's doors. Like the canvassing page it is a shell holding no personal data:
    door_map.js draws the pack kept on the phone (campaigns.packs.pack_map), so it opens offline."""
    pack = get_pack_for_user(request, pk)
    audit_record(action="pack.map", request=request, obj=pack)
    return render(request, "campaigns/pack_map.html", {"pack": pack, "tiles": settings.MAP_TILE_URL})


@login_required
def follow_ups(request, pk):
    """Postal-vote requests, volunteer offers, register flags to review, call-backs."""
    campaign = get_campaign_for_user(request, pk)
    if request.method == "POST":
        follow_up = get_object_or_404(
            campaign.follow_ups.select_related("elector"),
            pk=_number(request.POST.get("follow_up")),
        )
        if request.POST.get("action") == "do_not_contact":
            elector_set_do_not_contact(
                elector=follow_up.elector,
                user=request.user,
                request=request,
                reason=f"{follow_up.detail} ({campaign.name})",
            )
        services.follow_up_done(follow_up=follow_up, user=request.user)
        return redirect(f"{reverse('campaigns:follow_ups', args=[campaign.pk])}?kind={follow_up.kind}")
    kind = request.GET.get("kind", "")
    tasks = campaign.follow_ups.open().select_related("elector__home", "visit__canvasser")
    if kind in FollowUp.Kind.values:
        tasks = tasks.filter(kind=kind)
    if request.GET.get("format") == "csv":  # e.g. postal-vote requests, to send the forms out
        audit_record(action="follow_ups.export", request=request, constituency=campaign.constituency)
        return reports.csv_response(
            f"follow-ups-{campaign.pk}.csv",
            ["what", "detail", "name", "address", "postcode", "elector number", "canvasser", "when"],
            (
                [
                    t.get_kind_display(),
                    t.detail,
                    t.elector.full_name,
                    t.elector.home.address if t.elector.home else "",
                    t.elector.home.postcode_display if t.elector.home else "",
                    t.elector.elector_number_raw,
                    str(t.visit.canvasser),
                    f"{timezone.localtime(t.due_at or t.created_at):%Y-%m-%d %H:%M}",
                ]
                for t in tasks.iterator(chunk_size=500)
            ),
        )
    audit_record(action="follow_ups.list", request=request, constituency=campaign.constituency)
    return render(
        request,
        "campaigns/follow_ups.html",
        {"campaign": campaign, "tasks": tasks[:500], "kind": kind, "kinds": FollowUp.Kind.choices},
    )


@login_required
def visits(request, pk):
    """Review a session's results (a canvasser's day) and void suspect ones."""
    campaign = get_campaign_for_user(request, pk)
    rows = campaign.visits.select_related("elector__home", "canvasser", "outcome").order_by("-received_at")
    canvasser, day = request.GET.get("canvasser", ""), request.GET.get("day", "")
    if canvasser.isdigit():
        rows = rows.filter(canvasser_id=int(canvasser))
    start, end, errors = reports.date_range({"from": day, "to": day})
    if start:
        rows = rows.filter(received_at__date=start)
    audit_record(action="visits.list", request=request, constituency=campaign.constituency)
    return render(
        request,
        "campaigns/visits.html",
        {
            "campaign": campaign,
            "visits": rows[:300],
            "sessions": reports.sessions(campaign.visits.all())[:100],
            "errors": errors,
            "form": ReasonForm(),
        },
    )


@require_POST
@login_required
def visit_void(request, pk):
    visit = get_object_or_404(Visit.objects.for_user(request.user, Action.ORGANISE), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why.")
    else:
        try:
            services.visit_void(
                visit=visit, user=request.user, reason=form.cleaned_data["reason"], voided=not visit.voided
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("campaigns:visits", pk=visit.campaign_id)


@login_required
def report(request, pk):
    campaign = get_campaign_for_user(request, pk)
    start, end, errors = reports.date_range(request.GET)
    counted = reports.visits_for(campaign, start, end)
    areas = reports.by_area(campaign, counted)
    data = {
        "areas": areas,
        "wards": reports.by_ward(areas),
        "intentions": reports.intentions(counted),
        "canvassers": reports.per_canvasser(counted),
        "trend": [
            {"day": r["day"].isoformat(), "visits": r["visits"], "spoke": r["spoke"]}
            for r in reports.trend(counted)
        ],
    }
    audit_record(action="report.view", request=request, constituency=campaign.constituency)
    return render(
        request,
        "campaigns/report.html",
        {"campaign": campaign, "data": data, "errors": errors, "start": start, "end": end},
    )


@login_required
def report_csv(request, pk):
    campaign = get_campaign_for_user(request, pk)
    start, end, _ = reports.date_range(request.GET)
    areas = reports.by_area(campaign, reports.visits_for(campaign, start, end))
    audit_record(action="report.export", request=request, constituency=campaign.constituency)
    return reports.csv_response(
        f"canvass-report-{campaign.pk}.csv",
        ["ward", "polling district", "electors", "reached", "spoke", "visits", "contact rate %"],
        (
            [r["ward"], r["pd"], r["electors"], r["reached"], r["spoke"], r["visits"], r["rate"]]
            for r in areas
        ),
    )


@login_required
def issues(request, pk):
    """Issues raised on the doorstep by ward and polling district, over time, as a table and a map."""
    campaign = get_campaign_for_user(request, pk)
    start, end, errors = reports.date_range(request.GET)
    counted = reports.visits_for(campaign, start, end)
    rows = reports.issues_by_area(counted)
    weeks = [
        {"week": r["week"].date().isoformat(), "issue": r["issue__label"], "n": r["n"]}
        for r in reports.issues_by_week(counted)
    ]
    audit_record(action="issues.view", request=request, constituency=campaign.constituency)
    return render(
        request,
        "campaigns/issues.html",
        {
            "campaign": campaign,
            "rows": rows,
            "map": {"rows": rows, "tiles": settings.MAP_TILE_URL},
            "weeks": weeks,
            "errors": errors,
            "start": start,
            "end": end,
        },
    )


@login_required
def issues_csv(request, pk):
    campaign = get_campaign_for_user(request, pk)
    start, end, _ = reports.date_range(request.GET)
    rows = reports.issues_by_area(reports.visits_for(campaign, start, end))
    audit_record(action="issues.export", request=request, constituency=campaign.constituency)
    return reports.csv_response(
        f"doorstep-issues-{campaign.pk}.csv",
        ["ward", "polling district", "issue", "times raised"],
        ([r["ward"], r["pd"], r["issue"], r["n"]] for r in rows),
    )


# --- Phone banks --------------------------------------------------------------------------------


@login_required
def calllist_create(request, pk):
    return _campaign_list_create(
        request,
        pk,
        form_class=CallListForm,
        create=services.call_list_create,
        setting="script",
        detail="campaigns:calllist",
        what="call list",
    )


def get_call_list_for_user(request, pk, action=Action.CANVASS):
    return get_for_user(CallList, request, pk, action, related=("campaign__constituency",))


@login_required
def calllist(request, pk):
    call_list = get_call_list_for_user(request, pk)
    counts = dict(call_list.entries.values_list("status").annotate(n=Count("pk")).order_by())
    counts["finished"] = counts.get("done", 0) + counts.get("skipped", 0)
    return render(request, "campaigns/calllist.html", {"call_list": call_list, "counts": counts})


@require_POST
@login_required
def call_next(request, pk):
    call_list = get_call_list_for_user(request, pk)
    entry = services.call_claim_next(call_list=call_list, user=request.user)
    if entry is None:
        messages.success(request, "Nobody left to call on this list right now. Thank you!")
        return redirect("campaigns:calllist", pk=call_list.pk)
    return redirect("campaigns:call", pk=entry.pk)


def _phone_answers(post, version):
    """The caller's form, read into the answers `canvass_record_visit` takes."""
    answers = {}
    for question in version.questions.all() if version else []:
        name = f"q-{question.key}"
        value = post.get(name, "")
        if question.kind == Question.Kind.INTENTION and value:
            answers[question.key] = {"code": value, "strength": post.get(f"{name}-strength", "")}
        elif question.kind == Question.Kind.LIKELIHOOD and value.isdigit():
            answers[question.key] = int(value)
        elif question.kind == Question.Kind.ISSUES and (post.getlist(name) or post.get(f"{name}-other")):
            answers[question.key] = {"codes": post.getlist(name), "other": post.get(f"{name}-other", "")}
        elif question.kind == Question.Kind.YES_NO and value in ("yes", "no"):
            answers[question.key] = value == "yes"
        elif question.kind == Question.Kind.TEXT and value.strip():
            answers[question.key] = value.strip()
    return answers


@login_required
def call(request, pk):
    """One person to call: number, script, survey, outcome. Only the caller who claimed it."""
    entry = get_object_or_404(
        CallEntry.objects.for_user(request.user, Action.CANVASS)
        .filter(claimed_by=request.user, status=CallEntry.Status.CLAIMED)
        .select_related("call_list__campaign__constituency", "elector__home", "phone"),
        pk=pk,
    )
    version = entry.call_list.campaign.current_survey_version()
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        spoke = DoorOutcome.objects.filter(code=outcome, channel=Channel.PHONE, spoke=True).exists()
        try:
            call_back_at = _call_back_at(request.POST.get("call_back_at"))
            result = services.call_record(
                entry=entry,
                user=request.user,
                outcome=outcome,
                client_uuid=request.POST.get("client_uuid", ""),
                answers=_phone_answers(request.POST, version) if spoke else None,
                notes=request.POST.get("notes", ""),
                call_back_at=call_back_at,
            )
        except ValidationError as error:
            problem = " ".join(error.messages).removeprefix("call_back_at: ")
            messages.error(request, problem[:1].upper() + problem[1:])
        else:
            messages.success(request, "Call recorded." if result.status == "recorded" else result.message)
            if request.POST.get("then") == "next":  # "Save and call the next person"
                return call_next(request, entry.call_list_id)
            return redirect("campaigns:calllist", pk=entry.call_list_id)
    audit_record(action="call.view", request=request, obj=entry.elector)
    latest = (
        LatestIntention.objects.for_user(request.user, Action.CANVASS)
        .filter(elector=entry.elector)
        .select_related("intention")
        .first()
    )
    return render(
        request,
        "campaigns/call.html",
        {
            "entry": entry,
            "latest": latest,
            "version": version,
            "questions": version.questions.select_related("party") if version else [],
            "codes": IntentionCode.objects.active(),
            "outcomes": DoorOutcome.objects.active().filter(channel=Channel.PHONE),
            "client_uuid": uuid.uuid4(),
            "likelihood": range(11),
        },
    )


def _call_back_at(text):
    """The call-back time typed day first (labourhub.forms.parse_day_first_datetime)."""
    try:
        return parse_day_first_datetime(text)
    except ValidationError as problem:
        raise ValidationError(f"Say when to call back: {problem.messages[0]}") from None


# --- Relations ---------------------------------------------------------------------------------


def _findable(request, source):
    """(query, electors this user may find to add to their people, what is wrong with the search)
    from the search in `source` (GET or POST).

    Roles that view the register search it by surname or postcode (`q`). A canvasser does not
    browse the register: they find only someone whose surname and full postcode they already know.
    """
    if can(request.user, Action.VIEW_VOTERS):
        form = SearchForm(source)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        if len(query) < 2:
            return query, Elector.objects.none(), form.problem()
        electors = Elector.objects.for_user(request.user).filter(
            Q(surname__istartswith=query) | Q(home__postcode=query.replace(" ", "").upper())
        )
        return query, electors, ""
    form = KnownPersonForm(source)
    if not form.is_valid():
        return "", Elector.objects.none(), form.problem()
    surname, postcode = form.cleaned_data["surname"], form.cleaned_data["postcode"]
    if not surname or len(postcode) < 5:
        return "", Elector.objects.none(), ""
    electors = Elector.objects.for_user(request.user, Action.CANVASS).filter(
        surname__iexact=surname, home__postcode=postcode
    )
    return f"{surname} {postcode}", electors, ""


@login_required
def relations(request):
    """My people: voters I know, what is known of them, and a search to add more."""
    if not can(request.user, Action.CANVASS):
        raise PermissionDenied("Relations are for canvassers and organisers.")
    if request.method == "POST":
        form = RelationForm(request.POST)
        if form.is_valid():
            findable = Elector.objects.for_user(request.user) | _findable(request, request.POST)[1]
            elector = get_object_or_404(findable, pk=form.cleaned_data["elector"])
            services.relation_add(owner=request.user, elector=elector, kind=form.cleaned_data["kind"])
            messages.success(request, f"{elector.full_name} added to your people.")
        return redirect("campaigns:relations")
    mine = (
        Relation.objects.for_user(request.user)
        .of(request.user)
        .select_related("elector__home")
        .annotate(
            intention=Subquery(
                LatestIntention.objects.for_user(request.user, Action.CANVASS)
                .filter(elector=OuterRef("elector"))
                .values("intention__code")[:1]
            )
        )
    )
    query, findable, problem = _findable(request, request.GET)
    found = []
    if query:
        found = findable.on_register().select_related("home").order_by("surname", "first_names")[:20]
        audit_record(
            action="relations.search", request=request, scope_action=Action.CANVASS, detail={"q": query}
        )
    by_ward = []
    if can(request.user, Action.ORGANISE):
        by_ward = (
            Relation.objects.for_user(request.user, Action.ORGANISE)
            .values("elector__polling_district__ward__name")
            .annotate(people=Count("pk"), organisers=Count("owner", distinct=True))
            .order_by("-people")
        )
    return render(
        request,
        "campaigns/relations.html",
        {
            "mine": [(relation, uuid.uuid4()) for relation in mine],
            "found": found,
            "query": query,
            "browse": can(request.user, Action.VIEW_VOTERS),
            "search": request.GET,
            "problem": problem,
            "kinds": Relation.Kind.choices,
            "by_ward": by_ward,
            "codes": IntentionCode.objects.active(),
        },
        status=400 if problem else 200,
    )


@require_POST
@login_required
def relation_contact(request, pk):
    """I talked to someone I know: recorded like any other contact, in their CLP's running campaign."""
    relation = get_object_or_404(
        Relation.objects.for_user(request.user).of(request.user).select_related("elector__polling_district"),
        pk=pk,
    )
    constituency = relation.elector.polling_district.constituency_id
    campaign = (
        Campaign.objects.for_user(request.user)
        .filter(constituency=constituency)
        .running()
        .order_by("-starts_on")
        .first()
    )
    if campaign is None:
        messages.error(request, "There is no running campaign to record this in: ask your organiser.")
        return redirect("campaigns:relations")
    channel = Channel.PHONE if request.POST.get("channel") == Channel.PHONE else Channel.DOOR
    code = request.POST.get("intention", "")
    result = services.canvass_record_visit(
        canvasser=request.user,
        campaign=campaign,
        elector=relation.elector,
        outcome="answered" if channel == Channel.PHONE else "spoke",
        client_uuid=request.POST.get("client_uuid", ""),
        answers={"vi": {"code": code, "strength": request.POST.get("strength", "")}} if code else None,
        notes=request.POST.get("notes", "")[:4000],
        survey_version=campaign.current_survey_version() if code else None,
        channel=channel,
    )
    if result.status in (SyncStatus.REFUSED, SyncStatus.CONFLICT):
        messages.error(request, result.message)
    else:
        messages.success(request, f"Conversation with {relation.elector.full_name} recorded.")
    return redirect("campaigns:relations")


@require_POST
@login_required
def relation_remove(request, pk):
    relation = get_object_or_404(Relation.objects.for_user(request.user).of(request.user), pk=pk)
    services.relation_remove(relation=relation, user=request.user)
    return redirect("campaigns:relations")


@login_required
def paper_entry(request, pk):
    """Key in a returned paper sheet: find it by its sheet id, mark each elector's outcome and
    intention. Each row carries a UUID made when the form was shown, so submitting twice is safe."""
    campaign = get_campaign_for_user(request, pk)
    sheet = (request.POST.get("sheet") or request.GET.get("sheet") or "").strip().upper()
    pack = (
        Pack.objects.for_user(request.user, Action.ORGANISE)
        .filter(walk_list__campaign=campaign, sheet_id=sheet)
        .first()
        if sheet
        else None
    )
    if sheet and pack is None:
        messages.error(request, f"No sheet {sheet} in this campaign.")
    canvassers = services.canvassers_for(campaign.constituency)
    doors = packs.pack_doors(pack) if pack else []
    if request.method == "POST" and pack is not None:
        electors = [elector for _, on_door in doors for elector in on_door]
        form = PaperSheetForm(request.POST, canvassers=canvassers, electors=electors)
        if not form.is_valid():
            messages.error(request, " ".join(form.non_field_errors()) or form.errors.as_text())
        else:
            results = services.paper_sheet_record(
                campaign=campaign,
                pack=pack,
                canvasser=form.cleaned_data["canvasser"],
                knocked_on=form.cleaned_data["knocked_on"],
                rows=form.rows(),
                user=request.user,
                http_request=request,
            )
            refused = [r.message for r in results if r.status in ("refused", "conflict")]
            recorded = sum(r.status == "recorded" for r in results)
            messages.success(
                request,
                f"Sheet {pack.sheet_id}: {recorded} recorded, {len(results) - recorded - len(refused)} already in.",
            )
            for message in refused:
                messages.error(request, message)
            return redirect(f"{reverse('campaigns:paper_entry', args=[campaign.pk])}?sheet={pack.sheet_id}")
    return render(
        request,
        "campaigns/paper_entry.html",
        {
            "campaign": campaign,
            "sheet": sheet,
            "pack": pack,
            # Marked, never left out: a door knocked from a sheet printed before someone else
            # contacted the voter is still keyed in (the contact-frequency rule plans contact; it
            # never refuses to record one that happened).
            "rows": [
                (home, [(e, uuid.uuid4(), at) for e, at in people])
                for home, people, _ in packs.doors_marked(
                    doors, packs.pack_resting(pack, doors) if pack else {}
                )
            ],
            "canvassers": canvassers,
            "outcomes": DoorOutcome.objects.active().filter(channel="door"),
            "codes": IntentionCode.objects.active(),
            "today": timezone.localdate(),
        },
    )
