"""What was learnt from a voter (issue 14, item 4): on the voter's page, the latest voting intention
at the top and the answers given at each contact in the history; in search results, a short summary.

The register does not know what a survey asks: the apps that record answers say what was learnt in
their own `<app>/voter_page.py`, found from the installed apps (as labourhub/home.py finds
`<app>/home.py`), so voters imports none of the apps that depend on it. Such a module defines:

- `latest(user, elector)` -> a `Learnt` or None: the headline for the top of the voter's page;
- `on_contacts(user, contact_ids)` -> {contact id: [Line, ...]}: the answers given at those contacts;
- `summaries(user, elector_ids)` -> {elector id: str}: a few words for each search result.

Each reads through `.for_user(user, Action.VIEW_VOTERS)` (what the voter's page itself needs, so no
role sees more than the page already showed it: canvassers and tellers, who sign in without MFA, see
none of it) and costs a fixed number of queries, however many contacts or results there are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from labourhub.apps import app_modules

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User
    from voters.models import Elector


class Line(NamedTuple):
    """One thing learnt: a question (or what it is about) and the answer, in words."""

    label: str
    value: str


@dataclass
class Learnt:
    """The latest of what was learnt, with when and how."""

    label: str  # "Voting intention"
    value: str  # "Labour (L), hard"
    at: datetime.datetime
    how: str  # "Door", "Phone"
    by: str
    campaign: str
    lines: list[Line] = field(default_factory=list)  # the other answers given at the same contact


def latest(user: User | AnonymousUser, elector: Elector) -> list[Learnt]:
    return [
        found for module in app_modules("voter_page") if (found := module.latest(user, elector)) is not None
    ]


def on_contacts(user: User | AnonymousUser, contact_ids: Iterable[int]) -> dict[int, list[Line]]:
    ids = list(contact_ids)
    lines: dict[int, list[Line]] = {}
    if not ids:
        return lines
    for module in app_modules("voter_page"):
        for contact_id, found in module.on_contacts(user, ids).items():
            lines.setdefault(contact_id, []).extend(found)
    return lines


def summaries(user: User | AnonymousUser, elector_ids: Iterable[int]) -> dict[int, str]:
    ids = list(elector_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return {}
    for module in app_modules("voter_page"):
        for elector_id, text in module.summaries(user, ids).items():
            found.setdefault(elector_id, []).append(text)
    return {elector_id: "; ".join(texts) for elector_id, texts in found.items()}
