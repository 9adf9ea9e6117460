"""Polling day's part of the home page (labourhub/home.py)."""

from django.db.models import Q
from django.utils import timezone

from gotv.models import Driver
from labourhub.scoping import Action


def drives(user):
    """Has `user` lifts to drive in an election not yet over, where they may still tell or canvass
    (what "My lifts" shows them)? For everyone else the link would lead to an empty page."""
    allowed = Q(pk__in=Driver.objects.for_user(user, Action.TELL).values("pk")) | Q(
        pk__in=Driver.objects.for_user(user, Action.CANVASS).values("pk")
    )
    return (
        Driver.unscoped.filter(user=user, active=True, election__poll_date__gte=timezone.localdate())
        .filter(allowed)
        .exists()
    )


def needs(user):
    return []
