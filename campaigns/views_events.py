"""Event pages. The organiser's (ORGANISE, scoped to the CLP) and the public ones (an event's link,
a booking's link, a reminder's signed link). Thin: one access-checked lookup, a form, a service."""

from allauth.core.internal import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from campaigns import events, events_privacy, events_services
from campaigns.forms import (
    AskOtherClpsForm,
    EventForm,
    EventSignupForm,
    InviteForm,
    RepeatForm,
    ShiftForm,
    WalkInForm,
)
from campaigns.models import CallList, Event, EventInvitation, Pack, Shift, Signup, WalkList
from labourhub.models import User
from labourhub.scoping import ROLES_FOR, Action, can, constituencies_for, get_for_user, require


def _number(value):
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def get_event_for_user(request, pk, action=Action.ORGANISE):
    return get_for_user(Event, request, pk, action, related=("constituency", "contact"))


def _grants(constituencies):
    from labourhub.models import Grant

    return Grant.objects.filter(constituency__in=constituencies, role__in=ROLES_FOR[Action.ORGANISE])


def _choices(request, constituencies):
    return {
        "organisers": User.objects.filter(grants__in=_grants(constituencies), is_active=True)
        .distinct()
        .order_by("full_name"),
        "walk_lists": WalkList.objects.for_user(request.user, Action.ORGANISE)
        .filter(campaign__constituency__in=constituencies)
        .select_related("campaign"),
        "call_lists": CallList.objects.for_user(request.user, Action.ORGANISE)
        .filter(campaign__constituency__in=constituencies)
        .select_related("campaign"),
    }


# --- The organiser's pages ----------------------------------------------------------------------


EVENTS_PAGE = 50  # a page a phone can scroll; 200 rows took most of the list's time (bench_events)


@login_required
def event_list(request):
    """Upcoming and recent events with booked, confirmed and attended counts: a fixed number of
    queries (the events, their shifts, one grouped count of their sign-ups)."""
    constituencies = constituencies_for(request.user, Action.ORGANISE)
    if not constituencies.exists():
        raise PermissionDenied("Only organisers and officers run events.")
    show_past = request.GET.get("past") == "1"
    page = max(_number(request.GET.get("page")), 1)
    shown = events.listed(
        Event.objects.for_user(request.user, Action.ORGANISE),
        past=show_past,
        start=(page - 1) * EVENTS_PAGE,
        stop=page * EVENTS_PAGE + 1,  # one more: is there a next page?
    )
    return render(
        request,
        "campaigns/events/list.html",
        {
            "events": shown[:EVENTS_PAGE],
            # events/<id>/ built once, each row adding its id (no {% url %} per row; bench_events)
            "event_url": reverse("campaigns:event", args=[0]).removesuffix("0/"),
            "past": show_past,
            "page": page,
            "more": len(shown) > EVENTS_PAGE,
            "answers_invitation_requests": can(request.user, Action.MANAGE_MEMBERS),
        },
    )


@login_required
def event_create(request):
    constituencies = constituencies_for(request.user, Action.ORGANISE)
    if not constituencies.exists():
        raise PermissionDenied("Only organisers and officers run events.")
    form = EventForm(request.POST or None, constituencies=constituencies, **_choices(request, constituencies))
    if request.method == "POST" and form.is_valid():
        try:
            event = events_services.event_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Event created. Share its sign-up link below.")
            return redirect("campaigns:event", pk=event.pk)
    return render(request, "campaigns/events/form.html", {"form": form, "event": None})


@login_required
def event_edit(request, pk):
    event = get_event_for_user(request, pk)
    constituencies = constituencies_for(request.user, Action.ORGANISE).filter(pk=event.constituency_id)
    initial = {name: getattr(event, name) for name in events_services.EVENT_FIELDS}
    initial["visiting_regions"] = list(event.visiting_regions.all())
    initial["visiting_constituencies"] = " ".join(c.gss_code for c in event.visiting_constituencies.all())
    form = EventForm(
        request.POST or None,
        initial=initial,
        constituencies=constituencies,
        with_shift=False,
        **_choices(request, constituencies),
    )
    if request.method == "POST" and form.is_valid():
        try:
            events_services.event_update(user=request.user, event=event, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Saved. People booked are told of a change of place.")
            return redirect("campaigns:event", pk=event.pk)
    return render(request, "campaigns/events/form.html", {"form": form, "event": event})


@login_required
def event_detail(request, pk):
    event = get_event_for_user(request, pk)
    shifts = list(events.shifts_with_fill(event))
    # Each shift's start is formatted once, not once per sign-up and again per "Move to" option
    # (the date filter was most of a row's time; bench_events): the rows share the shifts read here.
    for shift in shifts:
        shift.label = date_filter(timezone.localtime(shift.starts_at), "D j M H:i")
    signups = events.signups_of(event, shifts)
    # A row's "Move to" choices are the event's other shifts: rendered once a shift, not by a loop
    # in each of ~100 rows (bench_events).
    options = {
        shift.pk: format_html_join(
            "",
            '<option value="{}">{}</option>',
            ((other.pk, other.label) for other in shifts if other != shift),
        )
        for shift in shifts
    }
    for signup in signups:
        signup.move_options = options.get(signup.shift_id, "")
    # Each sign-up's decide form posts to signups/<id>/decide/: the URL is built once and each row
    # fills in its id, instead of a {% url %} per row (about 100 rows an event; bench_events).
    decide_url = reverse("campaigns:signup_decide", args=[0]).removesuffix("0/decide/")
    return render(
        request,
        "campaigns/events/event.html",
        {
            "event": event,
            "shifts": [(shift, events.fill_status(shift)) for shift in shifts],
            "may_move": len(shifts) > 1,
            "decide_url": decide_url,
            "signups": signups,
            "shift_form": ShiftForm(),
            "repeat_form": RepeatForm(),
            "public_url": request.build_absolute_uri(reverse("campaigns:event_public", args=[event.token])),
            "may_invite": can(request.user, Action.MANAGE_MEMBERS, event.constituency),
            "visiting_from": [*event.visiting_regions.all(), *event.visiting_constituencies.all()],
        },
    )


@require_POST
@login_required
def event_cancel(request, pk):
    event = get_event_for_user(request, pk)
    events_services.event_cancel(user=request.user, event=event)
    messages.success(request, "Event cancelled: everyone signed up is told.")
    return redirect("campaigns:event", pk=event.pk)


@require_POST
@login_required
def event_repeat(request, pk):
    event = get_event_for_user(request, pk)
    form = RepeatForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("campaigns:event", pk=event.pk)
    try:
        made = events_services.event_repeat(user=request.user, event=event, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{len(made)} more occurrence{'s' if len(made) != 1 else ''} made.")
    return redirect("campaigns:event", pk=event.pk)


@login_required
def event_invite(request, pk):
    """Invite members and volunteers (skills, availability, ward, willing to help other CLPs) through
    the member email engine: this makes the draft; its page shows how many it reaches and asks
    before sending. For those who may email the CLP's members."""
    from members import email_content
    from members.forms import MemberFilterForm

    event = get_event_for_user(request, pk)
    require(request.user, Action.MANAGE_MEMBERS, event.constituency)
    subject, body = events_services.invitation_text(event)
    asking = request.method == "POST" and request.POST.get("part") == "ask"
    ask = AskOtherClpsForm(
        request.POST if asking else None, initial={"subject": subject, "body": body}, prefix="ask"
    )
    if asking:
        return _ask_other_clps(request, event, ask)
    form = InviteForm(request.POST or None, initial={"subject": subject, "body": body})
    audience = MemberFilterForm(request.POST or None, constituencies=[event.constituency])
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        try:
            send = events_services.event_invite(
                user=request.user, event=event, audience=audience.as_audience(), **form.cleaned_data
            )
        except email_content.ContentError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, "Invitation drafted: check who it reaches, then send it.")
            return redirect("members:email_detail", pk=send.pk)
    return _invite_page(request, event, form, audience, ask)


def _invite_page(request, event, form, audience, ask):
    asked = (
        EventInvitation.objects.for_user(request.user, Action.ORGANISE)
        .filter(event=event)
        .exclude(constituency=event.constituency)
        .select_related("constituency")
    )
    return render(
        request,
        "campaigns/events/invite.html",
        {
            "event": event,
            "form": form,
            "audience": audience,
            "ask": ask,
            "visiting": events_services.visiting_clps(event),
            "asked": asked,
        },
        status=400 if request.method == "POST" else 200,
    )


def _ask_other_clps(request, event, ask):
    """Ask the CLPs the event is open to, to invite their volunteers willing to help other CLPs."""
    from members import email_content
    from members.forms import MemberFilterForm

    if ask.is_valid():
        try:
            asked = events_services.event_invite_ask(user=request.user, event=event, **ask.cleaned_data)
        except (ValidationError, email_content.ContentError) as problem:
            ask.add_error(None, getattr(problem, "messages", [str(problem)]))
        else:
            messages.success(
                request,
                f"Asked {len(asked)} CLP{'s' if len(asked) != 1 else ''}: their secretaries decide, and "
                "send it to their own volunteers. You will see how many it reached, not who.",
            )
            return redirect("campaigns:event", pk=event.pk)
    subject, body = events_services.invitation_text(event)
    form = InviteForm(initial={"subject": subject, "body": body})
    return _invite_page(request, event, form, MemberFilterForm(constituencies=[event.constituency]), ask)


@login_required
def invitation_requests(request):
    """Requests from other CLPs to invite this CLP's volunteers willing to help other CLPs to their
    events (mutual aid): the secretary approves (a draft member email of their own CLP, sent only
    after "send to N?") or declines. For those who may email their CLP's members."""
    from members import email_content

    if not constituencies_for(request.user, Action.MANAGE_MEMBERS).exists():
        raise PermissionDenied("Only those who email the CLP's members answer these requests.")
    asked = EventInvitation.objects.asked_of(request.user)
    if request.method == "POST":
        invitation = asked.filter(pk=_number(request.POST.get("invitation"))).first()
        if invitation is None:
            raise Http404("No such request to your CLP.")
        approve = request.POST.get("action") == "approve"
        try:
            invitation = events_services.event_invitation_decide(
                user=request.user, invitation=invitation, approve=approve
            )
        except (ValidationError, email_content.ContentError) as problem:
            messages.error(request, " ".join(getattr(problem, "messages", [str(problem)])))
        else:
            if approve and invitation.send_id:
                messages.success(request, "Drafted as your CLP's email: check who it reaches, then send it.")
                return redirect("members:email_detail", pk=invitation.send_id)
            messages.success(request, "Declined: nothing is sent.")
        return redirect("campaigns:invitation_requests")
    rows = asked.select_related("event__constituency", "constituency", "asked_by").order_by("-created_at")[
        :50
    ]
    return render(request, "campaigns/events/invitation_requests.html", {"invitations": rows})


@login_required
def shift_add(request, pk):
    event = get_event_for_user(request, pk)
    return _shift_form(request, event, None)


@login_required
def shift_edit(request, pk):
    shift = get_for_user(Shift, request, pk, Action.ORGANISE, related=("event__constituency",))
    return _shift_form(request, shift.event, shift)


def _shift_form(request, event, shift):
    initial = (
        {name: getattr(shift, name) for name in ("starts_at", "ends_at", "role", "minimum", "maximum")}
        if shift
        else None
    )
    form = ShiftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            events_services.shift_save(user=request.user, event=event, shift=shift, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Shift saved. People booked are told of a change of time.")
            return redirect("campaigns:event", pk=event.pk)
    return render(request, "campaigns/events/shift_form.html", {"form": form, "event": event, "shift": shift})


_DECISIONS = {
    "book": events_services.signup_book,
    "wait": events_services.signup_wait,
    "decline": events_services.signup_decline,
    "cancel": events_services.signup_cancel,
}


@require_POST
@login_required
def signup_decide(request, pk):
    """The organiser books, puts on the waiting list, declines, cancels or moves a sign-up."""
    signup = get_for_user(Signup, request, pk, Action.ORGANISE, related=("shift__event",))
    action = request.POST.get("action", "")
    try:
        if action == "move":
            to = signup.shift.event.shifts.filter(pk=_number(request.POST.get("to"))).first()
            if to is None:
                raise ValidationError("Choose a shift of this event to move them to.")
            events_services.signup_move(user=request.user, signup=signup, to=to)
        elif action in _DECISIONS:
            _DECISIONS[action](user=request.user, signup=signup)
        else:
            raise ValidationError("Choose book, waiting list, decline, cancel or move.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Saved.")
    return redirect("campaigns:event", pk=signup.shift.event_id)


@login_required
def event_check_in(request, pk):
    """Check-in on a phone: attended, no-show, a walk-in; a pack of the session's walk list handed out."""
    event = get_event_for_user(request, pk)
    shifts = list(event.shifts.order_by("starts_at"))
    walk_in = WalkInForm(request.POST if request.POST.get("part") == "walk_in" else None)
    if request.method == "POST":
        pack = signup = None
        try:
            if request.POST.get("part") == "walk_in":
                shift = next((s for s in shifts if s.pk == _number(request.POST.get("shift"))), None)
                if shift is None:
                    raise ValidationError("Choose the shift they came to.")
                if not walk_in.is_valid():
                    raise ValidationError([f"{k}: {' '.join(v)}" for k, v in walk_in.errors.items()])
                if (
                    events_services.signup_walk_in(user=request.user, shift=shift, **walk_in.cleaned_data)
                    is None
                ):
                    raise ValidationError(events_privacy.WALK_IN_NOT_RECORDED)
            else:
                signup = get_for_user(Signup, request, _number(request.POST.get("signup")), Action.ORGANISE)
                if signup.shift.event_id != event.pk:
                    raise Http404("No such sign-up at this event.")
                if request.POST.get("pack"):
                    pack = (
                        Pack.objects.for_user(request.user, Action.ORGANISE)
                        .filter(pk=_number(request.POST["pack"]), walk_list_id=event.walk_list_id)
                        .first()
                    )
                    if pack is None:
                        raise ValidationError("Choose a pack of this session's walk list.")
                signup = events_services.signup_check_in(
                    user=request.user,
                    signup=signup,
                    attendance=request.POST.get("attendance", signup.attendance),
                    pack=pack,
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            note = getattr(signup, "handed_note", "")
            handed = (
                pack is not None
                and not note
                and signup.attendance in (Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN)
            )
            if note:
                messages.warning(request, note)
            messages.success(
                request,
                f"Checked in, with pack {pack.sheet_id}: it opens on their phone under Canvassing."
                if handed
                else "Checked in.",
            )
        return redirect("campaigns:event_check_in", pk=event.pk)
    signups = (
        Signup.objects.for_user(request.user, Action.ORGANISE)
        .filter(shift__event=event, status=Signup.Status.BOOKED)
        .select_related("contact", "shift", "pack")
        .order_by("shift__starts_at", "contact__name")
    )
    packs = (
        Pack.objects.for_user(request.user, Action.ORGANISE).filter(walk_list_id=event.walk_list_id)
        if event.walk_list_id
        else Pack.objects.none()
    )
    return render(
        request,
        "campaigns/events/check_in.html",
        {"event": event, "signups": signups, "shifts": shifts, "packs": packs, "walk_in": walk_in},
    )


# --- Public pages: the event's link, a booking's link, a reminder's link ------------------------------


def _public_event(request, token):
    event = events_services.event_for_token(token)
    if event is None or not events.visible_to(event, request.user):
        raise Http404("No such event, or it is not open to you.")
    return event


def _privacy_link(event):
    return reverse("privacy_notice", kwargs={"gss": event.constituency.gss_code})


def _shift_label(shift):
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    label = f"{start:%a %-d %b %Y, %H:%M}–{end:%H:%M}"
    return f"{label} ({shift.role})" if shift.role else label


def event_public(request, token):
    """The sign-up page: no sign-in for a public event. Rate-limited against bots."""
    event = _public_event(request, token)
    now = timezone.now()
    shifts = [s for s in events.shifts_with_fill(event) if s.ends_at > now]
    sms = events.sms_enabled()
    form = EventSignupForm(request.POST or None, shifts=[(s, _shift_label(s)) for s in shifts], sms=sms)
    status = 200
    if request.method == "POST":
        if not ratelimit.consume(
            request, app="campaigns.events", action="signup", config={"signup": events.SIGNUP_RATE}
        ):
            return render(request, "campaigns/events/too_many.html", {"event": event}, status=429)
        if request.POST.get("website"):
            raise Http404("No such event, or it is not open to you.")  # a bot: tell it nothing
        if form.is_valid():
            data = form.cleaned_data
            shift = next(s for s in shifts if s.pk == data["shift"])
            try:
                signup = events_services.event_signup(
                    event=event,
                    shift=shift,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    consent_email=data["consent_email"],
                    consent_sms=data.get("consent_sms", False),
                    wording=EventSignupForm.base_fields["consent_email"].label
                    + (
                        " / " + EventSignupForm.base_fields["consent_sms"].label
                        if data.get("consent_sms")
                        else ""
                    ),
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                if signup is not None:
                    return redirect("campaigns:signup", token=signup.token)
                form.add_error(None, events_privacy.SIGNUP_NOT_TAKEN)  # erased: nothing kept, no reason given
        status = 400
    member = events_services.member_for(request.user)
    return render(
        request,
        "campaigns/events/public.html",
        {
            "event": event,
            "shifts": [(s, events.fill_status(s), _shift_label(s)) for s in shifts],
            "form": form,
            "privacy_link": _privacy_link(event),
            "member": member
            if member
            and (member.constituency_id == event.constituency_id or events.open_to_visitor(event, member))
            else None,
        },
        status=status,
    )


def event_ics(request, token):
    event = _public_event(request, token)
    response = HttpResponse(
        events.ics(event, list(event.shifts.all())), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="event.ics"'
    return response


def signup_page(request, token):
    """A person's own booking: its status, the calendar file and links, and cancelling."""
    signup = events_services.signup_for_token(token)
    if signup is None:
        raise Http404("No such booking.")
    if request.method == "POST" and request.POST.get("action") == "cancel":
        events_services.signup_cancel(signup=signup)
        messages.success(request, "Cancelled. Thank you for telling us.")
        return redirect("campaigns:signup", token=signup.token)
    event, shift = signup.shift.event, signup.shift
    booked = signup.status == Signup.Status.BOOKED
    return render(
        request,
        "campaigns/events/signup.html",
        {
            "signup": signup,
            "event": event,
            "shift": shift,
            "label": _shift_label(shift),
            "where": events.where(event, booked),
            "booked": booked,
            "google": events.google_calendar_url(event, shift, booked=booked),
        },
    )


def signup_ics(request, token):
    signup = events_services.signup_for_token(token)
    if signup is None:
        raise Http404("No such booking.")
    booked = signup.status == Signup.Status.BOOKED
    response = HttpResponse(
        events.ics(signup.shift.event, [signup.shift], booked=booked),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="event.ics"'
    return response


def event_link(request, token):
    """A reminder's signed link: confirm or cancel. The page asks for one press of a button (mail
    scanners open links; only a person presses)."""
    found = events_services.reminder_link_signup(token)
    if found is None:
        return render(request, "campaigns/events/link.html", {"invalid": True}, status=404)
    signup, action = found
    done, problem = False, ""
    if request.method == "POST":
        try:
            if action == "confirm":
                events_services.signup_confirm(signup=signup)
            else:
                events_services.signup_cancel(signup=signup)
        except ValidationError as error:
            problem = " ".join(error.messages)
        else:
            done = True
        signup.refresh_from_db()
    return render(
        request,
        "campaigns/events/link.html",
        {
            "signup": signup,
            "action": action,
            "done": done
            or (action == "confirm" and signup.confirmed_at is not None and request.method == "POST"),
            "problem": problem,
            "label": _shift_label(signup.shift),
            "event": signup.shift.event,
        },
        status=400 if problem else 200,
    )


@require_POST
@login_required
def member_signup(request, pk):
    """One tap from the member's own page."""
    member = events_services.member_for(request.user)
    if member is None:
        raise Http404("No membership record is linked to your account.")
    shift = events_services.shift_for_member(member=member, pk=pk)
    if shift is None:
        raise Http404("No such event for your CLP.")
    if not member.email:
        messages.error(request, "Add an email address to your membership record first: reminders go there.")
        return redirect("members:me")
    try:
        signup = events_services.signup_member(user=request.user, member=member, shift=shift)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("members:me")
    return redirect("campaigns:signup", token=signup.token)
