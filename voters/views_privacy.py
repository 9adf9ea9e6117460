"""An elector's subject access export and erasure, for those who may PROTECT_DATA in their CLP
(labourhub/privacy_views.py renders, labourhub/privacy.py does it)."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.views.decorators.http import require_POST

from labourhub.privacy import Person
from labourhub.privacy_views import erase_page, subject_access_response
from labourhub.scoping import Action
from voters.views import get_elector_for_user


def _person(elector):
    return Person(elector.polling_district.constituency, frozenset({elector.pk}))


@login_required
@require_POST
def elector_subject_access(request, pk):
    elector = get_elector_for_user(request, pk, Action.PROTECT_DATA)
    return subject_access_response(request, _person(elector), f"subject-access-elector-{elector.pk}.zip")


@login_required
def elector_erase(request, pk):
    elector = get_elector_for_user(request, pk, Action.PROTECT_DATA)
    return erase_page(
        request,
        _person(elector),
        name=elector.full_name,
        back_url=reverse("voters:elector", args=[elector.pk]),
    )
