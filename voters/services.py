"""Writes on the register: contacts, do-not-contact, contact rules. Imports live in voters/importers/."""

import os

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from labourhub.services import audit_record
from voters.importers import importer_for
from voters.models import (
    Channel,
    Contact,
    ContactRule,
    Elector,
    RegisterImport,
    Suppression,
    name_key_expression,
)


@transaction.atomic
def contact_record(
    *,
    elector,
    channel,
    user,
    at=None,
    outcome="",
    campaign_label="",
    campaign_ref="",
    notes="",
    source="manual",
):
    """Record one contact with a voter (any channel) and move their last-contact time on.

    Every app that talks to voters calls this: canvassing, phone banks, SMS, email, events.
    """
    contact = Contact.objects.create(
        elector=elector,
        channel=Channel(channel),
        at=at or timezone.now(),
        by=user,
        outcome=outcome,
        campaign_label=campaign_label,
        campaign_ref=campaign_ref,
        notes=notes,
        source=source,
    )
    # Only ever forwards: a contact recorded late (offline canvassing) must not move it back.
    Elector.objects.filter(pk=elector.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=contact.at)
    ).update(last_contact_at=contact.at)
    return contact


@transaction.atomic
def elector_set_do_not_contact(*, elector, user, reason, request=None):
    """Suppress a voter on every channel. Survives re-imports: imports never clear the flag, and the
    hashed-name Suppression flags them again if they leave the register and come back."""
    if not reason.strip():
        raise ValueError("Say why this voter must not be contacted.")
    elector.do_not_contact = True
    elector.do_not_contact_reason = reason.strip()[:200]
    elector.do_not_contact_at = timezone.now()
    elector.save(update_fields=["do_not_contact", "do_not_contact_reason", "do_not_contact_at"])
    Suppression.objects.get_or_create(
        constituency=elector.polling_district.constituency,
        name_key=_name_key(elector),
        defaults={"reason": elector.do_not_contact_reason, "created_by": user},
    )
    audit_record(
        action="elector.do_not_contact", user=user, request=request, obj=elector, detail={"reason": reason}
    )
    return elector


def _name_key(elector):
    return Elector.objects.filter(pk=elector.pk).values_list(name_key_expression(), flat=True).get()


@transaction.atomic
def elector_clear_do_not_contact(*, elector, user, reason, request=None):
    """Lift the suppression (the voter asked to be contacted again)."""
    elector.do_not_contact = False
    elector.do_not_contact_reason = ""
    elector.do_not_contact_at = None
    elector.save(update_fields=["do_not_contact", "do_not_contact_reason", "do_not_contact_at"])
    Suppression.objects.filter(
        constituency=elector.polling_district.constituency, name_key=_name_key(elector)
    ).delete()
    audit_record(
        action="elector.contact_allowed", user=user, request=request, obj=elector, detail={"reason": reason}
    )
    return elector


@transaction.atomic
def contact_rule_set(*, constituency, channel, quiet_days, user):
    """Set a CLP's quiet period for a channel (0 switches it off)."""
    rule, _ = ContactRule.objects.update_or_create(
        constituency=constituency, channel=Channel(channel), defaults={"quiet_days": quiet_days}
    )
    audit_record(
        action="contact_rule.set",
        user=user,
        constituency=constituency,
        detail={"channel": channel, "quiet_days": quiet_days},
    )
    return rule


def register_import_create(*, constituency, kind, file, user=None, options=None):
    """Store an uploaded file and its import record; run it with `register_import_run` (or the task).

    `file` is a Django File (an upload, or `File(open(path, "rb"), name=...)`).
    Postcode locations are national: only the platform operator imports them (a management
    command runs as the operator and passes no user).
    """
    if kind == RegisterImport.Kind.POSTCODES and user is not None and not user.is_superuser:
        raise PermissionDenied(
            "Postcode locations are national data: only the platform operator imports them."
        )
    record = RegisterImport(
        constituency=constituency,
        kind=RegisterImport.Kind(kind),
        file_name=os.path.basename(file.name)[:255],
        uploaded_by=user,
        options=options or {},
    )
    record.file.save(record.file_name, file, save=False)
    record.save()
    audit_record(
        action="register_import.create",
        user=user,
        obj=record,
        constituency=constituency,
        detail={"kind": kind, "file": record.file_name},
    )
    return record


def register_import_run(*, register_import):
    """Stream, validate, stage and apply the file (see voters/importers/base.py). All or nothing."""
    return importer_for(register_import).run(register_import.file.path)


STOPPED = (
    "The import stopped without finishing: the worker running it was stopped (it may have run out of "
    "memory). Nothing was changed. Try again; if it stops again, tell the platform operator."
)


def register_import_stopped(*, register_import):
    """End an import whose worker stopped mid-run as failed, saying so (nothing was applied: the
    apply step is one transaction). It is not run again: the same file could stop the next worker."""
    register_import.status, register_import.stage = RegisterImport.Status.FAILED, "Failed"
    register_import.finished_at = timezone.now()
    register_import.notes = [STOPPED]
    register_import.save(update_fields=["status", "stage", "finished_at", "notes"])
    return register_import
