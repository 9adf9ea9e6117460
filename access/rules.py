"""A tool's rules applied to one person and one CLP: which conditions hold and which do not.

`facts_for` loads what the rules need for many requests in a fixed number of queries, so
queues show every row's conditions without a query per row.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from access.standing import requester_standings
from labourhub.models import Grant, Role


@dataclass(frozen=True)
class Condition:
    label: str
    met: bool
    detail: str = ""


@dataclass
class Facts:
    standings: dict  # (user_id, constituency_id) -> Standing
    grants: dict  # user_id -> [active Grant]
    at: object

    def grants_in(self, user_id, constituency):
        return [
            grant
            for grant in self.grants.get(user_id, [])
            if (grant.constituency_id == constituency.pk or grant.region_id == constituency.region_id)
            # A visiting activist's day somewhere is not belonging there.
            and grant.role != Role.VISITING_ACTIVIST
        ]


def facts_for(pairs, at=None):
    """Facts for (user_id, constituency_id) pairs: three queries however many."""
    at = at or timezone.now()
    pairs = list(pairs)
    grants = defaultdict(list)
    for grant in (
        Grant.all_objects.active(at)
        .filter(user_id__in={u for u, _ in pairs})
        .select_related("constituency", "region")
    ):
        grants[grant.user_id].append(grant)
    return Facts(standings=requester_standings(pairs), grants=grants, at=at)


def conditions_for(tool, user, constituency, at=None):
    """The conditions of `tool` for `user` requesting through `constituency`, in the order shown."""
    return evaluate(tool, user.pk, constituency, facts_for([(user.pk, constituency.pk)], at))


def evaluate(tool, user_id, constituency, facts):
    standing = facts.standings[(user_id, constituency.pk)]
    held = facts.grants_in(user_id, constituency)
    belongs = standing.is_member or bool(held)
    conditions = [
        Condition(
            f"Belongs to {constituency}",
            belongs,
            "a member of the CLP, or holds a role there"
            if belongs
            else "not a member of this CLP and no role there",
        )
    ]
    if tool.requires_good_standing:
        conditions.append(
            Condition("Member in good standing", standing.in_good_standing, standing.membership_label)
        )
    if tool.training_months:
        trained = standing.training_completed_on
        cutoff = months_before(timezone.localdate(facts.at), tool.training_months)
        conditions.append(
            Condition(
                f"Data-protection training in the last {tool.training_months} months",
                trained is not None and trained >= cutoff,
                f"completed {trained:%-d %b %Y}" if trained else "no training recorded",
            )
        )
    if tool.requires_role:
        holds = any(grant.role == tool.requires_role for grant in held)
        label = Role(tool.requires_role).label.lower()
        conditions.append(Condition(f"Already a {label} here", holds, "yes" if holds else "no"))
    return conditions


def all_met(conditions):
    return all(condition.met for condition in conditions)


def months_before(day, months):
    """The same day of the month `months` earlier (the month's last day when it is shorter)."""
    years, month_index = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, month_index + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
