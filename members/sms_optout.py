"""STOP texted from a number (labourhub/sms.py): every member of every CLP with that mobile or
phone number stops getting texts, recorded as a withdrawn SMS consent (audited, on their record)."""

from __future__ import annotations

from labourhub.sms import matching
from members.models import Member
from members.services import consent_record

WORDING = "Texted STOP (or another stop word) from this number."


def opt_out(*, number: str) -> int:
    members = matching(Member.unscoped.filter(consent_sms=True), ("mobile", "phone"), number)
    count = 0
    for member in members.select_related("constituency"):
        consent_record(member=member, channel="sms", granted=False, wording=WORDING, source="sms stop")
        count += 1
    return count
