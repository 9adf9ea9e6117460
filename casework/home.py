"""Casework's part of the home page (labourhub/home.py): the caseworker's overdue cases, and the
office's for those who see all of it. Nobody else gets a casework number."""

from django.urls import reverse

from casework.models import Case, Chaser, OfficeMembership
from labourhub.home import Need
from labourhub.scoping import Action


def needs(user):
    memberships = list(OfficeMembership.objects.in_force_for(user).select_related("office"))
    if not memberships:
        return []
    cases = Case.objects.for_user(user, Action.CASEWORK)
    found = [
        Need(
            "casework_my_overdue",
            cases.mine(user).overdue().count(),
            "of my cases overdue",
            reverse("casework:my_cases"),
        ),
        Need(
            "casework_my_chasers",
            Chaser.objects.for_user(user, Action.CASEWORK)
            .to_send()
            .filter(case__in=cases.mine(user))
            .count(),
            "chasers to send on my cases",
            reverse("casework:my_cases"),
        ),
    ]
    for membership in memberships:
        if membership.sees_all:
            url = reverse("casework:office_cases", args=[membership.office_id]) + "?overdue=on"
            count = cases.filter(office_id=membership.office_id).overdue().count()
            found.append(
                Need(
                    f"casework_office_overdue_{membership.office_id}",
                    count,
                    f"cases overdue in {membership.office}",
                    url,
                )
            )
    return found
