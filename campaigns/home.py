"""Campaigns' part of the home page (labourhub/home.py): other CLPs' requests waiting for an answer."""

from django.urls import reverse

from campaigns.models import EventInvitation
from labourhub.home import Need
from labourhub.scoping import Action, can


def needs(user):
    if not can(user, Action.MANAGE_MEMBERS):  # those who answer them (campaigns:invitation_requests)
        return []
    waiting = EventInvitation.objects.asked_of(user).filter(state=EventInvitation.State.ASKED)
    return [
        Need(
            "event_invitations_to_answer",
            waiting.count(),
            "requests from other CLPs to invite your volunteers to their events",
            reverse("campaigns:invitation_requests"),
        )
    ]
