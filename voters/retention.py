"""What the register keeps for a limited time (labourhub.retention): the contact history, and the
files uploaded for imports. The register itself is public-task data, kept while it is published."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from labourhub.models import Constituency
from labourhub.retention import Category, Period, upload_files_remove
from voters.models import Contact, RegisterImport


def _contacts_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return Contact.unscoped.filter(elector__polling_district__constituency=constituency, at__lt=cutoff)


def _contacts_remove(queryset: QuerySet[Any]) -> int:
    # Runs after the canvassing app's visits (which point at contacts) are gone: see their order.
    return queryset.order_by().delete()[1].get(Contact._meta.label, 0)


def _contact_line(contact: Contact) -> str:
    return (
        f"{contact.at:%d/%m/%Y} · {contact.get_channel_display()} · {contact.elector.full_name} "
        f"({contact.elector.elector_number_display}) · {contact.source}"
    )


def _import_files_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return (
        RegisterImport.unscoped.filter(constituency=constituency, created_at__lt=cutoff)
        .exclude(file="")
        .exclude(status__in=[RegisterImport.Status.QUEUED, RegisterImport.Status.RUNNING])
    )


def _import_line(register_import: RegisterImport) -> str:
    return f"{register_import.created_at:%d/%m/%Y} · {register_import.get_kind_display()} · {register_import.file_name}"


def retention_categories() -> list[Category]:
    return [
        Category(
            key="contacts",
            label="Contact history (door, phone, email, post, events)",
            period=Period.CYCLES,
            setting="RETENTION_CANVASS_CYCLES",
            removes="deleted",
            due=_contacts_due,
            remove=_contacts_remove,
            describe=_contact_line,
            related=("elector__polling_district",),
            order=50,
        ),
        Category(
            key="register_import_files",
            label="Uploaded register, marked register and model score files",
            period=Period.DAYS,
            setting="RETENTION_UPLOAD_DAYS",
            removes="file deleted (the import's report stays)",
            due=_import_files_due,
            remove=upload_files_remove,
            describe=_import_line,
            order=90,
        ),
    ]
