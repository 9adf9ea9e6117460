"""The scoping walker: every URL in the project, fetched by Otherton's people with Anytown's ids.

Nothing of Anytown's may come back: each response is a 403/404/redirect, or a page
that does not contain the word "Anytown" (which every Anytown record carries).

Every URL name must be covered. Each app declares its URLs in tests/<app>/walk.py:

    URLS = {"voters:elector": lambda anytown: {"pk": ElectorFactory(...anytown...).pk}}
    ADMIN_OBJECTS = {Elector: lambda anytown: ElectorFactory(...anytown...)}

A URL added without an entry there makes this test fail, naming it.
"""

import importlib
import pkgutil
import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.generic import RedirectView

import tests
from labourhub.models import Role
from labourhub.scoped_admin import ScopedModelAdmin

CANARY = re.compile(rb"anytown", re.IGNORECASE)
# Admin pages that are not about one model.
ADMIN_SITE_URLS = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "jsi18n",
    "autocomplete",
}


def _walk_modules():
    for info in pkgutil.iter_modules(tests.__path__):
        if info.ispkg:
            try:
                yield importlib.import_module(f"tests.{info.name}.walk")
            except ModuleNotFoundError as error:
                if error.name != f"tests.{info.name}.walk":
                    raise


def _registry():
    urls, admin_objects = {}, {}
    for module in _walk_modules():
        urls.update(getattr(module, "URLS", {}))
        admin_objects.update(getattr(module, "ADMIN_OBJECTS", {}))
    return urls, admin_objects


def _url_names(patterns=None, namespace=""):
    """(name, pattern) for every pattern in the project; unnamed ones as None."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), entry


def _admin_model_urls():
    """admin:<app>_<model>_<view> -> model, for every registered ModelAdmin."""
    found = {}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for view in ("changelist", "add", "change", "delete", "history"):
            found[prefix + view] = (model, view)
    return found


def _plan(anytown):
    """Every URL to fetch, or the names nobody declared."""
    urls, admin_objects = _registry()
    admin_urls = _admin_model_urls()
    plan, uncovered = [], []
    for name, pattern in _url_names():
        if name is None:
            if getattr(pattern.callback, "__name__", "") == "catch_all_view":
                continue  # the admin's final 404
            if getattr(pattern.callback, "view_class", None) is RedirectView:
                continue  # only redirects to a named URL, which is walked itself
            uncovered.append(f"<unnamed pattern {pattern.pattern}>")
        elif name in admin_urls:
            model, view = admin_urls[name]
            if view in ("change", "delete", "history"):
                if model not in admin_objects:
                    uncovered.append(f"{name} (add {model.__name__} to ADMIN_OBJECTS)")
                    continue
                plan.append((name, reverse(name, args=[admin_objects[model](anytown).pk])))
            else:
                plan.append((name, reverse(name)))
        elif name == "admin:app_list":
            plan.extend(
                (name, reverse(name, kwargs={"app_label": m._meta.app_label})) for m in admin.site._registry
            )
        elif name.startswith("admin:") and name.removeprefix("admin:") in ADMIN_SITE_URLS:
            plan.append((name, reverse(name)))
        elif name == "admin:view_on_site":
            continue  # redirects to the object's own page, which is walked under its own name
        elif name in urls:
            plan.append((name, reverse(name, kwargs=urls[name](anytown))))
        else:
            uncovered.append(name)
    return plan, uncovered


def test_every_url_is_covered_by_the_walker(anytown):
    _, uncovered = _plan(anytown)
    assert not uncovered, (
        "These URLs are not in any tests/<app>/walk.py, so nobody has checked that they keep "
        f"other CLPs' data out: {sorted(set(uncovered))}"
    )


@pytest.mark.parametrize(
    "role", [Role.CLP_SECRETARY, Role.ORGANISER, Role.CANVASSER, Role.CASEWORKER, Role.ADMIN]
)
def test_otherton_user_sees_nothing_of_anytown(client, anytown, otherton, role):
    plan, _ = _plan(anytown)
    leaks = []
    for name, url in plan:
        for method in ("get", "post"):
            client.force_login(otherton.user(role))  # signing out is one of the URLs walked
            response = getattr(client, method)(url)
            body = b"" if response.streaming else response.content
            if response.status_code >= 500:
                leaks.append(f"{method.upper()} {url} ({name}): server error {response.status_code}")
            elif response.status_code == 200 and CANARY.search(body):
                leaks.append(f"{method.upper()} {url} ({name}): shows Anytown data")
    assert not leaks, "\n".join(leaks)


def test_every_admin_page_is_scoped():
    unscoped = [m.__name__ for m, a in admin.site._registry.items() if not isinstance(a, ScopedModelAdmin)]
    assert not unscoped, f"Admin pages not built on ScopedModelAdmin: {unscoped}"


def test_walker_sees_a_leak_when_there_is_one(client, anytown, otherton):
    """The check itself works: Anytown's own secretary does see Anytown in the admin."""
    plan, _ = _plan(anytown)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    pages = [url for name, url in plan if name == "admin:labourhub_pollingdistrict_changelist"]
    assert CANARY.search(client.get(pages[0]).content)
