"""Campaigns' part of the home page (labourhub/home.py): requests from other CLPs waiting for an
answer. Nothing else told the other CLP's secretary a request had come: the page listing them sits
behind the events list."""

from django.urls import reverse

from campaigns.models import EventInvitation
from labourhub.home import Need
from labourhub.scoping import Action, can


def needs(user):
    if not can(user, Action.MANAGE_MEMBERS):
        return []
    waiting = EventInvitation.objects.asked_of(user).filter(state=EventInvitation.State.ASKED).count()
    return [
        Need(
            "invitation_requests",
            waiting,
            "requests from other CLPs to invite your volunteers",
            reverse("campaigns:invitation_requests"),
        )
    ]
