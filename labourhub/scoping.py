"""Which areas may this user do ACTION in? Every queryset of personal data asks here.

`constituencies_for(user, action)` returns a lazy queryset, so filtering by it
(`constituency__in=...`) is one SQL query with a subquery, however many grants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from labourhub.models import Constituency, Grant, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

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
    Action.USE_ADMIN: OFFICERS | {R.ORGANISER, R.REGIONAL_STAFF},
}

# Roles that see personal data beyond canvassing must use MFA.
ROLES_NEEDING_MFA = set(Role) - {R.CANVASSER, R.TELLER}
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
    """May `user` do `action` anywhere (or in `constituency`, when given)?"""
    allowed = constituencies_for(user, action)
    if constituency is not None:
        allowed = allowed.filter(pk=constituency.pk)
    return allowed.exists()


def require(user: User | AnonymousUser, action: Action, constituency: Constituency | None = None) -> None:
    """The one check a view makes before anything else: 403 unless `user` may do `action` (anywhere,
    or in `constituency`). Signed-out users and users with no such role get the same answer."""
    if not can(user, action, constituency):
        raise PermissionDenied("You have no role that allows this.")


def needs_mfa(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or Grant.objects.filter(user=user, role__in=ROLES_NEEDING_MFA).exists()


class ScopedQuerySet(models.QuerySet[Any]):
    """A queryset of personal data: `.for_user(user)` keeps only rows in the user's areas.

    Subclasses name the path from their model to its Constituency and the action
    that reading them needs.
    """

    constituency_path = "constituency"
    default_action = Action.VIEW_VOTERS

    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        allowed = constituencies_for(user, action or self.default_action)
        return self.filter(**{f"{self.constituency_path}__in": allowed})
