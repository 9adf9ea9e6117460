"""What the home page shows beyond link cards: what needs this user today, with numbers (issue 14,
item 7). Each app says what it counts in its own `<app>/home.py` (`needs(user)`, scoped to the
user's areas), discovered from the installed apps, so the core never imports an app."""

from importlib import import_module
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule


class Need(NamedTuple):
    key: str  # stable, for tests and styling
    count: int
    label: str  # reads after the number: "3 access requests waiting for your endorsement"
    url: str


def needs_for(user):
    """Every app's needs for `user`, in the apps' dependency order."""
    found = []
    for name in settings.LABOURHUB_APPS:
        config = apps.get_app_config(name)
        if config.name != "labourhub" and module_has_submodule(config.module, "home"):
            found.extend(import_module(f"{config.name}.home").needs(user))
    return found
