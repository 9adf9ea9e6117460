"""Writes for members: consents, volunteer profiles and member email.

Member email, step by step:
1. `email_send_save` checks the content (unknown merge fields are refused here, not at send time).
2. `email_send_start` (now or at a scheduled time; the sweeper starts scheduled ones) queues
   `email_send_plan`, which writes one EmailRecipient row per member in one INSERT ... SELECT,
   applying consent, bounces, the frequency cap and the contact-frequency rule (members matched to
   an elector contacted inside the CLP's quiet period for email are skipped, and counted:
   voters.contact_rule), and queues one task per EmailBatch.
3. `email_batch_send` sends a batch over one SMTP connection (the fast path is members/sending.py,
   which states the delivery guarantee): it takes the batch's advisory lock (held while its connection
   lives), claims the batch's rows in one UPDATE, and marks each row sent in its own durable commit
   straight after the SMTP server accepts the message. A worker killed mid-batch leaves its unsent rows
   "sending"; the lock dies with its connection and the next worker on the batch sends them.
4. A mail server that is down or refuses us pauses the send (`email_send_pause`): nothing fails, the
   send's page says why, and `email_sweep` (Celery beat, every minute) tries the server and resumes
   every batch when it answers. The sweeper also retries batches with deferred recipients (back-off),
   and re-queues batches whose worker is gone: at once if a worker had taken the batch (no one holds
   its lock any more), after MEMBER_EMAIL_STALE_AFTER_SECONDS if no worker ever took it.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.core.mail import get_connection
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from labourhub.scoping import Action
from labourhub.services import audit_record
from labourhub.staged_import import stopped_imports
from labourhub.tasks import account_email_send
from members import conf, email_content, matching, mime, sending
from members.forms import audience_filters
from members.models import (
    BounceEvent,
    Channel,
    Consent,
    ElectorMatch,
    EmailBatch,
    EmailRecipient,
    EmailSend,
    ImportMapping,
    Member,
    MemberImport,
    Volunteer,
)
from voters import contact_rule
from voters.models import Channel as ContactChannel
from voters.models import Elector
from voters.services import contact_record

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from typing import Any

    from django.core.files.uploadedfile import UploadedFile
    from django.core.mail.backends.base import BaseEmailBackend
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from labourhub.models import Constituency, User
    from members.email_content import Template
    from members.mime import Composer
    from members.models import MemberQuerySet
    from members.sending import Row

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "members.unsubscribe"


# --- Consents and volunteers ---------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    member: Member,
    channel: str,
    granted: bool,
    wording: str,
    source: str,
    user: User | None = None,
    http_request: HttpRequest | None = None,
) -> Consent:
    """Record a consent given or withdrawn on one channel; the member's current answer follows it, and
    the audit log says who changed it (the member on their own page, an officer, an unsubscribe link)."""
    if channel not in Channel.values:
        raise ValueError(f"“{channel}” is not a way we contact members: choose {', '.join(Channel.values)}.")
    consent = Consent.unscoped.create(
        member=member,
        channel=channel,
        granted=granted,
        wording=wording,
        source=source,
        recorded_by=user,
    )
    setattr(member, f"consent_{channel}", granted)
    member.save(update_fields=[f"consent_{channel}", "updated_at"])
    audit_record(
        action="members.consent",
        user=user,
        request=http_request,
        obj=member,
        detail={"channel": channel, "granted": granted, "source": source},
    )
    return consent


@transaction.atomic
def volunteer_save(
    *,
    member: Member,
    skills: Iterable[str],
    other_skills: str,
    availability: Iterable[str],
    help_other_clps: bool,
    notes: str = "",
    user: User | None = None,
) -> Volunteer:
    volunteer, _ = Volunteer.unscoped.update_or_create(
        member=member,
        defaults={
            "skills": sorted(set(skills)),
            "other_skills": other_skills,
            "availability": sorted(set(availability)),
            "help_other_clps": help_other_clps,
            "notes": notes,
        },
    )
    audit_record(action="members.volunteer_save", user=user, obj=volunteer, constituency=member.constituency)
    return volunteer


# --- Imports -------------------------------------------------------------------------------


@transaction.atomic
def member_import_create(
    *, constituency: Constituency, upload: UploadedFile, user: User, http_request: HttpRequest | None = None
) -> MemberImport:
    """Store an uploaded membership file for its columns to be mapped; nothing is imported yet."""
    member_import = MemberImport.unscoped.create(
        constituency=constituency,
        file=upload,
        file_name=upload.name[:200],  # type: ignore[index]  # an upload has a name
        uploaded_by=user,
    )
    audit_record(action="members.import_upload", user=user, request=http_request, obj=member_import)
    return member_import


@transaction.atomic
def member_import_queue(
    *,
    member_import: MemberImport,
    mapping: ImportMapping | None = None,
    mapping_name: str | None = None,
    columns: dict[str, Any] | None = None,
) -> MemberImport:
    """Fix the column mapping of an uploaded file and run the import in the worker. The mapping is
    given, or saved here under `mapping_name` (for the CLP's next file) with its `columns`."""
    from members.tasks import member_import_run

    if mapping is None:
        mapping, _ = ImportMapping.unscoped.update_or_create(
            constituency=member_import.constituency, name=mapping_name, defaults={"columns": columns}
        )
    member_import.mapping = mapping
    member_import.heartbeat_at = timezone.now()  # while waiting: when it was queued (see the sweeper)
    member_import.save(update_fields=["mapping", "heartbeat_at"])
    transaction.on_commit(lambda: member_import_run.delay(member_import.pk))
    return member_import


def member_import_sweep(*, now: datetime | None = None) -> list[int]:
    """Run by beat. Fail running imports whose heartbeat is older than IMPORT_STALE_AFTER_SECONDS and
    whose worker is gone (no session holds their lock), with the reason. Their staging tables are
    temporary and went with the worker's session (what a crashed server left in the catalog is dropped
    here). Returns the ids of the imports failed."""
    from members.importers import member_import_abandon, member_import_drop_orphan_tables

    failed = [
        m.pk
        for m, reason in stopped_imports(
            MemberImport.unscoped.filter(state=MemberImport.State.RUNNING), now=now or timezone.now()
        )
        if member_import_abandon(member_import=m, reason=reason)
    ]
    if failed:
        log.warning("Member imports %s failed: their workers are gone", failed)
    member_import_drop_orphan_tables()
    return failed


def member_import_requeue_lost(*, now: datetime | None = None) -> list[int]:
    """Run by beat. Queue again an import waiting with its mapping chosen (queued) for
    IMPORT_QUEUED_STALE_AFTER_SECONDS since it was queued (or last queued again): its message was lost.
    While waiting, heartbeat_at is when it was last queued. A second message is harmless: the task runs
    only a waiting import, under its lock. Returns the ids queued again."""
    from members.tasks import member_import_run

    now = now or timezone.now()
    before = now - timedelta(seconds=settings.IMPORT_QUEUED_STALE_AFTER_SECONDS)
    lost = MemberImport.unscoped.filter(state=MemberImport.State.WAITING, mapping__isnull=False).filter(
        Q(heartbeat_at__lt=before) | Q(heartbeat_at=None, created_at__lt=before)
    )
    requeued = []
    for pk in lost.values_list("pk", flat=True):
        if MemberImport.unscoped.filter(pk=pk, state=MemberImport.State.WAITING).update(heartbeat_at=now):
            member_import_run.delay(pk)
            requeued.append(pk)
    if requeued:
        log.warning("Member imports %s queued again: no worker had started them", requeued)
    return requeued


# --- Composing ------------------------------------------------------------------------


@transaction.atomic
def email_send_save(
    *,
    constituency: Constituency,
    user: User,
    subject: str,
    body: str,
    audience: dict[str, Any],
    frequency_cap: int,
    send: EmailSend | None = None,
) -> EmailSend:
    """Create or change a draft. Raises email_content.ContentError (and changes nothing) for bad merge fields."""
    email_content.check(subject=subject, body=body)
    fields = {"subject": subject, "body": body, "audience": audience, "frequency_cap": frequency_cap}
    if send is None:
        send = EmailSend.unscoped.create(constituency=constituency, created_by=user, **fields)
    elif send.state != EmailSend.State.DRAFT:
        raise ValueError("Only a draft can be changed.")
    else:
        for name, value in fields.items():
            setattr(send, name, value)
        send.constituency = constituency
        send.save(update_fields=[*fields, "constituency"])
    audit_record(action="members.email_save", user=user, obj=send)
    return send


def email_audience(send: EmailSend, user: User | None = None) -> MemberQuerySet:
    """The members a send would reach now: its filters, in its CLP, with consent to email."""
    user = user or send.created_by
    if user is None:  # its author's account is gone: nobody's authority to send it remains
        return Member.objects.none()
    members = Member.objects.for_user(user, Action.MANAGE_MEMBERS).filter(constituency=send.constituency)
    return members.matching(audience_filters(send)).emailable()


def email_quiet_since(send: EmailSend, at: datetime | None = None) -> datetime | None:
    """The start of the CLP's quiet period for email (the contact-frequency rule, voters.contact_rule),
    or None when the CLP has none: a member matched to an elector contacted since is skipped."""
    return contact_rule.quiet_since(constituency=send.constituency_id, channel=ContactChannel.EMAIL, at=at)


def email_audience_due(
    send: EmailSend, user: User | None = None, at: datetime | None = None
) -> MemberQuerySet:
    """Who a send reaches: its audience less the members the contact-frequency rule skips."""
    return email_audience(send, user).filter(contact_rule.member_due_q(email_quiet_since(send, at)))


def email_skipped_by_rule(send: EmailSend, user: User | None = None, at: datetime | None = None) -> int:
    """How many of the send's audience the contact-frequency rule skips now (matched to an elector
    contacted inside the CLP's quiet period for email)."""
    since = email_quiet_since(send, at)
    if since is None:
        return 0
    return email_audience(send, user).filter(contact_rule.member_resting_q(since)).count()


def email_template(send: EmailSend) -> Template:
    unsubscribe = "Unsubscribe from these emails: {{unsubscribe_url}}"
    why = f"You get this as a member of {send.constituency.name} Labour who agreed to email."
    # The CLP's privacy notice in every member email (issue 16, item 5).
    privacy_url = settings.SITE_URL + reverse("privacy_notice", args=[send.constituency.gss_code])
    return email_content.prepare(
        subject=send.subject,
        body=send.body,
        footer_text=f"{why}\n{unsubscribe}\nHow we use your information: {privacy_url}",
        footer_html=f'{why} <a href="{{{{unsubscribe_url}}}}">Unsubscribe</a>. '
        f'<a href="{privacy_url}">How we use your information</a>.',
    )


def merge_values(
    *,
    send: EmailSend,
    first_name: str,
    last_name: str,
    membership_number: str,
    branch: str,
    ward: str,
    unsubscribe_url: str,
) -> dict[str, str]:
    return {
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}".strip(),
        "membership_number": membership_number,
        "branch": branch or "",
        "ward": ward or "",
        "constituency": send.constituency.name,
        "unsubscribe_url": unsubscribe_url,
    }


def email_preview(*, send: EmailSend, user: User) -> tuple[str, str, str]:
    """(subject, text, html) as the first member of the audience would get it, or a sample member."""
    member = email_audience_due(send, user).select_related("branch", "ward").order_by("id").first()
    sample = member or Member(first_name="Sam", last_name="Sample", membership_number="A000000")
    values = merge_values(
        send=send,
        first_name=sample.first_name,
        last_name=sample.last_name,
        membership_number=sample.membership_number,
        branch=sample.branch.name if sample.branch_id else "",  # type: ignore[union-attr]
        ward=sample.ward.name if sample.ward_id else "",  # type: ignore[union-attr]
        unsubscribe_url=settings.SITE_URL + reverse("members:unsubscribe", args=["preview"]),
    )
    return email_template(send).render(values)


def email_send_test(*, send: EmailSend, user: User) -> None:
    """Send the preview to the user's own address (from the worker, after commit)."""
    subject, text, html = email_preview(send=send, user=user)
    audit_record(action="members.email_test", user=user, obj=send)
    transaction.on_commit(
        lambda: account_email_send.delay(
            subject=f"[TEST] {subject}",
            body=text,
            from_email=mime.from_address(send),
            to=[user.email],
            html=html,
        )
    )


@transaction.atomic
def email_send_start(*, send: EmailSend, user: User, when: datetime | None = None) -> EmailSend:
    """Send now, or at `when`. Planning happens in the worker, against the audience as it is then."""
    from members.tasks import member_email_plan

    send = EmailSend.unscoped.select_for_update().get(pk=send.pk)
    if send.state != EmailSend.State.DRAFT:
        raise ValueError("This email has already been sent or scheduled.")
    now = timezone.now()
    later = when is not None and when > now
    send.state = EmailSend.State.SCHEDULED if later else EmailSend.State.SENDING
    send.scheduled_for = when if later else now
    send.save(update_fields=["state", "scheduled_for"])
    audit_record(
        action="members.email_start",
        user=user,
        obj=send,
        detail={"when": send.scheduled_for.isoformat()},  # type: ignore[union-attr]  # just set
    )
    if not later:
        transaction.on_commit(lambda: member_email_plan.delay(send.pk))
    return send


@transaction.atomic
def email_send_cancel(*, send: EmailSend, user: User) -> EmailSend:
    """Cancel a send before anything went: scheduled, or started with no message sent or being sent."""
    send = EmailSend.unscoped.select_for_update().get(pk=send.pk)
    if send.state not in (EmailSend.State.SCHEDULED, EmailSend.State.SENDING):
        raise ValueError(f"This email cannot be cancelled: it is {send.get_state_display().lower()}.")
    started = send.recipients.filter(state__in=[EmailRecipient.State.SENDING, EmailRecipient.State.SENT])
    if started.exists():
        raise ValueError("Sending has started, so it can no longer be cancelled: stop it instead.")
    return _send_halt(send, user=user, state=EmailSend.State.CANCELLED, action="members.email_cancel")


@transaction.atomic
def email_send_stop(*, send: EmailSend, user: User) -> EmailSend:
    """Stop a send mid-way: nothing more is sent (a worker notices within about a second, so a message or
    two at most may still go, and is reported as sent); the page reports what went and what did not."""
    send = EmailSend.unscoped.select_for_update().get(pk=send.pk)
    if send.state not in (EmailSend.State.SCHEDULED, EmailSend.State.SENDING):
        raise ValueError(f"This email cannot be stopped: it is {send.get_state_display().lower()}.")
    return _send_halt(send, user=user, state=EmailSend.State.STOPPED, action="members.email_stop")


def _send_halt(send: EmailSend, *, user: User, state: EmailSend.State, action: str) -> EmailSend:
    """Unsent rows become "not sent" (never claimed again; a worker's row marked sent after this still
    counts as sent), every batch is finished (the sweeper re-queues none) and the send ends."""
    now = timezone.now()
    unsent = send.recipients.filter(state__in=[EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING])
    not_sent = unsent.update(state=EmailRecipient.State.CANCELLED)
    EmailBatch.objects.filter(send=send, finished_at=None).update(finished_at=now, retry_at=None)
    send.state, send.stopped_at, send.stopped_by, send.finished_at = state, now, user, now
    send.save(update_fields=["state", "stopped_at", "stopped_by", "finished_at"])
    sent = send.recipients.filter(state=EmailRecipient.State.SENT).count()
    audit_record(action=action, user=user, obj=send, detail={"sent": sent, "not_sent": not_sent})
    return send


# --- Planning ---------------------------------------------------------------------


def email_send_plan(*, send_id: int, batch_size: int | None = None) -> EmailSend:
    """Write one row per recipient in one statement, then queue the batches. Planning twice plans once."""
    from members.tasks import member_email_batch_send

    batch_size = batch_size or settings.MEMBER_EMAIL_BATCH_SIZE
    with transaction.atomic():
        send = EmailSend.unscoped.select_for_update().select_related("constituency").get(pk=send_id)
        if send.planned_at is not None or send.state != EmailSend.State.SENDING:
            return send
        now = timezone.now()
        send.quiet_days = contact_rule.quiet_days(
            constituency=send.constituency_id, channel=ContactChannel.EMAIL
        )
        send.skipped_by_rule = email_skipped_by_rule(send, at=now)
        try:
            audience_sql, audience_params = (
                email_audience_due(send, at=now).order_by().values("id", "email").query.sql_with_params()
            )
        except EmptyResultSet:  # an audience that can match nobody
            audience_sql, audience_params = "SELECT NULL::bigint AS id, NULL::text AS email WHERE false", ()
        planned, capped, batches = sending.plan(
            send=send,
            audience_sql=audience_sql,
            audience_params=audience_params,
            cap_since=now - timedelta(days=7),
            batch_size=batch_size,
            now=now,
        )
        send.planned_at, send.planned_count, send.skipped_by_cap = now, planned, capped
        if planned == 0:
            send.state, send.finished_at = EmailSend.State.DONE, now
        send.save(
            update_fields=[
                "planned_at",
                "planned_count",
                "skipped_by_cap",
                "skipped_by_rule",
                "quiet_days",
                "state",
                "finished_at",
            ]
        )
        audit_record(
            action="members.email_plan",
            obj=send,
            detail={
                "planned": planned,
                "skipped_by_cap": capped,
                "skipped_by_rule": send.skipped_by_rule,
                "batches": batches,
            },
        )
        batch_ids = list(EmailBatch.objects.filter(send=send).values_list("id", flat=True))
        transaction.on_commit(lambda: [member_email_batch_send.delay(batch_id) for batch_id in batch_ids])
    return send


# --- Sending ------------------------------------------------------------------------
# The fast path (claim, SMTP loop, sent marks) is in members/sending.py, with the delivery guarantee.


def email_composer(send: EmailSend) -> Composer:
    """What builds each recipient's message of `send` (prepared once, filled in per row)."""
    return mime.Composer(
        send, template=email_template(send), merge_values=merge_values, unsubscribe_salt=UNSUBSCRIBE_SALT
    )


def email_batch_send(
    *, batch_id: int, backend: BaseEmailBackend | None = None, rate_per_second: float | None = None
) -> int:
    """Send one batch over one SMTP connection. Returns the number of messages the server took.

    A batch of a paused send (the mail server is down) is left for the sweeper to queue again when
    the server is back. A database error is raised (the task retries); the rows stay claimed under a
    lock that died with the connection, so the next worker sends them.
    """
    batch = EmailBatch.objects.select_related("send__constituency").get(pk=batch_id)
    if batch.finished_at is not None or batch.send.paused_at is not None:
        return 0
    if not sending.batch_lock(batch.pk):
        return 0  # a live worker is on it
    try:
        rate = settings.MEMBER_EMAIL_RATE_PER_SECOND if rate_per_second is None else rate_per_second
        sent = _batch_send_locked(batch, backend or get_connection(fail_silently=False), rate)
    except (OperationalError, InterfaceError):
        # Postgres went away, and the lock with the connection: the next task starts on a fresh one.
        with contextlib.suppress(DatabaseError):
            connection.close()
        raise
    except BaseException:
        with contextlib.suppress(DatabaseError):
            sending.batch_unlock(batch.pk)
        raise
    sending.batch_unlock(batch.pk)
    return sent


def _batch_send_locked(batch: EmailBatch, backend: BaseEmailBackend, rate: float) -> int:
    send = batch.send
    with transaction.atomic():
        rows = sending.claim(send_id=send.pk, batch_number=batch.number)
    _batch_heartbeat(batch)
    sent = deferred = 0
    if rows:
        try:
            sent, deferred = sending.deliver(
                rows=rows,
                composer=email_composer(send),
                backend=backend,
                rate=rate,
                refused=_row_refused,
                sent=lambda row: _contact_record(send, row),
                heartbeat=lambda: _batch_heartbeat(batch),
                stopped=lambda: _send_stopped(send),
            )
        except sending.ConnectionLost as lost:
            log.warning("Member email %s paused at batch %s: %s", send.pk, batch.pk, lost)
            email_send_pause(batch=batch, reason=str(lost))
            return lost.sent
    if deferred:
        _batch_wait(batch, "Some recipients were deferred by the server")
    else:
        _batch_finish(batch)
    return sent


def _send_stopped(send: EmailSend) -> bool:
    return EmailSend.unscoped.filter(pk=send.pk, stopped_at__isnull=False).exists()


def _batch_heartbeat(batch: EmailBatch) -> None:
    EmailBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())


def _contact_record(send: EmailSend, row: Row) -> None:
    contact_record(
        elector=Elector(pk=row.elector_id),
        channel=ContactChannel.EMAIL,
        user=send.created_by,
        campaign_label=send.subject,
        campaign_ref=f"member-email-{send.pk}",
        source="member email",
    )


def _row_refused(row: Row, code: int, reason: str | bytes) -> bool:
    """A server's answer about one recipient: 5xx fails the row (a hard bounce), 4xx defers it; a row
    still deferred days after planning fails with the answer. Returns True when the row waits for a retry."""
    reason = f"{code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason}"[:500]
    if 500 <= code < 600:
        recipient = EmailRecipient.unscoped.select_related("member").get(pk=row.id)
        bounce_record(recipient=recipient, kind=BounceEvent.Kind.HARD, reason=reason, source="smtp")
        return False
    recipient = EmailRecipient.unscoped.filter(pk=row.id)
    recipient.update(attempts=F("attempts") + 1, last_error=reason)
    too_old = timezone.now() - conf.DEFERRED_RECIPIENT_GIVES_UP_AFTER
    given_up = recipient.filter(planned_at__lt=too_old).update(
        state=EmailRecipient.State.FAILED, last_error=f"Still deferred after days of retries: {reason}"[:500]
    )
    return not given_up


def _unsent(batch: EmailBatch) -> QuerySet[EmailRecipient]:
    return EmailRecipient.unscoped.filter(
        send_id=batch.send_id,
        batch_number=batch.number,
        state__in=[EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING],
    )


def _batch_wait(batch: EmailBatch, reason: str) -> None:
    """Some rows were deferred by the server: the sweeper retries the batch later, with back-off."""
    with transaction.atomic():
        batch = EmailBatch.objects.select_for_update().get(pk=batch.pk)
        unsent = _unsent(batch)
        unsent.filter(last_error="").update(last_error=reason[:500])
        unsent.update(state=EmailRecipient.State.QUEUED)
        batch.failures += 1
        batch.retry_at = timezone.now() + timedelta(seconds=min(30 * 2 ** (batch.failures - 1), 3600))
        batch.save(update_fields=["failures", "retry_at"])


@transaction.atomic
def email_send_pause(*, batch: EmailBatch, reason: str) -> None:
    """The mail server is unreachable or refused us: the send pauses (its page says why) and nothing
    fails; the sweeper tries the server every minute and resumes every batch when it answers."""
    now = timezone.now()
    batch = EmailBatch.objects.select_for_update().get(pk=batch.pk)
    unsent = _unsent(batch)
    unsent.filter(last_error="").update(last_error=reason[:500])
    unsent.update(state=EmailRecipient.State.QUEUED)
    batch.failures += 1
    batch.heartbeat_at = batch.retry_at = None
    batch.save(update_fields=["failures", "heartbeat_at", "retry_at"])
    EmailSend.unscoped.filter(pk=batch.send_id, paused_at=None).update(paused_at=now)
    EmailSend.unscoped.filter(pk=batch.send_id).update(pause_reason=reason[:500])


def _batch_finish(batch: EmailBatch) -> None:
    with transaction.atomic():
        if _unsent(batch).exists():
            return  # another worker holds rows of this batch; it finishes it
        now = timezone.now()
        EmailBatch.objects.filter(pk=batch.pk).update(finished_at=now, retry_at=None)
        if not EmailBatch.objects.filter(send_id=batch.send_id, finished_at=None).exists():
            EmailSend.unscoped.filter(pk=batch.send_id, finished_at=None).update(
                state=EmailSend.State.DONE, finished_at=now
            )


def _mail_server_answers() -> str | None:
    """None if the mail server takes a connection now, else its answer."""
    backend = get_connection(fail_silently=False)
    try:
        backend.open()
    except (smtplib.SMTPException, OSError) as error:
        return sending.smtp_reason(error)
    sending.close_quietly(backend)
    return None


def _tell_author_of_pause(send: EmailSend, now: datetime) -> None:
    """The author hears by email (once the server takes mail again) that their send was held up."""
    if send.created_by is None or not send.created_by.email:
        return
    minutes = max(1, round((now - send.paused_at).total_seconds() / 60))  # type: ignore[operator]  # a paused send
    body = (
        f"Your email “{send.subject}” to {send.constituency.name} members was paused for about {minutes} "
        f"minute{'s' if minutes != 1 else ''} because the mail server was not taking messages "
        f"({send.pause_reason}). The server is back and sending has resumed; nobody was skipped.\n\n"
        f"{settings.SITE_URL}{reverse('members:email_detail', args=[send.pk])}"
    )
    to = [send.created_by.email]
    transaction.on_commit(
        lambda: account_email_send.delay(
            subject=f"Resumed: {send.subject}", body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
        )
    )


def email_sweep(*, now: datetime | None = None, stale_after: timedelta | None = None) -> int:
    """Start scheduled sends, resume paused sends when the mail server is back, retry waiting batches,
    and re-queue batches whose worker is gone: at once when a worker had taken the batch (its lock died
    with it), after `stale_after` for a batch that no worker took. Returns the number of batches queued.
    Queuing a batch twice is harmless: a batch is sent under its lock and rows are claimed once."""
    from members.tasks import member_email_batch_send, member_email_plan

    now = now or timezone.now()
    stale = now - (
        stale_after
        if stale_after is not None
        else timedelta(seconds=settings.MEMBER_EMAIL_STALE_AFTER_SECONDS)
    )
    paused = EmailSend.unscoped.filter(state=EmailSend.State.SENDING).exclude(paused_at=None)
    resumed = []
    if paused.exists():  # one try of the mail server, outside any transaction
        answer = _mail_server_answers()
        if answer is None:
            sends = list(paused.select_related("created_by", "constituency"))
            resumed = [send.pk for send in sends]
            paused.filter(pk__in=resumed).update(paused_at=None, pause_reason="")
            log.info("Member email: the mail server is back; sends %s resume", resumed)
            for send in sends:
                _tell_author_of_pause(send, now)
        else:
            paused.update(pause_reason=answer[:500])
            log.warning(
                "Member email: sends %s still paused: %s", list(paused.values_list("id", flat=True)), answer
            )
    with transaction.atomic():
        due = EmailSend.unscoped.filter(state=EmailSend.State.SCHEDULED, scheduled_for__lte=now)
        starting = list(due.values_list("id", flat=True))
        due.update(state=EmailSend.State.SENDING)
        lost_plans = EmailSend.unscoped.filter(
            state=EmailSend.State.SENDING, planned_at=None, scheduled_for__lt=stale
        ).values_list("id", flat=True)
        to_plan = starting + list(lost_plans)
        retry = EmailBatch.objects.filter(finished_at=None, retry_at__lte=now, send__paused_at=None)
        batch_ids = sorted(
            set(retry.values_list("id", flat=True))
            | set(sending.orphaned_batch_ids(stale=stale, resumed_send_ids=resumed))
        )
        EmailBatch.objects.filter(pk__in=batch_ids).update(enqueued_at=now, heartbeat_at=None, retry_at=None)
        transaction.on_commit(lambda: [member_email_plan.delay(send_id) for send_id in to_plan])
        transaction.on_commit(lambda: [member_email_batch_send.delay(batch_id) for batch_id in batch_ids])
    return len(batch_ids)


# --- What comes back: bounces and unsubscribes -------------------------------------


def recipient_from_token(token: str) -> EmailRecipient | None:
    """The EmailRecipient a signed token names, or None for a forged or mangled one."""
    try:
        recipient_id = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return EmailRecipient.unscoped.select_related("member", "send").filter(pk=recipient_id).first()


@transaction.atomic
def email_unsubscribe(*, recipient: EmailRecipient, source: str = "unsubscribe link") -> Member:
    """Withdraw email consent for good (imports never give it back). Doing it twice changes nothing."""
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = timezone.now()
        recipient.save(update_fields=["unsubscribed_at"])
    member = Member.unscoped.select_for_update().get(pk=recipient.member_id)
    if member.consent_email:
        consent_record(
            member=member,
            channel="email",
            granted=False,
            wording=f"Unsubscribed with the link in the email “{recipient.send.subject}”.",
            source=source,
        )
    return member


@transaction.atomic
def bounce_record(*, recipient: EmailRecipient, kind: str, reason: str, source: str) -> None:
    """Record a bounce; a hard one fails the row, and repeated hard bounces stop email to the address.
    A complaint (marked as spam) counts as unsubscribing."""
    BounceEvent.unscoped.create(recipient=recipient, kind=kind, reason=reason[:500], source=source)
    now = timezone.now()
    updates: dict[str, Any] = {"bounced_at": now}
    if kind == BounceEvent.Kind.HARD and recipient.state != EmailRecipient.State.SENT:
        updates |= {"state": EmailRecipient.State.FAILED, "last_error": reason[:500]}
    EmailRecipient.unscoped.filter(pk=recipient.pk).update(**updates)
    if kind == BounceEvent.Kind.HARD:
        Member.unscoped.filter(pk=recipient.member_id).update(email_hard_bounces=F("email_hard_bounces") + 1)
        Member.unscoped.filter(
            pk=recipient.member_id, email_hard_bounces__gte=conf.HARD_BOUNCE_LIMIT, email_bounced_at=None
        ).update(email_bounced_at=now)
    elif kind == BounceEvent.Kind.COMPLAINT:
        email_unsubscribe(recipient=recipient, source="spam complaint")


# --- Matching members to the register ---------------------------------------------------


@transaction.atomic
def member_match_electors(*, constituency: Constituency, user: User | None = None) -> tuple[int, int]:
    """Match the CLP's unlinked members to electors by name and address. Certain matches (same first
    name, surname and postcode, one such elector) are linked; the rest (several such electors, or the
    same surname at the same address with another first name) are proposed for review.
    Returns (linked, proposed). Running it again finds nothing new."""
    linked, proposed = matching.match_electors(constituency_id=constituency.pk)
    audit_record(
        action="members.match_electors",
        user=user,
        constituency=constituency,
        detail={"linked": linked, "proposed": proposed},
    )
    return linked, proposed


@transaction.atomic
def elector_match_decide(*, match: ElectorMatch, confirm: bool, user: User) -> ElectorMatch:
    """An officer's answer to a proposed match. Confirming links the member and closes their other
    proposals; rejecting means the pair is never proposed again."""
    now = timezone.now()
    if match.state != ElectorMatch.State.PROPOSED:
        raise ValueError("This match has already been decided.")
    if confirm:
        linked = Member.unscoped.filter(pk=match.member_id, elector=None).update(elector_id=match.elector_id)
        if not linked:
            raise ValueError("This member is already linked to an elector.")
        ElectorMatch.unscoped.filter(member_id=match.member_id, state=ElectorMatch.State.PROPOSED).exclude(
            pk=match.pk
        ).update(state=ElectorMatch.State.REJECTED, decided_by=user, decided_at=now)
    match.state = ElectorMatch.State.CONFIRMED if confirm else ElectorMatch.State.REJECTED
    match.decided_by, match.decided_at = user, now
    match.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(action="members.match_decide", user=user, obj=match, detail={"confirm": confirm})
    return match
