"""A member's subject access export and erasure, for those who may PROTECT_DATA in their CLP
(labourhub/privacy_views.py renders, labourhub/privacy.py does it)."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.views.decorators.http import require_POST

from labourhub.privacy import Person
from labourhub.privacy_views import erase_page, subject_access_response
from labourhub.scoping import Action
from members.views import get_member_for_user


def _person(member):
    return Person(member.constituency, member_ids=frozenset({member.pk}))


@login_required
@require_POST
def member_subject_access(request, pk):
    member = get_member_for_user(request, pk, Action.PROTECT_DATA)
    return subject_access_response(request, _person(member), f"subject-access-member-{member.pk}.zip")


@login_required
def member_erase(request, pk):
    member = get_member_for_user(request, pk, Action.PROTECT_DATA)
    return erase_page(
        request, _person(member), name=member.full_name, back_url=reverse("members:detail", args=[member.pk])
    )
