"""Access's part of the home page (labourhub/home.py): requests waiting for this user's decision."""

from django.urls import reverse

from access import deciders
from labourhub.home import Need


def needs(user):
    found = []
    endorse = deciders.endorser_queue(user)
    if endorse is not None:
        found.append(
            Need(
                "access_to_endorse",
                endorse.count(),
                "access requests waiting for your endorsement",
                reverse("access:endorser_queue"),
            )
        )
    review = deciders.reviewer_queue(user)
    if review is not None:
        found.append(
            Need(
                "access_to_review",
                review.count(),
                "access requests waiting for your review",
                reverse("access:reviewer_queue"),
            )
        )
    return found
