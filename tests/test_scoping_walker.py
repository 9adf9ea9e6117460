"""The scoping walker: every URL in the project, fetched by other people with Anytown's ids.

Nothing of Anytown's may come back and nothing of Anytown's may change. Walked: Otherton's
user of every role in the role table, a regional officer of another region, and a signed-out
visitor. Each URL is tried as a GET, as a GET with Anytown's ids in the query string, and as a
POST carrying a realistic body with Anytown's ids (the form Anytown's own user is shown there,
or a JSON body declared in walk.py). For every response, whatever its status, the body (streamed
ones too) and the `Location` must not contain the word "Anytown" (which every Anytown record
carries), no response may be a server error, and after every POST Anytown's personal-data rows
must be unchanged (row counts and checksums).

The net is checked three ways: each URL is first opened by its Anytown owner, who must see the
word there (or the URL is declared in `NO_CANARY` with the reason it cannot show it); each
persona stays signed in with MFA for the whole walk (URLs that sign out or remove MFA are undone
after they are tried) and must reach a minimum number of pages; and the self-test switches scoping
off and sees the walk fail for every persona.

Every URL name must be covered. Each app declares its URLs in tests/<app>/walk.py:

    URLS = {"voters:elector": lambda anytown: {"pk": ElectorFactory(...anytown...).pk}}
    ADMIN_OBJECTS = {Elector: lambda anytown: ElectorFactory(...anytown...)}
    OWNERS = {"access:reviewer_queue": Role.REGIONAL_STAFF}   # who sees Anytown there (default:
                                                              # the secretary; "operator": superuser)
    NO_CANARY = {"healthz": "reports the database, shows no record"}
    QUERIES = {"voters:search": lambda anytown: {"constituency": anytown.constituency.pk}}
    BODIES = {"campaigns:sync": lambda anytown: {"answers": [...]}}   # POSTed as JSON
    CAPABILITIES = {"members:unsubscribe": "the signed link is the permission"}  # may change rows
    OTHERTON = lambda otherton: office_of(otherton)   # what Otherton's personas hold of their own

A URL added without an entry there makes this test fail, naming it.
"""

import importlib
import logging
import pkgutil
import re
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.generic import RedirectView

import tests
from labourhub import scoping
from labourhub.models import AuditEvent, Constituency, Role, User
from labourhub.scoped_admin import ScopedModelAdmin
from tests.conftest import make_persona
from tests.factories import RegionFactory, UserFactory, with_totp

CANARY = re.compile(r"anytown", re.IGNORECASE)
CANARY_BYTES = re.compile(rb"anytown", re.IGNORECASE)
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
PROJECT_APPS = ("labourhub", "voters", "members", "campaigns", "access", "casework", "gotv")


# Query-string ids every GET is also tried with (values: Anytown's rows), besides the owner's own
# search and filter forms.
def _query_ids(anytown):
    return {
        "constituency": anytown.constituency.pk,
        "constituency_id": anytown.constituency.pk,
        "polling_district": anytown.polling_district.pk,
        "ward": anytown.ward.pk,
    }


# Every signed-in persona must reach at least this share of the requests it makes: the rest are
# bounced to sign-in or MFA set-up and check nothing.
MIN_REACHED_SHARE = 0.97


# --- The declarations --------------------------------------------------------------------------


def _walk_modules():
    for info in pkgutil.iter_modules(tests.__path__):
        if info.ispkg:
            try:
                yield importlib.import_module(f"tests.{info.name}.walk")
            except ModuleNotFoundError as error:
                if error.name != f"tests.{info.name}.walk":
                    raise


@dataclass
class Registry:
    urls: dict = field(default_factory=dict)
    admin_objects: dict = field(default_factory=dict)
    owners: dict = field(default_factory=dict)
    no_canary: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)
    bodies: dict = field(default_factory=dict)
    capabilities: dict = field(default_factory=dict)


def _registry():
    found = Registry()
    for module in _walk_modules():
        found.urls.update(getattr(module, "URLS", {}))
        found.admin_objects.update(getattr(module, "ADMIN_OBJECTS", {}))
        found.owners.update(getattr(module, "OWNERS", {}))
        found.no_canary.update(getattr(module, "NO_CANARY", {}))
        found.queries.update(getattr(module, "QUERIES", {}))
        found.bodies.update(getattr(module, "BODIES", {}))
        found.capabilities.update(getattr(module, "CAPABILITIES", {}))
    return found


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


@dataclass
class Planned:
    """One URL to walk, and what its Anytown owner was shown there."""

    name: str
    url: str
    query: dict = field(default_factory=dict)
    body: dict | None = None
    json: bool = False
    capability: bool = False  # the URL's secret token is the permission (a link in an email)


def _has_user(model):
    return any(f.name == "user" for f in model._meta.fields)


def _log_change(anytown, record):
    """An admin history entry naming Anytown, so that the object's history page can show the word."""
    LogEntry.objects.create(
        user=anytown.user(Role.CLP_SECRETARY),
        content_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
        object_id=str(record.pk),
        object_repr=f"Anytown {type(record).__name__}"[:200],
        action_flag=CHANGE,
        change_message="Changed by Anytown's secretary",
    )


def _plan(anytown, registry=None):
    """Every URL to fetch, or the names nobody declared."""
    registry = registry or _registry()
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
                if model not in registry.admin_objects:
                    uncovered.append(f"{name} (add {model.__name__} to ADMIN_OBJECTS)")
                    continue
                record = registry.admin_objects[model](anytown)
                if view == "history" and (_path_to_constituency(model) or _has_user(model)):
                    _log_change(anytown, record)  # not for shared reference data, which no CLP owns
                plan.append(Planned(name, reverse(name, args=[record.pk])))
            else:
                plan.append(Planned(name, reverse(name)))
        elif name == "admin:app_list":
            labels = sorted({m._meta.app_label for m in admin.site._registry})
            plan.extend(Planned(name, reverse(name, kwargs={"app_label": label})) for label in labels)
        elif name.startswith("admin:") and name.removeprefix("admin:") in ADMIN_SITE_URLS:
            plan.append(Planned(name, reverse(name)))
        elif name == "admin:view_on_site":
            continue  # redirects to the object's own page, which is walked under its own name
        elif name in registry.urls:
            plan.append(Planned(name, reverse(name, kwargs=registry.urls[name](anytown))))
        else:
            uncovered.append(name)
    unique = {}
    for planned in plan:
        unique.setdefault(planned.url, planned)  # the API's format-suffix patterns repeat a name and URL
    plan = list(unique.values())
    for planned in plan:
        planned.capability = planned.name in registry.capabilities
        if planned.name in registry.queries:
            planned.query.update(registry.queries[planned.name](anytown))
        if planned.name in registry.bodies:
            planned.body, planned.json = registry.bodies[planned.name](anytown), True
    return plan, uncovered


# --- Reading pages -----------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: [(method, action, {name: value})], as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = ((attrs.get("method") or "get").lower(), attrs.get("action") or "", {})
            self.forms.append(self._form)
        elif self._form is None or attrs.get("disabled") is not None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and attrs.get("checked") is None:
                return
            if kind not in ("file", "button", "image", "reset"):
                self._form[2].setdefault(
                    attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else "")
                )
        elif tag == "button" and attrs.get("name") and (attrs.get("type") or "submit") == "submit":
            self._form[2].setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select" and attrs.get("name"):
            self._select = [attrs["name"], None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select[1] is None and value:
                self._select[1] = value
            if attrs.get("selected") is not None:
                self._select[2] = value
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self._form[2][self._textarea] = ""

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[2][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, first, selected = self._select
            self._form[2].setdefault(name, selected if selected is not None else (first or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _own_forms(html, path):
    """The page's own GET and POST forms (not the sign-out button in the header): their fields,
    with the canary word taken out of the values so that an echo of what we sent is not a leak."""
    parser = _Forms()
    parser.feed(html)
    found = {"get": {}, "post": {}}
    for method, action, fields in parser.forms:
        if method in found and (not action or urlsplit(action).path in ("", ".", path)):
            found[method].update(_as_sent(fields, fill=method == "post"))
    return found


def _as_sent(fields, fill=True):
    """Form fields as the walk sends them: no CSRF token (the test client does not check it), no
    canary word (so an echo of what we sent is not taken for a leak), empty ones filled in."""
    return {
        name: CANARY.sub("Elsewhere", value) or ("Walker's note" if fill else "")
        for name, value in fields.items()
        if name != "csrfmiddlewaretoken"
    }


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- Anytown's rows, fingerprinted -------------------------------------------------------------


def _path_to_constituency(model, depth=4):
    """A lookup from `model` to its Constituency through forward foreign keys, shortest first."""
    if model is Constituency:
        return "pk"
    frontier = [(model, "")]
    for _ in range(depth):
        following = []
        for current, prefix in frontier:
            for fk in current._meta.fields:
                if not fk.is_relation or fk.related_model is None:
                    continue
                lookup = f"{prefix}{fk.name}"
                if fk.related_model is Constituency:
                    return lookup
                following.append((fk.related_model, lookup + "__"))
        frontier = following
    return None


def _fingerprint_sql(anytown):
    """One SQL statement giving (table, row count, checksum) of every table's Anytown rows."""
    parts, params, tables = [], [], []
    anytown_users = User.objects.filter(grants__constituency=anytown.constituency).values("pk")
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS and model._meta.app_label not in ("mfa", "account"):
            continue
        if model is AuditEvent or model._meta.proxy or not model._meta.managed:
            continue  # the audit log is append-only and records the walk itself
        if model is User:
            rows = User._base_manager.filter(pk__in=anytown_users)
        else:
            path = _path_to_constituency(model)
            if path is None and any(f.name == "user" for f in model._meta.fields):
                rows = model._base_manager.filter(user__in=anytown_users)
            elif path is None:
                continue  # reference data, not any CLP's
            else:
                rows = model._base_manager.filter(**{path: anytown.constituency.pk})
        columns = [f.attname for f in model._meta.concrete_fields]
        sql, row_params = rows.order_by().values_list(*columns).query.sql_with_params()
        parts.append(
            "SELECT %s, count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
            f"FROM ({sql}) t"
        )
        params.extend([model._meta.label, *row_params])
        tables.append(model._meta.db_table)
    return " UNION ALL ".join(parts), params, tables


def _fingerprint(query):
    with connection.cursor() as cursor:
        cursor.execute(query[0], query[1])
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


class Watch:
    """What changed in Anytown's rows since last asked. Cheap when nothing was written: Postgres
    counts the rows this transaction wrote per table, and the checksums are read again only when
    a table of personal data was written to (by anyone)."""

    def __init__(self, query):
        self.query, self.tables = query, query[2]
        self.writes, self.last = self._writes(), _fingerprint(query)

    def _writes(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
                "WHERE relname = ANY(%s)",
                [self.tables],
            )
            return cursor.fetchone()[0]

    def changed(self):
        writes = self._writes()
        if writes == self.writes:
            return []
        now = _fingerprint(self.query)
        changed = sorted(t for t in self.last.keys() | now.keys() if self.last.get(t) != now.get(t))
        self.writes, self.last = writes, now
        return changed


# --- The walk ----------------------------------------------------------------------------------


@dataclass
class Persona:
    label: str
    user: object = None  # None: signed out
    token: str = ""  # an API token's secret: the persona walks /api/v1/ with it instead of a session

    def client(self):
        if self.token:
            return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {self.token}")
        client = Client(raise_request_exception=False)  # a server error is reported, not raised
        if self.user is not None:
            client.force_login(self.user)
        return client

    def walks(self, planned):
        return not self.token or planned.url.startswith(TOKEN_APIS)


TOKEN_APIS = ("/api/v1/", "/api/osdi/v1/")  # the token-authenticated APIs


@dataclass
class Walk:
    persona: Persona
    problems: list = field(default_factory=list)
    requests: int = 0
    reached: int = 0  # requests that got past sign-in and MFA set-up to the view
    restored: list = field(default_factory=list)


def _bounced(response):
    """Sent to sign in or to set up MFA: the view never ran, so nothing was checked."""
    location = response.get("Location", "")
    return response.status_code in (301, 302, 303, 307, 308) and any(
        location.startswith(reverse(name)) for name in ("account_login", "mfa_activate_totp")
    )  # (the admin sends a signed-in user it refuses to its own sign-in page: its check did run)


def _keep_signed_in(client, persona, walk, what):
    """Undo what a URL did to the persona's session or MFA, so the rest of the walk still has teeth."""
    if persona.user is None or persona.token:
        return client
    from allauth.mfa.models import Authenticator

    if (
        scoping.needs_mfa(persona.user)
        and not Authenticator.objects.filter(user=persona.user, type=Authenticator.Type.TOTP).exists()
    ):
        with_totp(persona.user)
        walk.restored.append(f"{what}: MFA put back")
    if str(client.session.get("_auth_user_id")) != str(persona.user.pk):
        persona.user.refresh_from_db()
        client = persona.client()
        walk.restored.append(f"{what}: signed in again")
    return client


def walk_as(persona, plan, fingerprint_query, *, stop_at_first=False):
    """Walk every planned URL as `persona`; return what leaked, what broke, and how much was checked."""
    walk = Walk(persona)
    client = persona.client()
    watch = Watch(fingerprint_query)
    for planned in filter(persona.walks, plan):
        query = {k: v for k, v in planned.query.items() if v not in (None, "")}
        # One GET, with Anytown's ids in the query string (a view ignores what it does not read), and
        # one POST with Anytown's ids in the body.
        attempts = [("GET", f"{planned.url}?{urlencode(query, doseq=True)}" if query else planned.url)]
        attempts.append(("POST", planned.url))
        for method, url in attempts:
            mail_from = len(mail.outbox)
            response = client.get(url) if method == "GET" else _post(client, planned)
            content = _body(response)
            walk.requests += 1
            walk.reached += not _bounced(response)
            where = f"{persona.label}: {method} {url} ({planned.name}) -> {response.status_code}"
            if response.status_code >= 500:
                walk.problems.append(f"{where}: server error")
            if CANARY_BYTES.search(content):
                walk.problems.append(f"{where}: the page shows Anytown data")
            if CANARY.search(response.get("Location", "")):
                walk.problems.append(f"{where}: redirects to {response['Location']}")
            if _shows_canary(response, b"", mail_from) and not CANARY.search(response.get("Location", "")):
                walk.problems.append(f"{where}: sent an email showing Anytown data")
            changed = watch.changed()
            if changed and not planned.capability:
                walk.problems.append(f"{where}: changed Anytown's rows in {changed}")
            if method == "POST":
                client = _keep_signed_in(client, persona, walk, f"{method} {planned.name}")
            if stop_at_first and walk.problems:
                return walk
    return walk


# --- The personas and the owners ---------------------------------------------------------------


def walked_personas(otherton, other_region_officer):
    """Every role of the role table in Otherton, staff of another region, and a signed-out visitor;
    and each signed-in persona again with an API token of every scope (on /api/v1/ only)."""
    from labourhub.api_v1.models import Scope
    from labourhub.api_v1.services import api_token_create

    for module in _walk_modules():  # e.g. an office of Otherton's own for Otherton's caseworker
        getattr(module, "OTHERTON", lambda otherton: None)(otherton)
    personas = [Persona(f"Otherton {role.label}", otherton.user(role)) for role in otherton.users]
    personas.append(Persona("Eastland regional staff", other_region_officer))
    for persona in list(personas):
        _, secret = api_token_create(
            user=persona.user, name="walker", scopes=list(Scope.values), expires_at=None
        )
        personas.append(Persona(f"{persona.label} (API token)", persona.user, token=secret))
    personas.append(Persona("signed out"))
    return personas


def _owners(anytown, westland):
    """Anytown's own people: each URL is first opened by one of them, who must see Anytown there."""
    owners = dict(anytown.users)
    owners[Role.REGIONAL_STAFF] = make_persona(
        "regional@westland.example", "Regional Officer", Role.REGIONAL_STAFF, westland
    )
    operator = UserFactory(email="operator@platform.example", full_name="Platform Operator")
    operator.is_superuser = operator.is_staff = True
    operator.save(update_fields=["is_superuser", "is_staff"])
    with_totp(operator)
    owners["operator"] = operator
    owners["anytown"] = anytown
    return owners


DEFAULT_OWNERS = (Role.CLP_SECRETARY, Role.REGIONAL_STAFF, "operator")


def _shows_canary(response, content, mail_from=None):
    """Does the response (body or Location), or any email it sent, show the word?"""
    sent = mail.outbox[mail_from:] if mail_from is not None else []
    return bool(
        CANARY_BYTES.search(content)
        or CANARY.search(response.get("Location", ""))
        or any(CANARY.search(f"{m.subject} {m.to} {m.body}") for m in sent)
    )


def owners_check(plan, registry, owners, fingerprint_query):
    """Open every planned URL as its owner: it must work, and show the canary unless declared not to.
    A URL whose page cannot show the word (an action that only takes POSTs, a delete confirmation) is
    POSTed by its owner instead, in a transaction rolled back after, and must change Anytown's rows, so
    that the same POST by anyone else would be seen doing so.
    The owner's own forms become the realistic query strings and bodies the walk sends."""
    problems, clients, forms_by_action, writes, planned_statuses, closed = [], {}, {}, [], {}, []

    def client_of(owner):
        if owner not in clients:
            if callable(owner):  # a walk.py function naming the owner: owner(anytown) -> user
                owners[owner] = owner(owners["anytown"])
            clients[owner] = Persona(str(owner), owners[owner]).client()
        return clients[owner]

    for planned in plan:
        chain = [registry.owners[planned.name]] if planned.name in registry.owners else DEFAULT_OWNERS
        url = f"{planned.url}?{urlencode(planned.query, doseq=True)}" if planned.query else planned.url
        for owner in chain:
            response = client_of(owner).get(url)
            content = _body(response)
            planned_statuses.setdefault(planned.url, set()).add(response.status_code)
            if response.status_code >= 500 or _shows_canary(response, content):
                break
        if not response.streaming and "html" in response.get("Content-Type", ""):
            html = content.decode(errors="replace")
            parser = _Forms()
            parser.feed(html)
            for method, action, fields in parser.forms:
                if method == "post" and action:
                    forms_by_action.setdefault(urlsplit(action).path, fields)
            forms = _own_forms(html, urlsplit(planned.url).path)
            planned.query = {**forms["get"], **planned.query}
            if planned.body is None and forms["post"]:
                planned.body = forms["post"]
        where = f"owner ({owner}) GET {url} ({planned.name}) -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"{where}: server error")
        elif _shows_canary(response, content):
            if planned.name in registry.no_canary:
                problems.append(f"{where}: shows Anytown, take it out of NO_CANARY")
        elif planned.name not in registry.no_canary:
            writes.append((planned, chain))
    for planned, chain in writes:
        statuses = set()
        if planned.body is None:
            fields = forms_by_action.get(urlsplit(planned.url).path, {})
            planned.body = _as_sent(fields)
        for owner in chain:
            client = client_of(owner)
            before, mail_from = _fingerprint(fingerprint_query), len(mail.outbox)
            with transaction.atomic():
                response = _post(client, planned)
                changed = _fingerprint(fingerprint_query) != before
                transaction.set_rollback(True)
            if str(client.session.get("_auth_user_id")) != str(owners[owner].pk):
                clients.pop(owner)  # the POST signed the owner out: sign in afresh for the next one
            shows = _shows_canary(response, _body(response), mail_from)
            statuses.add(response.status_code)
            if response.status_code >= 500 or changed or shows:
                break
        where = f"owner ({owner}) POST {planned.url} ({planned.name}) -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"{where}: server error")
        elif statuses | planned_statuses[planned.url] == {403} and "operator" in chain:
            closed.append(planned.name)  # refused even to the platform operator: closed to everyone
        elif not changed and not shows:
            problems.append(
                f"{where}: its owner neither sees Anytown there nor changes any of Anytown's rows by posting "
                "the form it is shown, so a leak there would be invisible (make the page show a record, "
                "declare a query in QUERIES or a body in BODIES, or say why in NO_CANARY)"
            )
    return problems, closed


def _post(client, planned):
    if planned.json:
        return client.post(planned.url, planned.body, content_type="application/json")
    return client.post(planned.url, planned.body or {})


@pytest.fixture
def eastland():
    return RegionFactory(name="Eastland", code="E15000098")


@pytest.fixture
def other_region_officer(eastland):
    return make_persona("regional@eastland.example", "Eastland Officer", Role.REGIONAL_STAFF, eastland)


def build_walker(anytown, otherton, westland, other_region_officer):
    """The plan, checked by its owners, and the personas to walk it."""
    registry = _registry()
    plan, uncovered = _plan(anytown, registry)
    owners = _owners(anytown, westland)
    fingerprint = _fingerprint_sql(anytown)
    owner_problems, closed = owners_check(plan, registry, owners, fingerprint)
    for planned in plan:
        planned.query = {**_query_ids(anytown), **planned.query}
    return {
        "plan": plan,
        "uncovered": uncovered,
        "owner_problems": owner_problems,
        "closed": closed,
        "personas": walked_personas(otherton, other_region_officer),
        "fingerprint": fingerprint,
    }


# Each persona signs in once for a walk of several minutes (over 15 on a loaded machine): allauth's
# five-minute window for re-entering a password before removing MFA would otherwise close mid-walk
# and turn those URLs into redirects the owner check counts as "nothing seen". The API's rate limits
# would stop a token's thousands of requests a minute.
WALK_SETTINGS = {
    "ACCOUNT_REAUTHENTICATION_TIMEOUT": 24 * 3600,
    "API_RATE_LIMIT_READS": 1_000_000,
    "API_RATE_LIMIT_WRITES": 1_000_000,
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],  # as tests/conftest.py's
}

# The walk is split by persona into shards (persona i walks in shard i % WALK_SHARDS), each a test of
# its own, so that xdist can run them on different workers (tests/conftest.py schedules each shard as
# a unit of its own, and first). Together the shards walk every persona: see `_shard`.
WALK_SHARDS = 2


def _shard(personas, shard):
    return personas[shard::WALK_SHARDS]


@pytest.fixture(scope="class")
def walker(django_db_setup, django_db_blocker):
    """Anytown, Otherton, the plan checked by its owners and the personas: built once for the shards a
    worker runs (a few minutes under load), in a transaction rolled back after them. Each test runs in a
    savepoint inside it (the `db` fixture), so what one shard's walk changes is undone before the next."""
    from django.test.utils import override_settings

    logger = logging.getLogger("django.request")
    level = logger.level
    with django_db_blocker.unblock(), override_settings(**WALK_SETTINGS):
        outer = transaction.atomic()
        outer._from_testcase = True  # as a TestCase's own: the views' durable blocks may open inside it
        outer.__enter__()
        try:
            logger.setLevel(logging.CRITICAL)
            from tests.conftest import make_clp, reseed_reference_data_if_missing

            reseed_reference_data_if_missing(django_db_blocker)  # after a transactional test's flush
            westland = RegionFactory(name="Westland", code="E15000099")
            anytown = make_clp("Anytown", "E14000901", westland)
            otherton = make_clp("Otherton", "E14000902", westland)
            eastland = RegionFactory(name="Eastland", code="E15000098")
            officer = make_persona(
                "regional@eastland.example", "Eastland Officer", Role.REGIONAL_STAFF, eastland
            )
            yield build_walker(anytown, otherton, westland, officer)
        finally:
            logger.setLevel(level)
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- The tests ---------------------------------------------------------------------------------


def test_every_url_is_covered_by_the_walker(anytown):
    _, uncovered = _plan(anytown)
    assert not uncovered, (
        "These URLs are not in any tests/<app>/walk.py, so nobody has checked that they keep "
        f"other CLPs' data out: {sorted(set(uncovered))}"
    )


def test_every_admin_page_is_scoped():
    unscoped = [m.__name__ for m, a in admin.site._registry.items() if not isinstance(a, ScopedModelAdmin)]
    assert not unscoped, f"Admin pages not built on ScopedModelAdmin: {unscoped}"


def test_every_walk_declaration_names_a_real_url(anytown):
    registry = _registry()
    known = {name for name, _ in _url_names()}
    for kind in ("owners", "no_canary", "queries", "bodies", "capabilities"):
        stale = set(getattr(registry, kind)) - known
        assert not stale, f"{kind.upper()} in tests/*/walk.py names URLs that do not exist: {sorted(stale)}"


@pytest.fixture
def quiet_request_log():
    """Thousands of refusals are the walk working: do not format a traceback for each one."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


# A shard is the first test its worker runs (tests/conftest.py queues the shards first), so its time
# includes creating the test database (minutes under load) and building the world, besides the walk.
WALK_TIMEOUT = 1800


def _walk_params():
    return [pytest.param(shard, id=f"shard-{shard}-of-{WALK_SHARDS}") for shard in range(WALK_SHARDS)]


def _personas_of(walker, shard):
    """The shard's personas, read afresh: an earlier test's walk (rolled back) may have changed them."""
    personas = _shard(walker["personas"], shard)
    for persona in personas:
        if persona.user is not None:
            persona.user.refresh_from_db()
    return personas


@pytest.mark.django_db
class TestWalk:
    """The full walk and its self-test, each split into WALK_SHARDS tests by persona."""

    @pytest.mark.timeout(WALK_TIMEOUT)
    @pytest.mark.parametrize("shard", _walk_params())
    def test_nobody_else_sees_or_changes_anything_of_anytown(self, walker, shard, quiet_request_log):
        """Every persona walks every URL; see the module docstring for what is tried and checked."""
        assert not walker["owner_problems"], "\n".join(walker["owner_problems"])
        walked = [p.label for other in range(WALK_SHARDS) for p in _shard(walker["personas"], other)]
        assert sorted(walked) == sorted(p.label for p in walker["personas"]), (
            "the shards walk every persona once"
        )
        personas = _personas_of(walker, shard)
        problems, reached = [], {}
        for persona in personas:
            started = time.monotonic()
            walk = walk_as(persona, walker["plan"], walker["fingerprint"])
            problems += walk.problems
            reached[persona.label] = (walk.reached, walk.requests, round(time.monotonic() - started, 1))
            print(
                persona.label, reached[persona.label], *walk.problems, sep="\n  ", file=sys.stderr, flush=True
            )
            if persona.user is not None and walk.reached < MIN_REACHED_SHARE * walk.requests:
                problems.append(
                    f"{persona.label} reached only {walk.reached} of {walk.requests} pages: the rest were "
                    "bounced to sign-in or MFA set-up, so they checked nothing"
                )
        print("pages reached / requests / seconds, per persona:", reached)
        assert not problems, "\n".join(problems)
        # A signed-out visitor is bounced from almost everything; the rest must have been walked for real.
        sessions = [
            r for label, (r, n, s) in reached.items() if label != "signed out" and "token" not in label
        ]
        tokens = [r for label, (r, n, s) in reached.items() if "token" in label]
        assert sessions and tokens, "each shard walks signed-in personas and API tokens"
        assert min(sessions) > 0.9 * len(walker["plan"])
        api = [planned for planned in walker["plan"] if planned.url.startswith(TOKEN_APIS)]
        assert api and min(tokens) >= 0.9 * 2 * len(api)

    @pytest.mark.timeout(WALK_TIMEOUT)
    @pytest.mark.parametrize("shard", _walk_params())
    def test_the_walker_fails_for_every_persona_when_scoping_is_off(
        self, walker, shard, monkeypatch, quiet_request_log
    ):
        _without_scoping(monkeypatch)
        blind = []
        for persona in _personas_of(walker, shard):
            if persona.user is None:
                continue  # signed out, the views turn a visitor away before scoping is asked
            walk = walk_as(persona, walker["plan"], walker["fingerprint"], stop_at_first=True)
            if not walk.problems:
                blind.append(persona.label)
        assert not blind, f"With scoping switched off, the walk found nothing for: {blind}"


def _without_scoping(monkeypatch):
    """Make the one function that answers "where may this user do this" answer "everywhere"."""
    original = scoping.constituencies_for

    def everywhere(user, action):
        return Constituency.objects.all() if user.is_authenticated else Constituency.objects.none()

    for module in list(sys.modules.values()):
        if getattr(module, "constituencies_for", None) is original:
            monkeypatch.setattr(module, "constituencies_for", everywhere)
