"""The one place access asks "is this person a member in good standing here, and trained?".

Membership standing comes from the members app (a Member linked to the person's User, with
status current / arrears / lapsed); data-protection training is access's own data
(TrainingRecord). Nothing else in access reads either.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Q

from access.models import TrainingRecord
from labourhub.models import Constituency, Grant, Role
from members.models import Member
from members.models import Status as MemberStatus


@dataclass(frozen=True)
class Standing:
    membership: str | None  # "current", "arrears", "lapsed", or None when not a member of that CLP
    training_completed_on: date | None

    @property
    def in_good_standing(self):
        return self.membership == MemberStatus.CURRENT

    @property
    def is_member(self):
        return self.membership not in (None, MemberStatus.LAPSED)

    @property
    def membership_label(self):
        if self.membership is None:
            return "Not a member of this CLP"
        return MemberStatus(self.membership).label


def requester_standings(pairs):
    """{(user_id, constituency_id): Standing} for many people at once (two queries)."""
    pairs = set(pairs)
    user_ids = {user_id for user_id, _ in pairs}
    constituency_ids = {constituency_id for _, constituency_id in pairs}
    statuses = {
        (row["user_id"], row["constituency_id"]): row["status"]
        for row in Member.unscoped.filter(user_id__in=user_ids, constituency_id__in=constituency_ids).values(
            "user_id", "constituency_id", "status"
        )
    }
    trained = dict(
        TrainingRecord.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(last=Max("completed_on"))
        .values_list("user_id", "last")
    )
    return {pair: Standing(statuses.get(pair), trained.get(pair[0])) for pair in pairs}


def requester_standing(user, constituency):
    """Membership standing of `user` in `constituency` and their latest training date."""
    return requester_standings([(user.pk, constituency.pk)])[(user.pk, constituency.pk)]


def member_constituencies(user):
    """The CLPs `user` belongs to: a membership (in any status but lapsed) or a role there.
    Lazy queryset: members see their CLP's register and may request access through it."""
    if not user.is_authenticated or not user.is_active:
        return Constituency.objects.none()
    memberships = Member.objects.for_linked_user(user).exclude(status=MemberStatus.LAPSED)
    # A visiting activist's day in another CLP does not make them belong there (issue 17).
    grants = Grant.objects.filter(user=user).exclude(role=Role.VISITING_ACTIVIST)
    return Constituency.objects.filter(
        Q(pk__in=memberships.values("constituency"))
        | Q(pk__in=grants.filter(constituency__isnull=False).values("constituency"))
        | Q(region__in=grants.filter(region__isnull=False).values("region"))
    )
