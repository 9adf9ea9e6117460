"""Polling day's part of the privacy notice (labourhub.privacy_notice): where its data comes from."""

from __future__ import annotations

from labourhub.models import Constituency


def data_sources(constituency: Constituency) -> list[tuple[str, str]]:
    return [
        (
            "Polling day",
            "Your elector number if you give your poll card to our teller outside a polling station, and "
            "whether you have voted yet when we call to remind supporters (never how you voted).",
        ),
    ]
