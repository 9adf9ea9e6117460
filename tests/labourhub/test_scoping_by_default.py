"""Scoping that a new view cannot forget (issue 12, item 1).

Every model of personal data is a `labourhub.scoping.ScopedModel` declaring one `scope_path`;
its `objects` answers only `.for_user(user, action)` (and its queryset's other user-bound entry
points); `unscoped` is asked for by name outside the view layer. These tests hold the code to it:
the view layer (views, API, forms, template tags) is parsed with `ast` and may not name the
unscoped manager, `_default_manager`, `get_object_or_404(<scoped model>, ...)` or `.objects.`
of a scoped model without `.for_user`; and each part derived from `scope_path` (the queryset
filter, the audit area, the admin's rows) is shown to follow it.

The scoping walker (tests/test_scoping_walker.py) stays the second line of defence.
"""

import ast
import textwrap
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from labourhub.models import Constituency
from labourhub.scoped_admin import ScopedModelAdmin
from labourhub.scoping import Action, ScopedModel, UnscopedAccessError
from members.models import Member
from tests.factories import BranchFactory
from tests.members.factories import MemberFactory
from voters.models import Elector

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"labourhub", "voters", "members", "campaigns", "gotv", "access", "casework"}

# Models that point at a constituency, an elector, a member or a scoped model but are not
# ScopedModels, each with the reason. A new model that points at one of them must either be a
# ScopedModel or be added here with its reason (test_every_model_of_personal_data_is_scoped).
NOT_SCOPED = {
    "labourhub.Branch": "the party's shape: public names of areas, no person in it",
    "labourhub.Ward": "the party's shape: public names of areas, no person in it",
    "labourhub.PollingDistrict": "the party's shape: public codes of areas, no person in it",
    "labourhub.Grant": "safe by default already: `objects` is active grants, read per user; the "
    "admin filters it by its constituency",
    "labourhub.PrivacyNotice": "a CLP's published details as data controller (a role's contact, not a "
    "person's): public on its privacy notice by design",
    "labourhub.AuditEvent": "read only through the audit pages, which filter by VIEW_AUDIT areas "
    "(constituency or region)",
    "voters.RegisterPublication": "a publication's date and constituency: no person in it",
    "voters.ContactRule": "a CLP's quiet days per channel: no person in it",
    "members.EmailBatch": "a send's slice for one worker: ids and counts, no person in it; read by "
    "tasks only",
    "campaigns.Question": "a survey's wording, the same for everyone who canvasses it",
    "campaigns.PackDoor": "join row of a scoped Pack and Property: read through the pack",
    "campaigns.PackDownload": "when a pack was downloaded: read through the scoped pack",
    "campaigns.Answer": "part of a scoped Visit: read only through it (visit.answers)",
    "campaigns.VisitIssue": "part of a scoped Visit: read only through it",
    "campaigns.VisitVoid": "part of a scoped Visit: read only through it",
    "gotv.BallotBoxDistrict": "which districts a box serves: places, no person in it",
    "gotv.CommitteeRoomBox": "which boxes a committee room covers: places, no person in it",
    "casework.Office": "an elected representative's office: public names and the area its "
    "caseworkers' grants are on, no constituent in it",
    "access.AccessRequest": "scoped by its own rules (requester, CLP endorsers, region reviewers: "
    "a constituency or a region, not one path) in AccessRequestQuerySet",
}


def scoped_models():
    return [m for m in apps.get_models() if issubclass(m, ScopedModel)]


def project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


# --- The view layer names no unscoped access -----------------------------------------------


def view_layer_files():
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in PROJECT_APPS or "migrations" in rel.parts:
            continue
        name = rel.name
        if (
            name.startswith("views")
            or name.startswith("forms")
            or name.endswith("api.py")  # api.py, and campaigns/events_api.py
            or name == "voter_page.py"  # voter_page: read for the voter's page
            or "api" in rel.parts[1:-1]
            or "templatetags" in rel.parts
        ):
            yield rel


def unscoped_uses(source, scoped, filename="<source>"):
    """Each `(line, what)` in `source` that reaches a scoped model's rows without `.for_user`.

    `scoped` maps a model's class name to the names its `objects` lets through. Names are
    resolved through `from x import Model as Alias`."""
    tree = ast.parse(source, filename=filename)
    names = {name: name for name in scoped}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in scoped and alias.asname:
                    names[alias.asname] = alias.name

    def model_named(node):
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.Attribute):
            return names.get(node.attr)
        return None

    found = []
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in {"unscoped", "_default_manager", "_base_manager"}:
                found.append((node.lineno, f".{node.attr}"))
            elif node.attr == "objects" and (model := model_named(node.value)):
                parent = parents.get(node)
                through = parent.attr if isinstance(parent, ast.Attribute) else None
                if through not in scoped[model]:
                    found.append((node.lineno, f"{model}.objects.{through or ''}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
            in {"get_object_or_404", "get_list_or_404"}
            and node.args
            and (model := model_named(node.args[0]))
        ):
            found.append((node.lineno, f"get_object_or_404({model}, ...)"))
    return sorted(found)


def entry_points():
    return {m.__name__: set(m.unscoped.get_queryset().entry_points) | {"none"} for m in scoped_models()}


def test_views_api_forms_and_template_tags_read_personal_data_only_through_for_user():
    scoped = entry_points()
    problems = []
    files = list(view_layer_files())
    assert any(f.name == "views.py" for f in files) and any(f.name == "api.py" for f in files)
    for rel in files:
        for line, what in unscoped_uses((ROOT / rel).read_text(), scoped, str(rel)):
            problems.append(f"{rel}:{line}: {what}")
    assert problems == [], (
        "The view layer reaches personal data without scoping; use Model.objects.for_user(user, "
        "action) or labourhub.scoping.get_for_user(Model, request, pk, action):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    "source, what",
    [
        ("Elector.unscoped.all()", ".unscoped"),
        ("Elector._default_manager.filter(pk=1)", "._default_manager"),
        ("Elector.objects.filter(pk=1)", "Elector.objects.filter"),
        ("Elector.objects.get(pk=1)", "Elector.objects.get"),
        ("Elector . objects\\\n   .all()", "Elector.objects.all"),
        ("(Elector\n .objects\n .select_related('home'))", "Elector.objects.select_related"),
        ("m = Elector.objects", "Elector.objects."),
        ("from voters.models import Elector as E\nE.objects.all()", "Elector.objects.all"),
        ("import voters.models\nvoters.models.Elector.objects.all()", "Elector.objects.all"),
        ("get_object_or_404(Elector, pk=1)", "get_object_or_404(Elector, ...)"),
        ("shortcuts.get_object_or_404(models.Elector, pk=1)", "get_object_or_404(Elector, ...)"),
        ("Member.objects.pool_for(user)", "Member.objects.pool_for"),
    ],
)
def test_the_parser_catches_each_way_of_writing_unscoped_access(source, what):
    scoped = {"Elector": {"for_user", "none"}, "Member": {"for_user", "none", "for_linked_user"}}
    assert [w for _, w in unscoped_uses(textwrap.dedent(source), scoped)] == [what]


@pytest.mark.parametrize(
    "source",
    [
        "Elector.objects.for_user(request.user, Action.VIEW_VOTERS).filter(pk=1)",
        "(Elector\n  .objects\n  .for_user(user))",
        "Elector.objects.none()",
        "Member.objects.for_linked_user(request.user)",
        "get_object_or_404(Elector.objects.for_user(request.user), pk=1)",
        "Constituency.objects.filter(pk=1)",  # not a scoped model
        "get_object_or_404(Constituency, pk=1)",
        "election.boxes.all()",  # through a row already scoped
    ],
)
def test_the_parser_lets_scoped_access_through(source):
    scoped = {"Elector": {"for_user", "none"}, "Member": {"for_user", "none", "for_linked_user"}}
    assert unscoped_uses(source, scoped) == []


# --- The managers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "use",
    [
        lambda m: m.all(),
        lambda m: m.filter(pk=1),
        lambda m: m.get(pk=1),
        lambda m: m.create(),
        lambda m: m.count(),
        lambda m: m.exclude(pk=1),
        lambda m: m.select_related(),
        lambda m: m.in_good_standing(),  # a domain method of MemberQuerySet
    ],
)
def test_objects_used_without_for_user_raises_naming_both_ways_in(use):
    guarded = Member._meta.managers_map["objects"]  # as written, the codemod would rewrite it
    with pytest.raises(UnscopedAccessError) as raised:
        use(guarded)
    assert "Member.objects.for_user(user, action)" in str(raised.value)
    assert "Member.unscoped" in str(raised.value)


@pytest.mark.parametrize("model", scoped_models(), ids=lambda m: m._meta.label)
def test_every_scoped_model_has_unscoped_as_default_and_a_plain_base_manager(model):
    assert model._default_manager.name == "unscoped"
    assert type(model._base_manager) is models.Manager
    guarded = model.objects
    with pytest.raises(UnscopedAccessError):
        guarded.all()
    assert guarded.none().model is model


@pytest.mark.django_db
def test_related_access_deletion_and_for_user_work_as_before(anytown, otherton, anytown_secretary):
    ours = MemberFactory(constituency=anytown.constituency)
    theirs = MemberFactory(constituency=otherton.constituency)
    ours.consents.create(channel="email", granted=True, wording="Yes")
    assert ours.consents.count() == 1  # related managers use the default (unscoped) manager
    assert list(Member.objects.for_user(anytown_secretary, Action.VIEW_MEMBERS)) == [ours]
    theirs.delete()  # the collector reaches related rows through the base manager
    assert not Member.unscoped.filter(pk=theirs.pk).exists()


# --- Everything comes from scope_path -------------------------------------------------------


@pytest.mark.parametrize("model", scoped_models(), ids=lambda m: m._meta.label)
def test_scope_path_leads_to_a_constituency_through_foreign_keys(model):
    current = model
    for step in model.scope_path.split("__"):
        field = current._meta.get_field(step)
        assert field.many_to_one or field.one_to_one, (
            f"{model.__name__}.scope_path: {step} is not a foreign key"
        )
        current = field.related_model
    assert current is Constituency, f"{model.__name__}.scope_path ends at {current.__name__}"
    assert model.scope_action in Action.values


def test_a_wrong_scope_path_fails_the_path_check(monkeypatch):
    monkeypatch.setattr(Elector, "scope_path", "polling_district__ward")
    with pytest.raises(AssertionError, match="ends at Ward"):
        test_scope_path_leads_to_a_constituency_through_foreign_keys(Elector)


@pytest.mark.django_db
def test_filter_audit_area_and_admin_all_follow_scope_path(anytown, otherton, anytown_secretary, monkeypatch):
    """Point Member's scope_path through its branch instead, and all three follow it."""
    otherton_branch = BranchFactory(constituency=otherton.constituency)
    member = MemberFactory(constituency=anytown.constituency, branch=otherton_branch)
    request = RequestFactory().get("/admin/members/member/")
    request.user = anytown_secretary
    member_admin = admin.site._registry[Member]
    assert isinstance(member_admin, ScopedModelAdmin)

    def seen():
        return (
            member in Member.objects.for_user(anytown_secretary, Action.VIEW_MEMBERS),
            member in member_admin.get_queryset(request),
            member.audit_constituency,
        )

    assert seen() == (True, True, anytown.constituency)
    monkeypatch.setattr(Member, "scope_path", "branch__constituency")
    assert seen() == (False, False, otherton.constituency)


def test_admins_of_scoped_models_name_no_path_of_their_own():
    copies = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if issubclass(model, ScopedModel)
        and any(
            "constituency_path" in vars(cls)
            for cls in type(model_admin).__mro__
            if cls is not ScopedModelAdmin
        )
    ]
    assert copies == []


def test_audit_area_is_declared_only_by_scope_path():
    """No model of ours carries its own `audit_constituency` beside ScopedModel's, except those
    that are not ScopedModels and say why in NOT_SCOPED."""
    own = [
        m._meta.label
        for m in project_models()
        if "audit_constituency" in vars(m) and (issubclass(m, ScopedModel) or m._meta.label not in NOT_SCOPED)
    ]
    assert own == []


# --- Every model of personal data is scoped -------------------------------------------------


def test_every_model_of_personal_data_is_scoped():
    personal = (Constituency, Elector, Member)
    unscoped = []
    for model in project_models():
        if issubclass(model, ScopedModel) or model._meta.label in NOT_SCOPED:
            continue
        for field in model._meta.get_fields():
            target = field.related_model if field.is_relation and field.concrete else None
            if target is not None and (target in personal or issubclass(target, ScopedModel)):
                unscoped.append(f"{model._meta.label}.{field.name} -> {target.__name__}")
    assert unscoped == [], (
        "These models point at personal data but are not ScopedModels: make them ScopedModels "
        "with a scope_path, or add them to NOT_SCOPED with the reason they hold none:\n" + "\n".join(unscoped)
    )


def test_not_scoped_list_has_no_stale_entries():
    labels = {m._meta.label: m for m in project_models()}
    assert [
        label for label in NOT_SCOPED if label not in labels or issubclass(labels[label], ScopedModel)
    ] == []


def test_the_personal_data_check_catches_a_new_unscoped_model():
    class Canvass(models.Model):  # noqa: DJ008 - a model someone adds without the base
        elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "campaigns"

    try:
        with pytest.raises(AssertionError, match=r"campaigns.Canvass.elector -> Elector"):
            test_every_model_of_personal_data_is_scoped()
    finally:
        del apps.all_models["campaigns"]["canvass"]
        apps.clear_cache()
