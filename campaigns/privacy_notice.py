"""Canvassing's part of the privacy notice (labourhub.privacy_notice): where its data comes from."""

from __future__ import annotations

from labourhub.models import Constituency


def data_sources(constituency: Constituency) -> list[tuple[str, str]]:
    return [
        (
            "What you tell us at the door",
            "When a canvasser calls, they note whether we spoke, how you intend to vote if you tell them, "
            "the issues you raise and any request (a poster, a postal vote form, a call back).",
        ),
        (
            "What you tell us on the phone",
            "The same, when a volunteer calls you from our phone bank, and the number we called.",
        ),
    ]
