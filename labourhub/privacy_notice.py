"""What a CLP's privacy notice says beyond its own details (issue 16, item 5): where the data comes
from, read from each app's `<app>/privacy_notice.py` (`data_sources(constituency)`: (what, from where
and how) pairs), and how long it is kept, read from the retention settings (labourhub.retention).
Apps are found with `labourhub.apps.app_modules`, so the core imports none."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from labourhub import retention
from labourhub.apps import app_modules

if TYPE_CHECKING:
    from labourhub.models import Constituency


class Source(NamedTuple):
    what: str
    where_from: str


def data_sources(constituency: Constituency) -> list[Source]:
    return [
        Source(*pair)
        for module in app_modules("privacy_notice")
        if module.__name__ != __name__
        for pair in module.data_sources(constituency)
    ]


def retention_schedule() -> list[tuple[str, str, str]]:
    return retention.schedule_in_words()
