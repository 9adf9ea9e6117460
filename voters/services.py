"""Writes on the register: contacts, do-not-contact, contact rules. Imports live in voters/importers/."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from labourhub.models import PollingDistrict
from labourhub.services import audit_record
from labourhub.staged_import import (
    drop_orphan_tables,
    drop_tables,
    import_lock,
    stopped_imports,
)
from voters.importers import importer_for
from voters.importers.base import REGISTER_IMPORT_LOCK, staging_table_names
from voters.merging import elector_merge
from voters.models import (
    Channel,
    Contact,
    ContactRule,
    Elector,
    NameChangeReview,
    RegisterImport,
    Suppression,
)
from voters.suppression import elector_tombstone_key

if TYPE_CHECKING:
    from datetime import datetime

    from django.core.files import File
    from django.http import HttpRequest

    from labourhub.models import Constituency, User


@transaction.atomic
def contact_record(
    *,
    elector: Elector,
    channel: str,
    user: User | None,
    at: datetime | None = None,
    outcome: str = "",
    campaign_label: str = "",
    campaign_ref: str = "",
    notes: str = "",
    source: str = "manual",
) -> Contact:
    """Record one contact with a voter (any channel) and move their last-contact time on.

    Every app that talks to voters calls this: canvassing, phone banks, SMS, email, events.
    """
    contact = Contact.unscoped.create(
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
    Elector.unscoped.filter(pk=elector.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=contact.at)
    ).update(last_contact_at=contact.at)
    return contact


@transaction.atomic
def elector_set_do_not_contact(
    *, elector: Elector, user: User, reason: str, request: HttpRequest | None = None
) -> Elector:
    """Suppress a voter on every channel. Survives re-imports: imports never clear the flag, and the
    hashed-name Suppression flags them again if they leave the register and come back."""
    if not reason.strip():
        raise ValueError("Say why this voter must not be contacted.")
    elector.do_not_contact = True
    elector.do_not_contact_reason = reason.strip()[:200]
    elector.do_not_contact_at = timezone.now()
    elector.save(update_fields=["do_not_contact", "do_not_contact_reason", "do_not_contact_at"])
    Suppression.unscoped.get_or_create(
        constituency=elector.polling_district.constituency,
        field=Suppression.Field.NAME,
        key=_name_key(elector),
        defaults={"reason": elector.do_not_contact_reason, "created_by": user},
    )
    audit_record(
        action="elector.do_not_contact", user=user, request=request, obj=elector, detail={"reason": reason}
    )
    return elector


def _name_key(elector: Elector) -> str:
    return elector_tombstone_key(elector)


@transaction.atomic
def elector_clear_do_not_contact(
    *, elector: Elector, user: User, reason: str, request: HttpRequest | None = None
) -> Elector:
    """Lift the suppression (the voter asked to be contacted again)."""
    elector.do_not_contact = False
    elector.do_not_contact_reason = ""
    elector.do_not_contact_at = None
    elector.save(update_fields=["do_not_contact", "do_not_contact_reason", "do_not_contact_at"])
    Suppression.unscoped.filter(
        constituency=elector.polling_district.constituency,
        field=Suppression.Field.NAME,
        key=_name_key(elector),
    ).delete()
    audit_record(
        action="elector.contact_allowed", user=user, request=request, obj=elector, detail={"reason": reason}
    )
    return elector


@transaction.atomic
def contact_rule_set(*, constituency: Constituency, channel: str, quiet_days: int, user: User) -> ContactRule:
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


def register_import_create(
    *,
    constituency: Constituency,
    kind: str,
    file: File,
    user: User | None = None,
    options: dict[str, Any] | None = None,
    queue: bool = False,
) -> RegisterImport:
    """Store an uploaded file and its import record; run it with `register_import_run`, or with
    `queue=True` have the worker run it once this transaction commits.

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
        file_name=os.path.basename(file.name)[:255],  # type: ignore[type-var,index]  # an upload has a name
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
    if queue:
        from voters.tasks import register_import_task

        transaction.on_commit(lambda: register_import_task.delay(record.pk))
    return record


def register_import_run(*, register_import: RegisterImport) -> RegisterImport:
    """Stream, validate, stage and apply the file (see voters/importers/base.py). All or nothing.
    Runs under the import's lock, and only a queued import: a second delivery of the task waits for
    the first and then finds it finished."""
    with import_lock(REGISTER_IMPORT_LOCK, register_import.pk, wait=True):
        register_import.refresh_from_db()
        if register_import.status != RegisterImport.Status.QUEUED:
            return register_import
        return importer_for(register_import).run(register_import.file.path)


def register_import_confirm(*, register_import: RegisterImport, user: User) -> RegisterImport:
    """Confirm an import that waited because it would take a large share of the register off it:
    queued to run again once this transaction commits, allowed to take off up to the number
    the person was shown (more, and it waits again). Returns the record; ValueError if it is not
    waiting for confirmation (confirmed twice, say)."""
    with transaction.atomic():
        record = RegisterImport.unscoped.select_for_update().get(pk=register_import.pk)
        if record.status != RegisterImport.Status.CONFIRM:
            raise ValueError(
                f"This import is {record.get_status_display().lower()}, not waiting for confirmation."
            )
        shown = record.removed
        record.options = {**record.options, "confirmed_removals": shown}
        record.status, record.stage = RegisterImport.Status.QUEUED, "Confirmed: waiting to be applied"
        record.added = record.changed = record.removed = record.unchanged = record.rows_done = 0
        record.name_changes = record.to_review = 0
        record.notes, record.finished_at = [], None
        record.save(
            update_fields=[
                "options",
                "status",
                "stage",
                "added",
                "changed",
                "removed",
                "unchanged",
                "name_changes",
                "to_review",
                "rows_done",
                "notes",
                "finished_at",
            ]  # fmt: skip
        )
        audit_record(
            action="register_import.confirm",
            user=user,
            obj=record,
            constituency=record.constituency,
            detail={"removals_confirmed": shown},
        )
        from voters.tasks import register_import_task

        transaction.on_commit(lambda: register_import_task.delay(record.pk))
    return record


# --- Possible name changes a register import left for a person ------------------------------------


@transaction.atomic
def name_change_review_decide(
    *, review: NameChangeReview, accept: bool, user: User, request: HttpRequest | None = None
) -> NameChangeReview:
    """A person's answer to a possible name change. Accepting merges the later elector into the
    earlier one (who keeps their id and history: voters.merging) and closes the other proposals about
    either of them (one person is one person); rejecting keeps two people, and the pair is not
    proposed again. ValueError if it was already decided."""
    review = NameChangeReview.unscoped.select_for_update().get(pk=review.pk)
    if review.state != NameChangeReview.State.PROPOSED:
        raise ValueError("This pair has already been decided.")
    now = timezone.now()
    detail: dict[str, Any] = {"accept": accept, "earlier": review.earlier_id, "later": review.later_id}
    if accept:
        if review.later_id is None:
            raise ValueError("The later elector no longer exists: nothing to merge.")
        # Wait for (or hold off) a register import of the constituency, which locks its polling
        # districts while it matches and writes electors (PollingDistricts.lock: FOR KEY SHARE).
        earlier = Elector.unscoped.select_related("polling_district").get(pk=review.earlier_id)
        list(
            PollingDistrict.objects.select_for_update()
            .filter(constituency_id=earlier.polling_district.constituency_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        pair = {
            e.pk: e
            for e in Elector.unscoped.select_for_update().filter(pk__in=[review.earlier_id, review.later_id])
        }
        earlier, later = pair[review.earlier_id], pair[review.later_id]
        NameChangeReview.unscoped.filter(state=NameChangeReview.State.PROPOSED).filter(
            Q(earlier_id__in=[earlier.pk, later.pk]) | Q(later_id__in=[earlier.pk, later.pk])
        ).exclude(pk=review.pk).update(state=NameChangeReview.State.REJECTED, decided_by=user, decided_at=now)
        detail["moved"] = elector_merge(earlier=earlier, later=later)
        if earlier.do_not_contact:  # the objection follows them under the new name too
            Suppression.unscoped.get_or_create(
                constituency_id=earlier.polling_district.constituency_id,
                field=Suppression.Field.NAME,
                key=_name_key(earlier),
                defaults={"reason": earlier.do_not_contact_reason, "created_by": user},
            )
    review.state = NameChangeReview.State.ACCEPTED if accept else NameChangeReview.State.REJECTED
    review.decided_by, review.decided_at = user, now
    review.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(action="elector.name_change_decide", user=user, request=request, obj=review, detail=detail)
    return review


@transaction.atomic
def name_change_reviews_accept(
    *, reviews: Iterable[NameChangeReview], user: User, request: HttpRequest | None = None
) -> int:
    """Accept each of `reviews` (a bulk accept the person confirmed), all or none; one already
    decided (by someone else, or closed by accepting another of the list) is skipped. Returns how
    many pairs were merged."""
    merged = 0
    for review in reviews:
        if NameChangeReview.unscoped.filter(pk=review.pk, state=NameChangeReview.State.PROPOSED).exists():
            name_change_review_decide(review=review, accept=True, user=user, request=request)
            merged += 1
    return merged


STOPPED = (
    "The import stopped without finishing: the worker running it was stopped (it may have run out of "
    "memory). Nothing was changed. Try again; if it stops again, tell the platform operator."
)
_STAGING_NAME = re.compile(r"^voters_staging_(\d+)(_homes|_matched)?$")
log = logging.getLogger(__name__)


def register_import_stopped(*, register_import: RegisterImport, reason: str = STOPPED) -> bool:
    """End a running import whose worker is gone as failed, saying why, and drop its staging tables.
    Only when no session holds its lock (a live worker does, through a long apply step that saves no
    heartbeat), and only if it is still running: safe to call twice, or beside a live worker. Nothing
    was applied (the apply step is one transaction). It is not run again: the same file could stop the
    next worker. Returns whether it was ended."""
    with import_lock(REGISTER_IMPORT_LOCK, register_import.pk, wait=False) as free:
        if not free:
            return False
        ended = RegisterImport.unscoped.filter(
            pk=register_import.pk, status=RegisterImport.Status.RUNNING
        ).update(
            status=RegisterImport.Status.FAILED, stage="Failed", finished_at=timezone.now(), notes=[reason]
        )
        drop_tables(staging_table_names(register_import.pk))
    register_import.refresh_from_db()
    return bool(ended)


def register_import_sweep(*, now: datetime | None = None) -> tuple[list[int], list[str]]:
    """Run by beat. Fail running imports whose heartbeat is older than IMPORT_STALE_AFTER_SECONDS and
    whose worker is gone (no session holds their lock), with the reason; then drop staging tables no
    running import owns (left by a killed backend). Returns (imports failed, tables dropped)."""
    failed = [
        record.pk
        for record, reason in stopped_imports(
            RegisterImport.unscoped.filter(status=RegisterImport.Status.RUNNING), now=now or timezone.now()
        )
        if register_import_stopped(register_import=record, reason=reason)
    ]
    if failed:
        log.warning("Register imports %s failed: their workers are gone", failed)
    return failed, _drop_orphan_staging_tables()


def register_import_requeue_lost(*, now: datetime | None = None) -> list[int]:
    """Run by beat. Queue again an import still queued IMPORT_QUEUED_STALE_AFTER_SECONDS after it was
    queued (or last queued again): its message was lost. While queued, heartbeat_at is when it was last
    queued again. A second message is harmless: the task runs only a queued import, under its lock.
    Returns the ids queued again."""
    from voters.tasks import register_import_task

    now = now or timezone.now()
    before = now - timedelta(seconds=settings.IMPORT_QUEUED_STALE_AFTER_SECONDS)
    lost = RegisterImport.unscoped.filter(status=RegisterImport.Status.QUEUED).filter(
        Q(heartbeat_at__lt=before) | Q(heartbeat_at=None, created_at__lt=before)
    )
    requeued = []
    for pk in lost.values_list("pk", flat=True):
        if RegisterImport.unscoped.filter(pk=pk, status=RegisterImport.Status.QUEUED).update(
            heartbeat_at=now
        ):
            register_import_task.delay(pk)
            requeued.append(pk)
    if requeued:
        log.warning("Register imports %s queued again: no worker had started them", requeued)
    return requeued


def _drop_orphan_staging_tables() -> list[str]:
    dropped = drop_orphan_tables(
        like="voters\\_staging\\_%", pattern=_STAGING_NAME, lock_namespace=REGISTER_IMPORT_LOCK
    )
    if dropped:
        log.warning("Dropped staging tables left by stopped imports: %s", dropped)
    return dropped
