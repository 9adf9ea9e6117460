"""Who may decide a request's current step, and who hears about it.

Each step has many possible deciders: any endorser of the CLP, any reviewer of the region,
and, once the step is past its deadline, the next level up (reviewers for an endorsement,
the region's escalation contacts for a review). Anyone may act for a decider who has
delegated to them for today. Nobody decides their own request (services.py checks that).
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from access.models import AccessRequest, Delegation, EscalationContact, Status, Step
from labourhub.models import Constituency, Grant, Region
from labourhub.scoping import ROLES_FOR, Action


def _acting_for(user, at):
    """`user` and everyone who has delegated to them today (a lazy subquery)."""
    return Q(user=user) | Q(
        user__in=Delegation.objects.in_force(at).filter(delegate=user).values("delegator")
    )


def decidable_constituencies(user, action, at=None):
    """CLPs where `user` may do `action` (ENDORSE_ACCESS or REVIEW_ACCESS), directly or as a delegate."""
    at = at or timezone.now()
    if not user.is_authenticated or not user.is_active:
        return Constituency.objects.none()
    grants = Grant.all_objects.active(at).filter(_acting_for(user, at), role__in=ROLES_FOR[action])
    return Constituency.objects.filter(
        Q(pk__in=grants.filter(constituency__isnull=False).values("constituency"))
        | Q(region__in=grants.filter(region__isnull=False).values("region"))
    )


def escalation_regions(user, at=None):
    """Regions where `user` is (or stands in for) the next level up."""
    at = at or timezone.now()
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    return Region.objects.filter(
        pk__in=EscalationContact.objects.filter(_acting_for(user, at)).values("region")
    )


def endorser_queue(user, at=None):
    """Open endorsements this user may give, soonest deadline first (their own excluded), or None
    when they endorse nowhere. The user's CLPs are read first (one query), so the queue itself is a
    plain indexed filter."""
    endorsable = list(decidable_constituencies(user, Action.ENDORSE_ACCESS, at).values_list("pk", flat=True))
    if not endorsable:
        return None
    return (
        AccessRequest.objects.filter(status=Status.ENDORSEMENT, constituency_id__in=endorsable)
        .exclude(requester=user)
        .by_deadline()
    )


def reviewer_queue(user, at=None):
    """Reviews this user may make, plus endorsements and reviews escalated to them; None when
    they review nowhere."""
    reviewable = list(decidable_constituencies(user, Action.REVIEW_ACCESS, at).values_list("pk", flat=True))
    escalated_to = list(escalation_regions(user, at).values_list("pk", flat=True))
    if not reviewable and not escalated_to:
        return None
    return (
        AccessRequest.objects.filter(
            Q(status=Status.REVIEW, constituency_id__in=reviewable)
            | Q(status=Status.ENDORSEMENT, escalated=True, constituency_id__in=reviewable)
            | Q(status=Status.REVIEW, escalated=True, region_id__in=escalated_to)
        )
        .exclude(requester=user)
        .by_deadline()
    )


def decider_capacity(user, access_request, at=None):
    """The level at which `user` may decide the request's current step (Step.REVIEW outranks
    Step.ENDORSEMENT), or None when they may not decide it."""
    at = at or timezone.now()
    constituency = access_request.constituency
    escalated = access_request.escalated
    step = access_request.step
    reviewable = decidable_constituencies(user, Action.REVIEW_ACCESS, at).filter(pk=constituency.pk).exists()
    if step == Step.ENDORSEMENT:
        if escalated and reviewable:
            return Step.REVIEW
        if decidable_constituencies(user, Action.ENDORSE_ACCESS, at).filter(pk=constituency.pk).exists():
            return Step.ENDORSEMENT
        return None
    if reviewable or (
        escalated and escalation_regions(user, at).filter(pk=access_request.region_id).exists()
    ):
        return Step.REVIEW
    return None


def authority_for(user, access_request, at=None):
    """The decider whose delegation `user` uses, or None when they act in their own right."""
    at = at or timezone.now()
    action = Action.ENDORSE_ACCESS if access_request.step == Step.ENDORSEMENT else Action.REVIEW_ACCESS
    own = (
        Grant.all_objects.active(at)
        .filter(user=user, role__in=ROLES_FOR[action])
        .covering(access_request.constituency)
    )
    if own.exists() or EscalationContact.objects.filter(user=user, region=access_request.region_id).exists():
        return None
    delegators = Delegation.objects.in_force(at).filter(delegate=user).values("delegator")
    grant = (
        Grant.all_objects.active(at)
        .filter(user__in=delegators, role__in=ROLES_FOR[action])
        .covering(access_request.constituency)
        .select_related("user")
        .first()
    )
    return grant.user if grant else None


def deciders_for(access_request, at=None):
    """Everyone who may decide the current step now (for notifications), delegates included."""
    at = at or timezone.now()
    constituency = access_request.constituency
    actions = [Action.ENDORSE_ACCESS] if access_request.step == Step.ENDORSEMENT else [Action.REVIEW_ACCESS]
    if access_request.escalated and access_request.step == Step.ENDORSEMENT:
        actions.append(Action.REVIEW_ACCESS)
    roles = set().union(*(ROLES_FOR[a] for a in actions))
    holders = Grant.all_objects.active(at).covering(constituency).filter(role__in=roles).values("user")
    direct = Q(pk__in=holders)
    if access_request.escalated and access_request.step == Step.REVIEW:
        direct |= Q(pk__in=EscalationContact.objects.filter(region=access_request.region_id).values("user"))
    User = get_user_model()
    deciders = User.objects.filter(direct, is_active=True)
    delegates = Delegation.objects.in_force(at).filter(delegator__in=deciders).values("delegate")
    return User.objects.filter(Q(pk__in=deciders.values("pk")) | Q(pk__in=delegates), is_active=True).exclude(
        pk=access_request.requester_id
    )


def requests_visible_to(user, at=None):
    """Requests `user` may open: their own, those they asked for, and those they may decide."""
    if not user.is_authenticated or not user.is_active:
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(
        Q(requester=user)
        | Q(submitted_by=user)
        | Q(constituency__in=decidable_constituencies(user, Action.ENDORSE_ACCESS, at))
        | Q(constituency__in=decidable_constituencies(user, Action.REVIEW_ACCESS, at))
        | Q(region__in=escalation_regions(user, at))
    )
