"""The public status page, summary.json and the officers' email toggle."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from labourhub.status import report, services
from labourhub.status.models import StatusSubscriber


@never_cache
@require_GET
def page(request):
    """Public: no one's data, only what the checks found and what operators posted."""
    return render(request, "status/page.html", report.page_context())


@never_cache
@require_GET
def summary_json(request):
    response = JsonResponse(report.summary(report.page_context()))
    response["Access-Control-Allow-Origin"] = "*"  # public, read by other tools' pages
    return response


@login_required
@require_http_methods(["GET", "POST"])
def subscribe(request):
    may = services.status_subscriber_may(user=request.user)
    if request.method == "POST":
        if not may:
            return HttpResponseForbidden("Only officers, organisers and staff can get status emails.")
        services.status_subscription_set(user=request.user, subscribed=request.POST.get("subscribed") == "on")
        return redirect("status:subscribe")
    subscribed = StatusSubscriber.objects.filter(user=request.user).exists()
    return render(request, "status/subscribe.html", {"may": may, "subscribed": subscribed})
