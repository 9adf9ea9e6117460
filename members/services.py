"""Writes for members: consents, volunteer profiles and member email.

Member email, step by step:
1. `email_send_save` checks the content (unknown merge fields are refused here, not at send time).
2. `email_send_start` (now or at a scheduled time; the sweeper starts scheduled ones) queues
   `email_send_plan`, which writes one EmailRecipient row per member in one INSERT ... SELECT,
   applying consent, bounces and the frequency cap, and queues one task per EmailBatch.
3. `email_batch_send` sends a batch over one SMTP connection. A worker takes the batch's advisory
   lock (held while its connection lives), claims the batch's rows with one UPDATE ... WHERE id IN
   (SELECT ... FOR UPDATE SKIP LOCKED), and marks each row sent in its own commit straight after the
   SMTP server accepts the message. A worker killed mid-batch leaves its unsent rows "sending"; the lock
   dies with its connection and the next worker on the batch sends them. Nothing is skipped; a row is
   sent twice only if the worker dies in the instant between the server's "250 OK" and that commit.
4. `email_sweep` (Celery beat, every minute) re-queues batches with no live worker and retries batches
   that hit a temporary failure, with back-off.
"""

import contextlib
import logging
import re
import select
import smtplib
import time
from datetime import timedelta
from html import escape as html_escape

from django.conf import settings
from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from psycopg import pq

from labourhub.scoping import Action
from labourhub.services import audit_record
from labourhub.tasks import account_email_send
from members import conf, email_content
from members.forms import audience_filters
from members.models import (
    BounceEvent,
    Consent,
    ElectorMatch,
    EmailBatch,
    EmailRecipient,
    EmailSend,
    Member,
    Volunteer,
)
from voters.models import Channel as ContactChannel
from voters.models import Elector
from voters.services import contact_record

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "members.unsubscribe"


# --- Consents and volunteers ---------------------------------------------------------


@transaction.atomic
def consent_record(*, member, channel, granted, wording, source, recorded_by=None):
    """Record a consent given or withdrawn on one channel; the member's current answer follows it."""
    consent = Consent.objects.create(
        member=member,
        channel=channel,
        granted=granted,
        wording=wording,
        source=source,
        recorded_by=recorded_by,
    )
    setattr(member, f"consent_{channel}", granted)
    member.save(update_fields=[f"consent_{channel}", "updated_at"])
    return consent


@transaction.atomic
def volunteer_save(*, member, skills, other_skills, availability, help_other_clps, notes="", user=None):
    volunteer, _ = Volunteer.objects.update_or_create(
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
def member_import_queue(*, member_import, mapping):
    """Fix the column mapping of an uploaded file and run the import in the worker."""
    from members.tasks import member_import_run

    member_import.mapping = mapping
    member_import.save(update_fields=["mapping"])
    transaction.on_commit(lambda: member_import_run.delay(member_import.pk))
    return member_import


# --- Composing ------------------------------------------------------------------------


@transaction.atomic
def email_send_save(*, constituency, user, subject, body, audience, frequency_cap, send=None):
    """Create or change a draft. Raises email_content.ContentError (and changes nothing) for bad merge fields."""
    email_content.check(subject=subject, body=body)
    fields = {"subject": subject, "body": body, "audience": audience, "frequency_cap": frequency_cap}
    if send is None:
        send = EmailSend.objects.create(constituency=constituency, created_by=user, **fields)
    elif send.state != EmailSend.State.DRAFT:
        raise ValueError("Only a draft can be changed.")
    else:
        for name, value in fields.items():
            setattr(send, name, value)
        send.constituency = constituency
        send.save(update_fields=[*fields, "constituency"])
    audit_record(action="members.email_save", user=user, obj=send)
    return send


def email_audience(send, user=None):
    """The members a send would reach now: its filters, in its CLP, with consent to email."""
    user = user or send.created_by
    if user is None:  # its author's account is gone: nobody's authority to send it remains
        return Member.objects.none()
    members = Member.objects.for_user(user, Action.MANAGE_MEMBERS).filter(constituency=send.constituency)
    return members.matching(audience_filters(send)).emailable()


def email_template(send):
    unsubscribe = "Unsubscribe from these emails: {{unsubscribe_url}}"
    why = f"You get this as a member of {send.constituency.name} Labour who agreed to email."
    return email_content.prepare(
        subject=send.subject,
        body=send.body,
        footer_text=f"{why}\n{unsubscribe}",
        footer_html=f'{why} <a href="{{{{unsubscribe_url}}}}">Unsubscribe</a>.',
    )


def merge_values(*, send, first_name, last_name, membership_number, branch, ward, unsubscribe_url):
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


def email_preview(*, send, user):
    """(subject, text, html) as the first member of the audience would get it, or a sample member."""
    member = email_audience(send, user).select_related("branch", "ward").order_by("id").first()
    sample = member or Member(first_name="Sam", last_name="Sample", membership_number="A000000")
    values = merge_values(
        send=send,
        first_name=sample.first_name,
        last_name=sample.last_name,
        membership_number=sample.membership_number,
        branch=sample.branch.name if sample.branch_id else "",
        ward=sample.ward.name if sample.ward_id else "",
        unsubscribe_url=settings.SITE_URL + reverse("members:unsubscribe", args=["preview"]),
    )
    return email_template(send).render(values)


def email_send_test(*, send, user):
    """Send the preview to the user's own address (from the worker, after commit)."""
    subject, text, html = email_preview(send=send, user=user)
    audit_record(action="members.email_test", user=user, obj=send)
    transaction.on_commit(
        lambda: account_email_send.delay(
            subject=f"[TEST] {subject}", body=text, from_email=_from_address(send), to=[user.email], html=html
        )
    )


@transaction.atomic
def email_send_start(*, send, user, when=None):
    """Send now, or at `when`. Planning happens in the worker, against the audience as it is then."""
    from members.tasks import member_email_plan

    send = EmailSend.objects.select_for_update().get(pk=send.pk)
    if send.state != EmailSend.State.DRAFT:
        raise ValueError("This email has already been sent or scheduled.")
    now = timezone.now()
    later = when is not None and when > now
    send.state = EmailSend.State.SCHEDULED if later else EmailSend.State.SENDING
    send.scheduled_for = when if later else now
    send.save(update_fields=["state", "scheduled_for"])
    audit_record(
        action="members.email_start", user=user, obj=send, detail={"when": send.scheduled_for.isoformat()}
    )
    if not later:
        transaction.on_commit(lambda: member_email_plan.delay(send.pk))
    return send


# --- Planning ---------------------------------------------------------------------


def email_send_plan(*, send_id, batch_size=None):
    """Write one row per recipient in one statement, then queue the batches. Planning twice plans once."""
    from members.tasks import member_email_batch_send

    batch_size = batch_size or settings.MEMBER_EMAIL_BATCH_SIZE
    with transaction.atomic():
        send = EmailSend.objects.select_for_update().select_related("constituency").get(pk=send_id)
        if send.planned_at is not None or send.state != EmailSend.State.SENDING:
            return send
        now = timezone.now()
        try:
            audience_sql, audience_params = (
                email_audience(send).order_by().values("id", "email").query.sql_with_params()
            )
        except EmptyResultSet:  # an audience that can match nobody
            audience_sql, audience_params = "SELECT NULL::bigint AS id, NULL::text AS email WHERE false", ()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH audience AS ({audience_sql}),
                recent AS (
                    SELECT r.member_id FROM members_emailrecipient r
                    JOIN members_emailsend s ON s.id = r.send_id
                    WHERE s.constituency_id = %s AND r.planned_at >= %s AND r.state <> 'failed'
                    GROUP BY r.member_id HAVING count(*) >= %s
                ),
                eligible AS (
                    SELECT a.id, a.email, (a.id IN (SELECT member_id FROM recent)) AS capped FROM audience a
                ),
                planned AS (
                    INSERT INTO members_emailrecipient
                        (send_id, member_id, email, batch_number, planned_at, state, attempts, last_error)
                    SELECT %s, e.id, e.email, (row_number() OVER (ORDER BY e.id) - 1) / %s, %s, 'queued', 0, ''
                    FROM eligible e WHERE NOT e.capped
                    RETURNING batch_number
                )
                SELECT (SELECT count(*) FROM planned), (SELECT count(*) FROM eligible WHERE capped),
                       (SELECT coalesce(max(batch_number) + 1, 0) FROM planned)
                """,
                [
                    *audience_params,
                    send.constituency_id,
                    now - timedelta(days=7),
                    send.frequency_cap,
                    send.pk,
                    batch_size,
                    now,
                ],
            )
            planned, capped, batches = cursor.fetchone()
            cursor.execute(
                "INSERT INTO members_emailbatch (send_id, number, enqueued_at, failures) "
                "SELECT %s, n, %s, 0 FROM generate_series(0, %s - 1) AS n",
                [send.pk, now, batches],
            )
        send.planned_at, send.planned_count, send.skipped_by_cap = now, planned, capped
        if planned == 0:
            send.state, send.finished_at = EmailSend.State.DONE, now
        send.save(update_fields=["planned_at", "planned_count", "skipped_by_cap", "state", "finished_at"])
        audit_record(
            action="members.email_plan",
            obj=send,
            detail={"planned": planned, "skipped_by_cap": capped, "batches": batches},
        )
        batch_ids = list(EmailBatch.objects.filter(send=send).values_list("id", flat=True))
        transaction.on_commit(lambda: [member_email_batch_send.delay(batch_id) for batch_id in batch_ids])
    return send


# --- Sending ------------------------------------------------------------------------

# A worker holds this session-level advisory lock on a batch while it sends it. Postgres drops the
# lock the moment the worker's connection dies, so "locked" means "a live worker is on it".
_BATCH_LOCK_NAMESPACE = 0x4D454D  # "MEM"

# Claim every queued row of the batch in one statement. Rows still "sending" belong to a worker that
# died (we hold the batch lock), so they are claimed again; of those, only the one that was in flight
# when it died can have reached the SMTP server already. Members who withdrew consent or bounced since
# planning are failed instead of claimed.
_CLAIM_SQL = """
UPDATE members_emailrecipient r
SET state = CASE WHEN m.consent_email AND m.email_bounced_at IS NULL THEN 'sending' ELSE 'failed' END,
    last_error = CASE WHEN m.consent_email AND m.email_bounced_at IS NULL THEN r.last_error
                      ELSE 'Unsubscribed or bounced before it was sent' END
FROM members_member m
LEFT JOIN labourhub_branch b ON b.id = m.branch_id
LEFT JOIN labourhub_ward w ON w.id = m.ward_id
WHERE r.id IN (
    SELECT id FROM members_emailrecipient
    WHERE send_id = %s AND batch_number = %s AND state IN ('queued', 'sending')
    FOR UPDATE SKIP LOCKED
) AND m.id = r.member_id
RETURNING r.id, r.email, r.state, m.first_name, m.last_name, m.membership_number, b.name, w.name,
          m.elector_id
"""
_MARK_SENT_SQL = (
    b"UPDATE members_emailrecipient SET state = 'sent', sent_at = now(), attempts = attempts + 1, "
    b"last_error = '' WHERE id = $1"
)


class _SentMarker:
    """Marks rows sent without waiting for Postgres's answer before the next SMTP exchange.

    Each mark is a complete statement of its own (libpq sends it with a Sync, so the server commits it
    even if this process dies right after) and is flushed to the socket before the next message goes to
    the SMTP server. Its answer is read just before the next mark, or before any other query.
    """

    def __init__(self):
        connection.ensure_connection()
        self.pgconn = connection.connection.pgconn
        self.pending = False

    def mark(self, recipient_id):
        self.wait()
        self.pgconn.send_query_params(_MARK_SENT_SQL, [str(recipient_id).encode()])
        while self.pgconn.flush():
            select.select([], [self.pgconn.socket], [])
        self.pending = True

    def wait(self):
        if not self.pending:
            return
        self.pending = False
        result, failed = self.pgconn.get_result(), None
        while result is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                failed = str(result.get_error_message())
            result = self.pgconn.get_result()
        if failed:
            raise OperationalError(f"Could not mark a member email sent: {failed}")


class _ConnectionLost(Exception):
    """The SMTP server went away or refused us: the rest of the batch waits and is retried."""


def email_batch_send(*, batch_id, backend=None, rate_per_second=None):
    """Send one batch over one SMTP connection. Returns the number of messages the server took.

    Each message is marked sent in its own commit straight after the SMTP server accepts it; a worker
    killed mid-batch leaves the rest "sending" under a lock that dies with it, and the next worker to
    take the batch sends them. Only the one message in flight at the kill can go twice.
    """
    batch = EmailBatch.objects.select_related("send__constituency").get(pk=batch_id)
    if batch.finished_at is not None or not _batch_lock(batch, True):
        return 0  # done already, or a live worker is on it
    try:
        rate = settings.MEMBER_EMAIL_RATE_PER_SECOND if rate_per_second is None else rate_per_second
        return _batch_send_locked(batch, backend or get_connection(fail_silently=False), rate)
    finally:
        _batch_lock(batch, False)


def _batch_lock(batch, take):
    with connection.cursor() as cursor:
        if take:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s::int)", [_BATCH_LOCK_NAMESPACE, batch.pk])
            return cursor.fetchone()[0]
        cursor.execute("SELECT pg_advisory_unlock(%s, %s::int)", [_BATCH_LOCK_NAMESPACE, batch.pk])
    return False


def _batch_send_locked(batch, backend, rate):
    send = batch.send
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [send.pk, batch.number])
        rows = sorted(row for row in cursor.fetchall() if row[2] == EmailRecipient.State.SENDING)
    EmailBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
    compose = _Composer(send)
    pace = 1 / rate if rate else 0
    sent = 0
    deferred = False
    started = time.monotonic()
    with connection.cursor() as cursor:
        # Each mark commits on its own, so waiting for the disk at every commit would cap sending at a
        # few hundred a second. Off for this session: a killed worker loses no mark (the commit is
        # already in Postgres's memory); only a crash of Postgres itself could forget the last fraction
        # of a second of marks, and those few messages would be sent again.
        cursor.execute("SET synchronous_commit = off")
    marker = _SentMarker()
    try:
        try:
            backend.open()  # one connection for the whole batch
        except (smtplib.SMTPException, OSError) as error:
            raise _ConnectionLost(_reason(error)) from error
        for number, row in enumerate(rows, start=1):
            if pace:
                time.sleep(max(0.0, started + number * pace - time.monotonic()))
            try:
                compose.send_one(row, backend)
            except smtplib.SMTPRecipientsRefused as error:
                marker.wait()
                code, reason = next(iter(error.recipients.values()))
                deferred |= _row_refused(row[0], code, reason)
                continue
            except smtplib.SMTPResponseException as error:
                marker.wait()
                if error.smtp_code == 421:  # the server is closing the connection
                    raise _ConnectionLost(_reason(error)) from error
                deferred |= _row_refused(row[0], error.smtp_code, error.smtp_error)
                continue
            except (ValueError, UnicodeError) as error:  # an address Python cannot even encode
                marker.wait()
                _row_refused(row[0], 553, str(error))
                continue
            except (smtplib.SMTPException, OSError) as error:
                raise _ConnectionLost(_reason(error)) from error
            marker.mark(row[0])
            sent += 1
            if row[8] is not None:  # matched to the register: the voter's history shows it
                marker.wait()
                _contact_record(send, row)
            if number % 100 == 0:
                marker.wait()
                EmailBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
    except _ConnectionLost as lost:
        log.warning("Member email batch %s stopped: %s", batch.pk, lost)
        _batch_wait(batch, str(lost))
        return sent
    finally:
        marker.wait()
        _close_quietly(backend)
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    if deferred:
        _batch_wait(batch, "Some recipients were deferred by the server")
    else:
        _batch_finish(batch)
    return sent


def _contact_record(send, row):
    contact_record(
        elector=Elector(pk=row[8]),
        channel=ContactChannel.EMAIL,
        user=send.created_by,
        campaign_label=send.subject,
        campaign_ref=f"member-email-{send.pk}",
        source="member email",
    )


class _Composer:
    """Builds each recipient's message from the send's template, prepared once per batch.

    Over SMTP the message is built once with placeholders and each recipient's copy is made by
    replacing them in the bytes (building a MIME message per recipient costs more than sending it).
    Recipients whose header values are not plain ASCII, and other backends (console, locmem), get a
    message built in full by Django.
    """

    _PLACEHOLDER = re.compile(rb"lh([sth])(\d+)q|lhidq|lhtokq|lhtoq@lhto\.invalid")

    def __init__(self, send):
        self.send = send
        self.template = email_template(send)
        self.signer = signing.Signer(salt=UNSUBSCRIBE_SALT)
        self.unsubscribe_url = settings.SITE_URL + reverse("members:unsubscribe", args=["TOKEN"])
        self.from_email = _from_address(send)
        self.domain = settings.MEMBER_EMAIL_FROM.rsplit("@", 1)[-1]
        self.fields = list(email_content.TEMPLATE_FIELDS)
        self._prebuilt = None

    def send_one(self, row, backend):
        data = self._bytes(row) if isinstance(backend, SmtpBackend) and backend.connection else None
        if data is None:
            backend.send_messages([self.message(row, backend)])
        else:
            backend.connection.sendmail(settings.MEMBER_EMAIL_FROM, [row[1]], data)

    def message(self, row, backend=None):
        recipient_id, email = row[0], row[1]
        values = self._values(row)
        subject, text, html = self.template.render(values)
        return self._build(subject, text, html, email, recipient_id, values["token"], backend)

    def _values(self, row):
        recipient_id, _, _, first_name, last_name, membership_number, branch, ward, _ = row
        token = self.signer.sign(str(recipient_id))
        values = merge_values(
            send=self.send,
            first_name=first_name,
            last_name=last_name,
            membership_number=membership_number,
            branch=branch,
            ward=ward,
            unsubscribe_url=self.unsubscribe_url.replace("TOKEN", token),
        )
        return email_content.with_link_values(values) | {"token": token}

    def _build(self, subject, text, html, email, recipient_id, token, backend):
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=self.from_email,
            to=[email],
            connection=backend,
            headers={
                "Message-ID": f"<member-email-{recipient_id}@{self.domain}>",
                "List-Unsubscribe": f"<{self.unsubscribe_url.replace('TOKEN', token)}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-LabourHub-Recipient": token,
            },
        )
        message.attach_alternative(html, "text/html")
        return message

    def _prebuild(self):
        """The message with placeholders, or False when it cannot be safely filled in as bytes."""
        placeholders = {part: {name: f"lh{part}{i}q" for i, name in enumerate(self.fields)} for part in "sth"}
        keep = str
        subject = email_content.fill(self.template.subject, placeholders["s"], keep)
        text = email_content.fill(self.template.text, placeholders["t"], keep)
        html = email_content.fill(self.template.html, placeholders["h"], keep)
        data = self._build(subject, text, html, "lhtoq@lhto.invalid", "lhidq", "lhtokq", None).message()
        data = data.as_bytes(linesep="\r\n")
        header_end = data.index(b"\r\n\r\n")
        intact = (
            all(
                data.count(marker.encode(), 0, header_end) == subject.count(marker)
                for marker in placeholders["s"].values()
            )
            and data.count(b"lhtokq", 0, header_end) == 2
        )
        plain = b"quoted-printable" not in data and b"Content-Transfer-Encoding: base64" not in data
        short = max(len(line) for line in data.split(b"\r\n")) < 900
        if not (intact and plain and short):
            return False
        # Recipients' values may be UTF-8, so the parts are declared 8bit (Django does the same).
        return data.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: 8bit")

    def _bytes(self, row):
        if self._prebuilt is None:
            self._prebuilt = self._prebuild()
        values = self._values(row)
        headers = [row[1], *(values[name] for name in self.fields if f"{{{{{name}}}}}" in self.send.subject)]
        if not self._prebuilt or not all(v.isascii() and "\n" not in v and "\r" not in v for v in headers):
            return None
        escape = {"s": email_content.one_line, "t": str, "h": html_escape}

        def replace(match):
            token = match.group(0)
            if token == b"lhidq":
                return str(row[0]).encode()
            if token == b"lhtokq":
                return values["token"].encode()
            if token.startswith(b"lhtoq"):
                return row[1].encode()
            part, index = match.group(1).decode(), int(match.group(2))
            return escape[part](values[self.fields[index]]).encode()

        return self._PLACEHOLDER.sub(replace, self._prebuilt)


def _from_address(send):
    name = f"{send.constituency.name} Labour".replace('"', "")
    return f'"{name}" <{settings.MEMBER_EMAIL_FROM}>'


def _reason(error):
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"[:500]
    return f"{error.__class__.__name__}: {error}"[:500]


def _row_refused(recipient_id, code, reason):
    """A server's answer about one recipient: 5xx fails the row (a hard bounce), 4xx defers it.
    Returns True when the row waits for a retry."""
    reason = f"{code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason}"[:500]
    if 500 <= code < 600:
        recipient = EmailRecipient.objects.select_related("member").get(pk=recipient_id)
        bounce_record(recipient=recipient, kind=BounceEvent.Kind.HARD, reason=reason, source="smtp")
        return False
    EmailRecipient.objects.filter(pk=recipient_id).update(attempts=F("attempts") + 1, last_error=reason)
    return True


def _batch_wait(batch, reason):
    """Back off: the sweeper retries the batch later; after too many failures its rows fail."""
    with transaction.atomic():
        batch = EmailBatch.objects.select_for_update().get(pk=batch.pk)
        batch.failures += 1
        queued = EmailRecipient.objects.filter(
            send_id=batch.send_id,
            batch_number=batch.number,
            state__in=[EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING],
        )
        if batch.failures >= conf.MAX_BATCH_FAILURES:
            queued.update(state=EmailRecipient.State.FAILED, last_error=f"Gave up: {reason}"[:500])
            batch.retry_at = None
            batch.save(update_fields=["failures", "retry_at"])
            _batch_finish(batch)
            return
        queued.filter(last_error="").update(last_error=reason[:500])
        queued.update(state=EmailRecipient.State.QUEUED)
        batch.retry_at = timezone.now() + timedelta(seconds=min(30 * 2 ** (batch.failures - 1), 3600))
        batch.save(update_fields=["failures", "retry_at"])


def _batch_finish(batch):
    with transaction.atomic():
        unfinished = EmailRecipient.objects.filter(
            send_id=batch.send_id,
            batch_number=batch.number,
            state__in=[EmailRecipient.State.QUEUED, EmailRecipient.State.SENDING],
        )
        if unfinished.exists():
            return  # another worker holds rows of this batch; it finishes it
        now = timezone.now()
        EmailBatch.objects.filter(pk=batch.pk).update(finished_at=now, retry_at=None)
        if not EmailBatch.objects.filter(send_id=batch.send_id, finished_at=None).exists():
            EmailSend.objects.filter(pk=batch.send_id, finished_at=None).update(
                state=EmailSend.State.DONE, finished_at=now
            )


def _close_quietly(backend):
    with contextlib.suppress(smtplib.SMTPException, OSError):
        backend.close()


def email_sweep(*, now=None, stale_after=None):
    """Start scheduled sends, retry waiting batches, re-queue batches whose worker died.
    Returns the number of batches queued. Queuing a batch twice is harmless: rows are claimed once."""
    from members.tasks import member_email_batch_send, member_email_plan

    now = now or timezone.now()
    stale = now - (
        stale_after
        if stale_after is not None
        else timedelta(seconds=settings.MEMBER_EMAIL_STALE_AFTER_SECONDS)
    )
    with transaction.atomic():
        due = EmailSend.objects.filter(state=EmailSend.State.SCHEDULED, scheduled_for__lte=now)
        starting = list(due.values_list("id", flat=True))
        due.update(state=EmailSend.State.SENDING)
        lost_plans = EmailSend.objects.filter(
            state=EmailSend.State.SENDING, planned_at=None, scheduled_for__lt=stale
        ).values_list("id", flat=True)
        to_plan = starting + list(lost_plans)
        batches = (
            EmailBatch.objects.filter(finished_at=None)
            .annotate(last_seen=Coalesce("heartbeat_at", "enqueued_at"))
            .filter(Q(retry_at__lte=now) | Q(retry_at=None, last_seen__lt=stale))
        )
        batch_ids = list(batches.values_list("id", flat=True))
        EmailBatch.objects.filter(pk__in=batch_ids).update(enqueued_at=now, heartbeat_at=None, retry_at=None)
        transaction.on_commit(lambda: [member_email_plan.delay(send_id) for send_id in to_plan])
        transaction.on_commit(lambda: [member_email_batch_send.delay(batch_id) for batch_id in batch_ids])
    return len(batch_ids)


# --- What comes back: bounces and unsubscribes -------------------------------------


def recipient_from_token(token):
    """The EmailRecipient a signed token names, or None for a forged or mangled one."""
    try:
        recipient_id = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return EmailRecipient.objects.select_related("member", "send").filter(pk=recipient_id).first()


@transaction.atomic
def email_unsubscribe(*, recipient, source="unsubscribe link"):
    """Withdraw email consent for good (imports never give it back). Doing it twice changes nothing."""
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = timezone.now()
        recipient.save(update_fields=["unsubscribed_at"])
    member = Member.objects.select_for_update().get(pk=recipient.member_id)
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
def bounce_record(*, recipient, kind, reason, source):
    """Record a bounce; a hard one fails the row, and repeated hard bounces stop email to the address.
    A complaint (marked as spam) counts as unsubscribing."""
    BounceEvent.objects.create(recipient=recipient, kind=kind, reason=reason[:500], source=source)
    now = timezone.now()
    updates = {"bounced_at": now}
    if kind == BounceEvent.Kind.HARD and recipient.state != EmailRecipient.State.SENT:
        updates |= {"state": EmailRecipient.State.FAILED, "last_error": reason[:500]}
    EmailRecipient.objects.filter(pk=recipient.pk).update(**updates)
    if kind == BounceEvent.Kind.HARD:
        Member.objects.filter(pk=recipient.member_id).update(email_hard_bounces=F("email_hard_bounces") + 1)
        Member.objects.filter(
            pk=recipient.member_id, email_hard_bounces__gte=conf.HARD_BOUNCE_LIMIT, email_bounced_at=None
        ).update(email_bounced_at=now)
    elif kind == BounceEvent.Kind.COMPLAINT:
        email_unsubscribe(recipient=recipient, source="spam complaint")


# --- Matching members to the register ---------------------------------------------------

_MATCH_SQL = """
WITH candidates AS (
    SELECT m.id AS member_id, e.id AS elector_id,
           split_part(lower(e.first_names), ' ', 1) = split_part(lower(m.first_name), ' ', 1) AS same_first_name,
           regexp_replace(lower(split_part(p.address, ',', 1)), '[^a-z0-9]', '', 'g')
               = regexp_replace(lower(m.address_line1), '[^a-z0-9]', '', 'g') AS same_first_line
    FROM members_member m
    JOIN voters_property p ON p.postcode = upper(replace(m.postcode, ' ', '')) AND m.postcode <> ''
    JOIN voters_elector e ON e.home_id = p.id AND lower(e.surname) = lower(m.last_name) AND e.on_register
    JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id AND pd.constituency_id = m.constituency_id
    WHERE m.constituency_id = %(clp)s AND m.elector_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM members_electormatch x WHERE x.member_id = m.id AND x.elector_id = e.id)
      AND NOT EXISTS (SELECT 1 FROM members_member o WHERE o.elector_id = e.id)
),
counted AS (
    SELECT *, count(*) FILTER (WHERE same_first_name) OVER (PARTITION BY member_id) AS first_name_matches
    FROM candidates
),
found AS (
INSERT INTO members_electormatch (member_id, elector_id, state, reason, found_at)
SELECT member_id, elector_id,
       CASE WHEN same_first_name AND first_name_matches = 1 THEN 'linked' ELSE 'proposed' END,
       CASE WHEN same_first_name AND first_name_matches = 1 THEN 'Same name and postcode'
            WHEN same_first_name THEN 'Same name and postcode, but more than one such elector'
            ELSE 'Same surname and postcode, different first name' END,
       now()
FROM counted
-- A member linked for certain gets no other proposals; otherwise a different first name is only worth
-- a look at the same address, not anywhere in the postcode.
WHERE CASE WHEN first_name_matches = 1 THEN same_first_name ELSE same_first_name OR same_first_line END
RETURNING member_id, elector_id, state
),
linked AS (
    UPDATE members_member m SET elector_id = f.elector_id
    FROM found f WHERE f.state = 'linked' AND m.id = f.member_id AND m.elector_id IS NULL
)
SELECT count(*) FILTER (WHERE state = 'linked'), count(*) FILTER (WHERE state = 'proposed') FROM found
"""


@transaction.atomic
def member_match_electors(*, constituency, user=None):
    """Match the CLP's unlinked members to electors by name and address. Certain matches (same first
    name, surname and postcode, one such elector) are linked; the rest (several such electors, or the
    same surname at the same address with another first name) are proposed for review.
    Returns (linked, proposed). Running it again finds nothing new."""
    with connection.cursor() as cursor:  # one statement: a 500k-member CLP links as fast as ten
        cursor.execute(_MATCH_SQL, {"clp": constituency.pk})
        linked, proposed = cursor.fetchone()
    audit_record(
        action="members.match_electors",
        user=user,
        constituency=constituency,
        detail={"linked": linked, "proposed": proposed},
    )
    return linked, proposed


@transaction.atomic
def elector_match_decide(*, match, confirm, user):
    """An officer's answer to a proposed match. Confirming links the member and closes their other
    proposals; rejecting means the pair is never proposed again."""
    now = timezone.now()
    if match.state != ElectorMatch.State.PROPOSED:
        raise ValueError("This match has already been decided.")
    if confirm:
        linked = Member.objects.filter(pk=match.member_id, elector=None).update(elector_id=match.elector_id)
        if not linked:
            raise ValueError("This member is already linked to an elector.")
        ElectorMatch.objects.filter(member_id=match.member_id, state=ElectorMatch.State.PROPOSED).exclude(
            pk=match.pk
        ).update(state=ElectorMatch.State.REJECTED, decided_by=user, decided_at=now)
    match.state = ElectorMatch.State.CONFIRMED if confirm else ElectorMatch.State.REJECTED
    match.decided_by, match.decided_at = user, now
    match.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(action="members.match_decide", user=user, obj=match, detail={"confirm": confirm})
    return match
