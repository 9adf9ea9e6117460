"""Which areas may this user do ACTION in? Every queryset of personal data asks here.

`constituencies_for(user, action)` returns a lazy queryset, so filtering by it
(`constituency__in=...`) is one SQL query with a subquery, however many grants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

from labourhub.models import Constituency, Grant, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from labourhub.models import User


class Action(models.TextChoices):
    VIEW_VOTERS = (
        "view_voters",
        "Search the register; see electors with their notes, contact history and scores",
    )
    MANAGE_VOTERS = "manage_voters", "Import the register and export elector lists"
    CANVASS = (
        "canvass",
        "Knock doors and make calls: the electors of the packs given to you, as the door needs",
    )
    ORGANISE = "organise", "Plan canvassing and read reports"
    VIEW_MEMBERS = "view_members", "See members"
    MANAGE_MEMBERS = "manage_members", "Import, change and email members"
    TELL = "tell", "Take numbers and knock up on polling day"
    CASEWORK = "casework", "Handle constituents' cases"
    ENDORSE_ACCESS = "endorse_access", "Endorse access requests for a CLP"
    REVIEW_ACCESS = "review_access", "Approve access requests for a region"
    VIEW_AUDIT = "view_audit", "Read the audit log"
    PROTECT_DATA = (
        "protect_data",
        "Answer data-subject requests, erase or suppress a person, record breaches",
    )
    READ_DATA_PROTECTION = (
        "read_data_protection",
        "Read the data-subject requests report and the breach log (no requester's details)",
    )
    USE_ADMIN = "use_admin", "Use the office admin"


R = Role
OFFICERS = {R.CLP_SECRETARY, R.CLP_OFFICER, R.ADMIN}
# Least privilege (issue 10, item 12): canvassers and tellers, who sign in without MFA, never search
# the register or open an elector's page (notes, full contact history, model scores). A canvasser
# works through CANVASS alone, on the packs given to them (campaigns.models.PackQuerySet) with only
# what the door needs; a teller through TELL alone.
ROLES_FOR = {
    Action.VIEW_VOTERS: OFFICERS | {R.ORGANISER},
    Action.MANAGE_VOTERS: OFFICERS | {R.ORGANISER},
    Action.CANVASS: OFFICERS | {R.ORGANISER, R.CANVASSER},
    Action.ORGANISE: OFFICERS | {R.ORGANISER},
    Action.VIEW_MEMBERS: OFFICERS | {R.ORGANISER},
    Action.MANAGE_MEMBERS: OFFICERS,
    Action.TELL: OFFICERS | {R.ORGANISER, R.TELLER},
    # Casework is the elected representative's data: campaign roles never see it.
    Action.CASEWORK: {R.CASEWORKER},
    Action.ENDORSE_ACCESS: {R.CLP_SECRETARY, R.CLP_OFFICER},
    Action.REVIEW_ACCESS: {R.REGIONAL_STAFF},
    Action.VIEW_AUDIT: {R.CLP_SECRETARY, R.REGIONAL_STAFF, R.ADMIN},
    Action.PROTECT_DATA: {R.CLP_SECRETARY, R.DATA_PROTECTION_LEAD},
    # Regional staff oversee their region's CLPs: the report's figures and the breach log, never the
    # register of requests itself (requesters' names and what they asked).
    Action.READ_DATA_PROTECTION: {R.CLP_SECRETARY, R.DATA_PROTECTION_LEAD, R.REGIONAL_STAFF},
    Action.USE_ADMIN: OFFICERS | {R.ORGANISER, R.REGIONAL_STAFF},
}

# Roles that see personal data beyond canvassing must use MFA.
ROLES_NEEDING_MFA = set(Role) - {R.CANVASSER, R.TELLER, R.VISITING_ACTIVIST}
# Actions that reach personal data beyond the doorstep: every role allowed them must use MFA
# (tests/labourhub/test_least_privilege.py holds the table to this).
MFA_ACTIONS = set(Action) - {Action.CANVASS, Action.TELL}


def constituencies_for(user: User | AnonymousUser, action: Action) -> models.QuerySet[Constituency]:
    """The constituencies where `user` may do `action` now."""
    if not user.is_authenticated or not user.is_active:
        return Constituency.objects.none()
    if user.is_superuser:
        return Constituency.objects.all()
    grants = Grant.objects.filter(user=user, role__in=ROLES_FOR[action])
    return Constituency.objects.filter(
        Q(pk__in=grants.filter(constituency__isnull=False).values("constituency"))
        | Q(region__in=grants.filter(region__isnull=False).values("region"))
    )


def can(user: User | AnonymousUser, action: Action, constituency: Constituency | None = None) -> bool:
    """May `user` do `action` anywhere (or in `constituency`, when given)? The one answer pages, the
    API and services all get: `constituencies_for`'s rule, run as the SQL labourhub.scoping_sql
    compiled from it once per process (compiling it was most of a check's cost), afresh each call."""
    if not user.is_authenticated or not user.is_active:
        return False  # constituencies_for's none(): no statement
    from labourhub import scoping_sql  # it compiles this module's rule, so it imports this module

    sql, params = scoping_sql.constituencies_sql(user, action)
    if constituency is not None:
        sql, params = scoping_sql.narrowed_to(sql, params, constituency.pk)
    return scoping_sql.exists(sql, params)


def require(user: User | AnonymousUser, action: Action, constituency: Constituency | None = None) -> None:
    """The one check a view makes before anything else: 403 unless `user` may do `action` (anywhere,
    or in `constituency`). Signed-out users and users with no such role get the same answer; the
    platform operator passes even where no constituency exists yet (national data: postcodes)."""
    if not (user.is_superuser or can(user, action, constituency)):
        raise PermissionDenied("You have no role that allows this.")


def grants_needing_mfa(user: User | AnonymousUser) -> models.QuerySet[Grant]:
    """The user's live grants of a role that must use MFA (labourhub.scoping_sql compiles this)."""
    return Grant.objects.filter(user=user, role__in=ROLES_NEEDING_MFA)


def needs_mfa(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or grants_needing_mfa(user).exists()


class UnscopedAccessError(RuntimeError):
    """`Model.objects` of personal data was used without `.for_user(user, action)`."""


class ScopedQuerySet(models.QuerySet[Any]):
    """A queryset of personal data: `.for_user(user, action)` keeps only rows in the user's areas.

    The path to the constituency and the default action are the model's (`ScopedModel`).
    """

    # The methods `Model.objects` lets through: each takes the acting user and returns only what
    # that user may see. A queryset adds one only for a second, user-bound way in (a member's own
    # record, a region's volunteer pool); tests/labourhub/test_scoping_by_default.py reads this.
    entry_points: tuple[str, ...] = ("for_user",)

    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        allowed = constituencies_for(user, action or self.model.scope_action)
        return self.filter(**{f"{self.model.scope_path}__in": allowed})

    @classmethod
    def as_guarded_manager(cls) -> models.Manager[Any]:
        """`objects` of a ScopedModel: its only ways in are the queryset's `entry_points`."""
        manager_class = _guarded_manager_class(cls)
        for name in cls.entry_points:
            setattr(manager_class, name, _entry_point(name))
        manager_class.__name__ = f"Guarded{cls.__name__}Manager"
        return manager_class()


def _guarded_manager_class(queryset_class: type[ScopedQuerySet]) -> type[Any]:
    return GuardedManager.from_queryset(queryset_class)


def _entry_point(name: str) -> Callable[..., Any]:
    def method(self: models.Manager[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(models.Manager.get_queryset(self), name)(*args, **kwargs)

    method.__name__ = name
    return method


class GuardedManager(models.Manager[Any]):
    """Every queryset method but the entry points (and `none()`, which holds nothing) raises,
    naming the two ways in."""

    def get_queryset(self) -> models.QuerySet[Any]:
        name = self.model.__name__
        raise UnscopedAccessError(
            f"{name}.objects holds every CLP's rows and is only usable as "
            f"{name}.objects.for_user(user, action) (views, API, forms, template tags); "
            f"imports, tasks, services and tests that mean every row ask for {name}.unscoped by name."
        )

    def none(self) -> models.QuerySet[Any]:
        return super().get_queryset().none()


class ScopedModel(models.Model):
    """Base of every model of personal data. Declare once, on the model:

    - `scope_path`: the lookup from the model to its Constituency ("elector__polling_district__constituency");
    - `scope_action`: the Action that reading a row needs by default.

    From them come the queryset filter (`Model.objects.for_user(user, action)`), the audit area
    (`audit_constituency`) and the office admin's filtering (labourhub.scoped_admin).

    Managers: `unscoped` (declared first, so Django's default manager: the admin, related-object
    access, serialisation and deletion use it) returns every row and is asked for by name in imports,
    tasks, services and tests; `objects` is guarded. A model with its own queryset declares both, in
    this order:

        unscoped = ElectorQuerySet.as_manager()
        objects = ElectorQuerySet.as_guarded_manager()
    """

    scope_path: str = "constituency"
    scope_action: Action = Action.VIEW_VOTERS

    unscoped = ScopedQuerySet.as_manager()
    objects = ScopedQuerySet.as_guarded_manager()  # type: ignore[django-manager-missing]  # built at run time

    class Meta:
        abstract = True

    @property
    def audit_constituency(self) -> Constituency | None:
        """The Constituency this row belongs to, by walking `scope_path`."""
        obj: Any = self
        for step in self.scope_path.split("__"):
            obj = getattr(obj, step, None)
            if obj is None:
                return None
        return obj


def get_for_user(
    model: type[ScopedModel],
    request: HttpRequest,
    pk: object,
    action: Action | None = None,
    *,
    related: Sequence[str] = (),
) -> Any:
    """The one access-checked lookup of views: row `pk` of the ScopedModel `model` within the
    areas where the user may do `action` (the model's `scope_action` by default), with the
    `related` rows joined in; 404 outside them, or when `pk` is not a valid key.

    Per-model wrappers (`get_elector_for_user(request, pk, action)`) call this and exist only
    where they add something (the joins a page needs, a narrower queryset)."""
    queryset = model.objects.for_user(request.user, action)
    if related:
        queryset = queryset.select_related(*related)
    try:
        return queryset.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404(f"No {model._meta.verbose_name} {pk!r} here.") from exc
