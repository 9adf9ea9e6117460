"""Who may decide a request's current step, and who hears about it.

Each tool names its endorser roles and approver roles. Deciders stand in tiers: the CLP's
endorsers (anyone holding one of the tool's endorser roles over the CLP), the approvers
(one of the tool's approver roles over the CLP, usually regional staff), then the region's
escalation contact (e.g. the regional director), then the national contact (the last resort).
An endorsement starts with the endorsers, a review with the approvers; each time a step passes
a deadline it climbs one tier, and everyone from the step's first tier up to the tier it has
reached may decide it. Anyone may act for a decider
who has delegated to them for today. Nobody decides their own request (services.py checks that).
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from access.models import AccessRequest, Delegation, EscalationContact, Status, Step, Tier, Tool
from labourhub.models import Constituency, Grant, Region
from labourhub.scoping import ROLES_FOR

ROLE_FIELD = {Tier.ENDORSERS: "endorser_roles", Tier.APPROVERS: "approver_roles"}


def _acting_for(user, at):
    """`user` and everyone who has delegated to them today (a lazy subquery)."""
    return Q(user=user) | Q(
        user__in=Delegation.objects.in_force(at).filter(delegate=user).values("delegator")
    )


def _climbed_to(tier):
    """Requests whose current step has reached `tier` (from its first tier, through escalations)."""
    reached = Q(step=Step.ENDORSEMENT, escalation_level__gte=tier - Tier.ENDORSERS)
    if tier >= Tier.APPROVERS:
        reached |= Q(step=Step.REVIEW, escalation_level__gte=tier - Tier.APPROVERS)
    return reached


def _reaches(tier):
    """Open steps whose deciders include `tier` now."""
    return Q(status__in=[Status.ENDORSEMENT, Status.REVIEW]) & _climbed_to(tier)


@dataclass
class Authority:
    """What one person may decide, in their own right or for someone who delegated to them today.
    Loaded in two queries; `holdings` are (holder id, role, constituency id, region id) and
    `contacts` are (holder id, tier, region id)."""

    user_id: int
    holdings: list = field(default_factory=list)
    contacts: list = field(default_factory=list)

    @property
    def roles(self):
        return {role for _, role, _, _ in self.holdings}

    def role_q(self, tier, named=None):
        """Requests whose tool names one of this person's roles for `tier`, over the request's area
        (only roles in `named`, when given: those some tool names for that tier)."""
        by_role = {}
        for _, role, constituency_id, region_id in self.holdings:
            if named is not None and role not in named:
                continue
            areas = by_role.setdefault(role, (set(), set()))
            (areas[0] if constituency_id else areas[1]).add(constituency_id or region_id)
        parts = [
            Q(**{f"tool__{ROLE_FIELD[tier]}__contains": [role]})
            & (Q(constituency_id__in=constituencies) | Q(region_id__in=regions))
            for role, (constituencies, regions) in by_role.items()
        ]
        return reduce(or_, parts) if parts else None

    def contact_q(self, tier):
        """Requests this person's escalation contacts of `tier` cover (national: every region)."""
        regions = {region_id for _, level, region_id in self.contacts if level == tier}
        if not regions:
            return None
        return Q() if tier == Tier.NATIONAL else Q(region_id__in=regions)

    def queue_q(self, tiers, named):
        """Open requests this person may decide now at any of `tiers`, or None if none could be.
        `named` maps each role tier to the roles the catalogue names for it."""
        parts = []
        for tier in tiers:
            where = self.role_q(tier, named[tier]) if tier in ROLE_FIELD else self.contact_q(tier)
            if where is not None:
                parts.append(_reaches(tier) & where)
        return reduce(or_, parts) if parts else None

    def tiers_for(self, access_request, holder_id=None):
        """The tiers this person holds for `access_request` (only through `holder_id` when given)."""
        tool = access_request.tool
        tiers = set()
        for holder, role, constituency_id, region_id in self.holdings:
            covers = (
                constituency_id == access_request.constituency_id or region_id == access_request.region_id
            )
            if covers and holder_id in (None, holder):
                tiers |= {tier for tier, name in ROLE_FIELD.items() if role in getattr(tool, name)}
        tiers |= {
            level
            for holder, level, region_id in self.contacts
            if region_id in (None, access_request.region_id) and holder_id in (None, holder)
        }
        return tiers


def authority(user, at=None):
    at = at or timezone.now()
    if not user.is_authenticated or not user.is_active:
        return Authority(user_id=None)
    holdings = Grant.all_objects.active(at).filter(_acting_for(user, at))
    contacts = EscalationContact.objects.filter(_acting_for(user, at))
    return Authority(
        user_id=user.pk,
        holdings=list(holdings.values_list("user_id", "role", "constituency_id", "region_id")),
        contacts=list(contacts.values_list("user_id", "level", "region_id")),
    )


def step_tiers(access_request):
    """The tiers that may decide the request's current step now."""
    first = Tier.ENDORSERS if access_request.step == Step.ENDORSEMENT else Tier.APPROVERS
    return range(first, access_request.tier + 1)


def decidable_constituencies(user, action, at=None):
    """CLPs where `user` holds a role of `action` (ENDORSE_ACCESS or REVIEW_ACCESS), directly or as a
    delegate: who may revoke, ask on someone's behalf, read reports. Deciding is per tool (below)."""
    at = at or timezone.now()
    if not user.is_authenticated or not user.is_active:
        return Constituency.objects.none()
    grants = Grant.all_objects.active(at).filter(_acting_for(user, at), role__in=ROLES_FOR[action])
    return Constituency.objects.filter(
        Q(pk__in=grants.filter(constituency__isnull=False).values("constituency"))
        | Q(region__in=grants.filter(region__isnull=False).values("region"))
    )


def escalation_regions(user, at=None):
    """Regions where `user` is (or stands in for) the regional escalation contact."""
    at = at or timezone.now()
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    return Region.objects.filter(
        pk__in=EscalationContact.objects.filter(_acting_for(user, at), level=Tier.REGIONAL).values("region")
    )


def _named_roles():
    """{tier: the roles some tool names for it} (one query over the small catalogue)."""
    named = {tier: set() for tier in ROLE_FIELD}
    for endorsers, approvers in Tool.objects.values_list("endorser_roles", "approver_roles"):
        named[Tier.ENDORSERS].update(endorsers)
        named[Tier.APPROVERS].update(approvers)
    return named


def _queue(user, tiers, at):
    where = authority(user, at).queue_q(tiers, _named_roles())
    if where is None:
        return None
    return AccessRequest.objects.filter(where).exclude(requester=user).by_deadline()


def endorser_queue(user, at=None):
    """Open endorsements this user may give, soonest deadline first (their own excluded), or None
    when no tool names a role they hold as endorser. The user's roles are read first (three queries),
    so the queue itself is a plain indexed filter."""
    return _queue(user, [Tier.ENDORSERS], at)


def reviewer_queue(user, at=None):
    """Reviews this user may make, plus steps escalated to them; None when they approve nowhere."""
    return _queue(user, [tier for tier in Tier if tier != Tier.ENDORSERS], at)


def decider_capacity(user, access_request, at=None):
    """The level at which `user` may decide the request's current step (Step.REVIEW outranks
    Step.ENDORSEMENT), or None when they may not decide it."""
    held = authority(user, at).tiers_for(access_request) & set(step_tiers(access_request))
    if not held:
        return None
    return Step.REVIEW if max(held) >= Tier.APPROVERS else Step.ENDORSEMENT


def authorities_for(user, access_request, at=None):
    """Whose authority `user` may decide the current step with: None for their own right (first,
    when they have it), then each decider who delegated to them today and could decide it."""
    power = authority(user, at)
    tiers = set(step_tiers(access_request))
    found = [None] if power.tiers_for(access_request, holder_id=user.pk) & tiers else []
    holders = {row[0] for row in power.holdings + power.contacts} - {user.pk}
    able = [holder for holder in sorted(holders) if power.tiers_for(access_request, holder_id=holder) & tiers]
    return found + list(get_user_model().objects.filter(pk__in=able).order_by("pk"))


def authority_for(user, access_request, at=None):
    """The decider whose delegation `user` uses, or None when they act in their own right."""
    return next(iter(authorities_for(user, access_request, at)), None)


def _steps_decided(user, at):
    """{(tool id, step, region id or None for every region)} that `user` decides, in their own
    right or for someone who delegated to them today. Escalation contacts decide on the region's
    side (they stand above the reviewers)."""
    grants = (
        Grant.all_objects.active(at)
        .filter(_acting_for(user, at))
        .values_list("role", "constituency__region_id", "region_id")
    )
    contacts = EscalationContact.objects.filter(_acting_for(user, at)).values_list("region_id", flat=True)
    tools = list(Tool.objects.values_list("pk", "endorser_roles", "approver_roles", "needs_endorsement"))
    steps = set()
    for role, clp_region, region in grants:
        for pk, endorsers, approvers, needs_endorsement in tools:
            if needs_endorsement and role in endorsers:
                steps.add((pk, Step.ENDORSEMENT, clp_region or region))
            if role in approvers:
                steps.add((pk, Step.REVIEW, clp_region or region))
    for region in contacts:
        steps |= {(pk, Step.REVIEW, region) for pk, *_ in tools}
    return steps


def step_conflict(delegator, delegate, at=None):
    """The tool for which `delegate` decides at a different step from `delegator` in an area they
    share (so acting for the delegator would let one person decide two steps), or None."""
    at = at or timezone.now()
    theirs = _steps_decided(delegate, at)
    for tool_id, step, region in _steps_decided(delegator, at):
        for other_tool, other_step, other_region in theirs:
            same_area = None in (region, other_region) or region == other_region
            if other_tool == tool_id and other_step != step and same_area:
                return Tool.objects.get(pk=tool_id)
    return None


def deciders_for(access_request, at=None):
    """Everyone who may decide the current step now (for notifications), delegates included."""
    at = at or timezone.now()
    tool = access_request.tool
    tiers = step_tiers(access_request)
    roles = set().union(*(getattr(tool, ROLE_FIELD[tier]) for tier in tiers if tier in ROLE_FIELD))
    holders = Grant.all_objects.active(at).covering(access_request.constituency).filter(role__in=roles)
    direct = Q(pk__in=holders.values("user"))
    contacts = EscalationContact.objects.none()
    if Tier.REGIONAL in tiers:
        contacts |= EscalationContact.objects.filter(level=Tier.REGIONAL, region=access_request.region_id)
    if Tier.NATIONAL in tiers:
        contacts |= EscalationContact.objects.filter(level=Tier.NATIONAL)
    direct |= Q(pk__in=contacts.values("user"))
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
    power = authority(user, at)
    may_decide = [power.role_q(tier) for tier in ROLE_FIELD] + [Q(region__in=escalation_regions(user, at))]
    if power.contact_q(Tier.NATIONAL) is not None:
        may_decide.append(_climbed_to(Tier.NATIONAL))
    return AccessRequest.objects.filter(
        reduce(or_, [Q(requester=user), Q(submitted_by=user), *filter(None, may_decide)])
    )
