"""Lifts on polling day. Organisers (ORGANISE in the election's CLP) take requests, add drivers,
assign, mark done or cancelled; a driver's phone page shows only the lifts given to them (their
Driver row names their login) in elections of a CLP where they may still TELL or CANVASS."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from gotv import services
from gotv.forms_ops import AssignForm, DriverForm, LiftRequestForm
from gotv.models import Driver, LiftRequest
from gotv.views import form_service, get_election_for_user
from labourhub.scoping import Action

STATUS_ORDER = [LiftRequest.Status.OPEN, LiftRequest.Status.ASSIGNED, LiftRequest.Status.DONE]


def _page(request, election, lift_form=None, driver_form=None, status=200):
    lifts = (
        LiftRequest.objects.for_user(request.user, Action.ORGANISE)
        .filter(election=election)
        .select_related("driver", "committee_room")
    )
    groups = [(state.label, [lift for lift in lifts if lift.status == state]) for state in STATUS_ORDER]
    cancelled = [lift for lift in lifts if lift.status == LiftRequest.Status.CANCELLED]
    drivers = Driver.objects.for_user(request.user, Action.ORGANISE).filter(election=election)
    busy = {lift.driver_id for lift in lifts if lift.status == LiftRequest.Status.ASSIGNED}
    return render(
        request,
        "gotv/lifts.html",
        {
            "election": election,
            "groups": groups,
            "cancelled": cancelled,
            "drivers": [(driver, driver.pk in busy) for driver in drivers],
            "assign_form": AssignForm(election=election),
            "lift_form": lift_form or LiftRequestForm(election=election),
            "driver_form": driver_form or DriverForm(election=election),
        },
        status=status,
    )


@login_required
def lifts(request, pk):
    return _page(request, get_election_for_user(request, pk, Action.ORGANISE))


def _add(request, pk, form_class, service, said, form_name):
    """Add a lift or a driver from its form on the lifts page (shown again, as typed, if wrong)."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    form = form_class(request.POST, election=election)
    made = form_service(form, service, election=election, user=request.user)
    if made is None:
        return _page(request, election, status=400, **{form_name: form})
    messages.success(request, said(made))
    return redirect("gotv:lifts", pk=election.pk)


@login_required
@require_POST
def lift_create(request, pk):
    return _add(request, pk, LiftRequestForm, services.lift_request_create, lambda lift: f"Lift for {lift.name} added.",
                "lift_form")  # fmt: skip


@login_required
@require_POST
def driver_create(request, pk):
    return _add(request, pk, DriverForm, services.driver_create, lambda driver: f"{driver.name} is driving.",
                "driver_form")  # fmt: skip


@login_required
@require_POST
def lift_update(request, pk, lift_pk):
    """Assign (or reassign) a driver, mark done, or cancel: `action` in the POST."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    lift = get_object_or_404(
        LiftRequest.objects.for_user(request.user, Action.ORGANISE).filter(election=election), pk=lift_pk
    )
    action = request.POST.get("action")
    try:
        if action == "assign":
            form = AssignForm(request.POST, election=election)
            if not form.is_valid():
                raise ValidationError("driver: choose one of this election's drivers.")
            services.lift_assign(lift=lift, driver=form.cleaned_data["driver"], user=request.user)
            said = f"given to {form.cleaned_data['driver'].name}"
        elif action == "done":
            services.lift_done(lift=lift, user=request.user)
            said = "done"
        elif action == "cancel":
            services.lift_cancel(lift=lift, user=request.user, reason=request.POST.get("reason", ""))
            said = "cancelled"
        else:
            raise ValidationError(f"action: {action!r} is not assign, done or cancel.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _page(request, election, status=400)
    messages.success(request, f"Lift for {lift.name}: {said}.")
    return redirect("gotv:lifts", pk=election.pk)


def _my_lifts(user):
    """Lifts given to this user as a driver, where they may still TELL or CANVASS."""
    mine = Q(driver__user=user, driver__active=True)
    return (
        (LiftRequest.objects.for_user(user, Action.TELL) | LiftRequest.objects.for_user(user, Action.CANVASS))
        .filter(mine)
        .select_related("election", "committee_room")
    )


@login_required
def my_lifts(request):
    """The driver's phone page: today's lifts given to them, soonest first."""
    today = timezone.localdate()
    lifts = (
        _my_lifts(request.user)
        .filter(election__poll_date__gte=today)
        .order_by("election__poll_date", "status", "window_from", "created_at")
    )
    current = [lift for lift in lifts if lift.status == LiftRequest.Status.ASSIGNED]
    finished = [lift for lift in lifts if lift.status != LiftRequest.Status.ASSIGNED]
    return render(request, "gotv/lifts_mine.html", {"current": current, "finished": finished, "today": today})


@login_required
@require_POST
def my_lift_update(request, lift_pk):
    """ "Picked up" or "done" from the driver (only on a lift given to them)."""
    lift = get_object_or_404(_my_lifts(request.user), pk=lift_pk)
    action = request.POST.get("action")
    try:
        if action == "picked_up":
            services.lift_picked_up(lift=lift, user=request.user)
        elif action == "done":
            services.lift_done(lift=lift, user=request.user)
        else:
            raise ValidationError(f"action: {action!r} is not picked_up or done.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("gotv:my_lifts")
