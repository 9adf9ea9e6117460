"""Issue 10, item 12: roles without MFA (canvassers, tellers) reach only what the door or the
polling station needs, even in their own CLP.

Each tests/<app>/walk.py names, in DENIED_TO, the URLs a role may not open even with Anytown's own
grants; every one is fetched (GET and POST) by Anytown's own canvasser and teller here.
"""

import importlib
import pkgutil

import pytest
from django.urls import reverse

import tests
from labourhub.models import Role
from labourhub.scoping import MFA_ACTIONS, ROLES_FOR, ROLES_NEEDING_MFA, Action, can

REFUSED = {403, 404, 405}


def _denied():
    denied = {}
    for info in pkgutil.iter_modules(tests.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{info.name}.walk")
        except ModuleNotFoundError:
            continue
        for role, names in getattr(module, "DENIED_TO", {}).items():
            denied.setdefault(role, {}).update({name: module.URLS[name] for name in names})
    return denied


def _opened(client, anytown, user, names):
    """The URLs of `names` that `user` could open (anything but 403/404/405 on GET or POST)."""
    opened = []
    for name, kwargs in names.items():
        url = reverse(name, kwargs=kwargs(anytown))
        for method in ("get", "post"):
            client.force_login(user)
            response = getattr(client, method)(url)
            if response.status_code not in REFUSED:
                opened.append(f"{method.upper()} {url} ({name}): {response.status_code}")
    return opened


@pytest.mark.parametrize("role", [Role.CANVASSER, Role.TELLER])
def test_roles_without_mfa_cannot_open_what_needs_it_even_in_their_own_clp(client, anytown, role):
    names = _denied()[role]
    assert {"voters:search", "voters:elector", "voters:model_versions", "campaigns:pack_data"} <= set(names)
    opened = _opened(client, anytown, anytown.user(role), names)
    assert not opened, "\n".join(opened)


def test_the_check_sees_an_open_page(client, anytown):
    """The same walk as an organiser (a role with MFA) opens the register's pages."""
    opened = _opened(client, anytown, anytown.user(Role.ORGANISER), _denied()[Role.CANVASSER])
    assert any("voters:search" in line for line in opened)
    assert any("voters:elector" in line for line in opened)


def test_every_action_on_scores_notes_and_history_is_for_mfa_roles_only():
    for action in MFA_ACTIONS:
        assert ROLES_FOR[action] <= ROLES_NEEDING_MFA, action
    assert Action.VIEW_VOTERS in MFA_ACTIONS


def test_canvassers_and_tellers_do_not_view_the_register(anytown):
    assert not can(anytown.user(Role.CANVASSER), Action.VIEW_VOTERS)
    assert not can(anytown.user(Role.TELLER), Action.VIEW_VOTERS)
    assert can(anytown.user(Role.CANVASSER), Action.CANVASS, anytown.constituency)
    assert can(anytown.user(Role.TELLER), Action.TELL, anytown.constituency)
