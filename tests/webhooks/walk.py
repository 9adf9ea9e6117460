"""Webhook pages for the scoping walker (see tests/test_scoping_walker.py)."""

from labourhub.models import Role
from tests.webhooks.factories import subscription_made


def _subscription(anytown):
    return anytown.once("webhook", subscription_made)


def _one(anytown):
    return {"pk": _subscription(anytown).pk}


def _with_one(anytown):
    _subscription(anytown)
    return {}


URLS = {
    "webhooks:list": _with_one,
    "webhooks:new": _with_one,
    "webhooks:detail": _one,
    "webhooks:pause": _one,
    "webhooks:resume": _one,
    "webhooks:test": _one,
    "webhooks:delete": _one,
}

# Canvassers and tellers (no ORGANISE) open none of it, even in their own CLP.
DENIED_TO = dict.fromkeys([Role.CANVASSER, Role.TELLER], list(URLS))
