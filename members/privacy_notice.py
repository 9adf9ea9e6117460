"""The members app's part of the privacy notice (labourhub.privacy_notice): where its data comes from."""

from __future__ import annotations

from labourhub.models import Constituency


def data_sources(constituency: Constituency) -> list[tuple[str, str]]:
    return [
        (
            "Membership",
            "If you are a member: the membership details the Labour Party sends the CLP (name, contact "
            "details, membership number and status, branch), details you or an officer add, and the "
            "consents you give for email, text messages, calls and post.",
        ),
        (
            "Emails we send you",
            "If you are a member: which emails we sent you, and whether they bounced or you unsubscribed.",
        ),
    ]
