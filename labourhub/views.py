from django.apps import apps
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from labourhub.celery import app as celery_app
from labourhub.home import needs_for
from labourhub.models import Grant
from labourhub.scoping import Action, can


def home(request):
    if not request.user.is_authenticated:
        return render(request, "labourhub/welcome.html")
    grants = Grant.objects.filter(user=request.user).select_related("constituency", "region")
    return render(
        request,
        "labourhub/home.html",
        {"grants": grants, "links": _links_for(request.user), "needs": needs_for(request.user)},
    )


def _links_for(user):
    """The pages each app offers (AppConfig.home_links) that this user may use somewhere. The third
    item is a scoping action, None (everyone signed in), or a function of the user for a page only
    some people have (a driver's lifts)."""
    links = []
    for config in apps.get_app_configs():
        for url_name, label, action in getattr(config, "home_links", []):
            if action is None or (action(user) if callable(action) else can(user, Action(action))):
                links.append({"url": reverse(url_name), "label": label, "section": config.verbose_name})
    return links


@never_cache
def healthz(request):
    parts = {"database": _check(_database_ok), "broker": _check(_broker_ok)}
    healthy = all(state == "ok" for state in parts.values())
    return JsonResponse({"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503)


def _check(probe):
    try:
        probe()
    except Exception as error:
        return f"error: {error.__class__.__name__}: {error}"[:200]
    return "ok"


def _database_ok():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker_ok():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
