"""Webhook pages, in the office: the CLP's subscriptions, a new one (its secret shown once), one with
its delivery log, and pause / resume / delete / send-test. Each starts with `require` or one
access-checked lookup (SUBSCRIBE_ACTION in the subscription's CLP); writes go through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from labourhub.scoping import constituencies_for, get_for_user, require
from labourhub.services import audit_record
from labourhub.webhooks import services
from labourhub.webhooks.forms import SubscriptionForm
from labourhub.webhooks.models import SUBSCRIBE_ACTION, Attempt, Delivery, Subscription

LOG_SIZE = 100


def get_subscription_for_user(request, pk):
    return get_for_user(Subscription, request, pk, SUBSCRIBE_ACTION, related=("constituency", "owner"))


@login_required
def subscription_list(request):
    require(request.user, SUBSCRIBE_ACTION)
    subscriptions = Subscription.objects.for_user(request.user).select_related("constituency", "owner")
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@login_required
def subscription_new(request):
    require(request.user, SUBSCRIBE_ACTION)
    clps = constituencies_for(request.user, SUBSCRIBE_ACTION).order_by("name")
    form = SubscriptionForm(request.POST or None, constituencies=clps)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscription, secret = services.subscription_create(
                    user=request.user,
                    constituency=data["constituency"],
                    name=data["name"],
                    url=data["url"],
                    event_types=data["event_types"],
                )
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                # Shown here, once: it is stored encrypted and never shown again.
                return render(
                    request, "webhooks/created.html", {"subscription": subscription, "secret": secret}
                )
        return render(request, "webhooks/new.html", {"form": form, "problem": form.problem()}, status=400)
    return render(request, "webhooks/new.html", {"form": form})


@login_required
def subscription_detail(request, pk):
    subscription = get_subscription_for_user(request, pk)
    deliveries = (
        Delivery.objects.for_user(request.user)
        .filter(subscription=subscription)
        .prefetch_related(
            Prefetch("attempt_log", queryset=Attempt.objects.for_user(request.user).order_by("at", "pk"))
        )
        .order_by("-created_at", "-pk")[:LOG_SIZE]
    )
    audit_record(action="webhook.log.view", request=request, obj=subscription)
    return render(request, "webhooks/detail.html", {"subscription": subscription, "deliveries": deliveries})


def _act(request, pk, change, done):
    subscription = get_subscription_for_user(request, pk)
    try:
        change(user=request.user, subscription=subscription)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("webhooks:detail", pk=subscription.pk)


@login_required
@require_POST
def subscription_pause(request, pk):
    return _act(request, pk, services.subscription_pause, "Paused: events wait until it is resumed.")


@login_required
@require_POST
def subscription_resume(request, pk):
    return _act(request, pk, services.subscription_resume, "Resumed: waiting events are sent now.")


@login_required
@require_POST
def subscription_test(request, pk):
    return _act(request, pk, services.subscription_test, "A test event is on its way: see the log below.")


@login_required
@require_POST
def subscription_delete(request, pk):
    subscription = get_subscription_for_user(request, pk)
    services.subscription_delete(user=request.user, subscription=subscription)
    messages.success(request, f"Deleted {subscription.name}: nothing more is sent.")
    return redirect("webhooks:list")
