"""The access app's reads of holdings and members that follow its own rules, not one CLP and
action: a person's own holdings, the holding of a request or grant already checked, the
holdings a decider may revoke, the public register of a CLP the reader belongs to.

Views call these (as they call `Model.objects.for_user`); each takes the acting user or a row
already access-checked, so none of them hands out rows the caller has not been allowed.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q

from access.deciders import decidable_constituencies
from access.models import Holding
from labourhub.models import Grant, Role
from labourhub.scoping import Action
from members.models import Member
from members.models import Status as MemberStatus


def holdings_of(user):
    """The signed-in person's own holdings."""
    return Holding.unscoped.filter(user=user) if user.is_authenticated else Holding.objects.none()


def holding_of_request(access_request):
    """The holding an (access-checked) request led to, if any."""
    return Holding.unscoped.filter(request=access_request).select_related("grant", "replaced_by").first()


def holding_of_grant(grant):
    """The holding behind an (access-checked) grant, if any."""
    return Holding.unscoped.filter(grant=grant).select_related("request__tool").first()


def holdings_revocable_by(user):
    """Holdings in the CLPs where `user` may endorse or review access (their deciders)."""
    return Holding.unscoped.filter(
        Q(constituency__in=decidable_constituencies(user, Action.ENDORSE_ACCESS))
        | Q(constituency__in=decidable_constituencies(user, Action.REVIEW_ACCESS))
    )


def register_holdings(constituency):
    """Who holds what in a CLP, for the public register (the view checks the reader belongs)."""
    return Holding.unscoped.active().filter(constituency=constituency)


def people_of(constituencies):
    """Users who belong to any of `constituencies`: a membership (not lapsed) or a role there."""
    members = Member.unscoped.filter(constituency__in=constituencies, user__isnull=False).exclude(
        status=MemberStatus.LAPSED
    )
    grants = Grant.objects.filter(
        Q(constituency__in=constituencies) | Q(region__in=constituencies.values("region"))
    ).exclude(role=Role.VISITING_ACTIVIST)
    return (
        get_user_model()
        .objects.filter(Q(pk__in=members.values("user")) | Q(pk__in=grants.values("user")))
        .values("pk")
    )
