"""What the home page shows beyond link cards: what needs this user today, with numbers (issue 14,
item 7). Each app says what it counts in its own `<app>/home.py` (`needs(user)`, scoped to the
user's areas), discovered from the installed apps, so the core never imports an app."""

from typing import NamedTuple

from labourhub.apps import app_modules


class Need(NamedTuple):
    key: str  # stable, for tests and styling
    count: int
    label: str  # reads after the number: "3 access requests waiting for your endorsement"
    url: str


def needs_for(user):
    """Every app's needs for `user`, in the apps' dependency order."""
    return [
        need for module in app_modules("home") if module.__name__ != __name__ for need in module.needs(user)
    ]
