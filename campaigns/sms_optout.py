"""STOP texted from a number (labourhub/sms.py): every event contact of every CLP with that phone
number stops getting event texts (their SMS consent withdrawn, audited)."""

from __future__ import annotations

from campaigns.models import EventContact
from labourhub.services import audit_record
from labourhub.sms import matching


def opt_out(*, number: str) -> int:
    contacts = list(matching(EventContact.unscoped.filter(consent_sms=True), ("phone",), number))
    for contact in contacts:
        contact.consent_sms = False
        contact.save(update_fields=["consent_sms"])
        audit_record(action="events.sms_opt_out", obj=contact, detail={"source": "sms stop"})
    return len(contacts)
