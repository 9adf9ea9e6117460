"""Casework's part of the home page (labourhub/home.py): the caseworker's overdue cases, and the
office's for those who see all of it. Nobody else gets a casework number."""

from django.urls import reverse

from casework.models import Case, Chaser, OfficeMembership
from casework.reports import CLP_ROLES, sharing_offices
from labourhub.home import Need
from labourhub.models import Grant
from labourhub.scoping import Action


def needs(user):
    memberships = list(OfficeMembership.objects.in_force_for(user).select_related("office"))
    if not memberships:
        return _clp_counts(user)
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
            reverse("casework:my_chasers"),
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


def _clp_counts(user):
    """A CLP secretary's or officer's link to the suppressed counts offices share with the CLP: the
    number is how many offices share, never a number of cases."""
    if not user.is_authenticated:
        return []
    found = []
    grants = Grant.objects.filter(user=user, role__in=CLP_ROLES, constituency__isnull=False)
    for grant in grants.select_related("constituency"):
        offices = sharing_offices(grant.constituency).count()
        if offices:
            url = reverse("casework:clp_counts", args=[grant.constituency_id])
            label = f"casework office{'s' if offices != 1 else ''} sharing counts with {grant.constituency}"
            found.append(Need(f"casework_clp_counts_{grant.constituency_id}", offices, label, url))
    return found
