"""The fast path of member email: planning a send's rows in one statement, claiming a batch's rows,
sending them over one SMTP connection and marking each one sent (the messages are built by
`members.mime`). Business decisions (what a refusal
means, who gets a contact record, when a send pauses) stay in `members.services`, which calls this.

Delivery guarantee. A row is marked sent in its own commit, with the server's default
`synchronous_commit = on`, so a mark Postgres acknowledged survives a crash of Postgres too. The mark of
message N is flushed to Postgres before message N+1 goes to the SMTP server, and its acknowledgement is
read before the mark of message N+1 (so the commit's disk flush overlaps the next SMTP exchange). Hence:
- a worker killed at any moment repeats at most one message: the one the SMTP server was taking (a
  flushed mark is a complete statement that Postgres commits even if the client is gone);
- a Postgres crash repeats at most two messages per batch being sent at that moment: the one whose mark
  had not been acknowledged yet, and the one the SMTP server was taking.
Nobody is skipped: unsent rows stay "sending" or "queued" and are claimed again by the next worker.

Ruff's S608 (SQL built from strings) is off for this file only (pyproject.toml): every statement here is
a constant, except that planning formats in the audience's SQL, which Django compiled from a queryset
(no user text in it: its values are passed separately as parameters). All values, including the states
(taken from EmailRecipient.State), are passed as query parameters.
"""

import contextlib
import select
import smtplib
import time
from typing import NamedTuple

import psycopg
from django.db import OperationalError, connection
from psycopg import pq

from members.models import EmailRecipient

State = EmailRecipient.State

# A worker holds this session-level advisory lock on a batch while it sends it. Postgres drops the
# lock the moment the worker's connection dies, so "locked" means "a live worker is on it".
BATCH_LOCK_NAMESPACE = 0x4D454D  # "MEM"


class Row(NamedTuple):
    """One claimed recipient, with what its message needs."""

    id: int
    email: str
    state: str
    first_name: str
    last_name: str
    membership_number: str
    branch: str | None
    ward: str | None
    elector_id: int | None


class ConnectionLost(Exception):
    """The SMTP server went away or refused us: the rest of the batch waits until it is back.
    `sent`: how many messages of the batch the server took before."""

    sent = 0


class Planned(NamedTuple):
    recipients: int
    skipped_by_cap: int
    batches: int


# One row per member of the audience not over the weekly cap, numbered into batches, in one statement.
_PLAN_SQL = """
WITH audience AS ({audience}),
recent AS (
    SELECT r.member_id FROM members_emailrecipient r
    JOIN members_emailsend s ON s.id = r.send_id
    WHERE s.constituency_id = %s AND r.planned_at >= %s AND r.state NOT IN (%s, %s)
    GROUP BY r.member_id HAVING count(*) >= %s
),
eligible AS (
    SELECT a.id, a.email, (a.id IN (SELECT member_id FROM recent)) AS capped FROM audience a
),
planned AS (
    INSERT INTO members_emailrecipient
        (send_id, member_id, email, batch_number, planned_at, state, attempts, last_error)
    SELECT %s, e.id, e.email, (row_number() OVER (ORDER BY e.id) - 1) / %s, %s, %s, 0, ''
    FROM eligible e WHERE NOT e.capped
    RETURNING batch_number
)
SELECT (SELECT count(*) FROM planned), (SELECT count(*) FROM eligible WHERE capped),
       (SELECT coalesce(max(batch_number) + 1, 0) FROM planned)
"""


def plan(*, send, audience_sql, audience_params, cap_since, batch_size, now):
    """Write the send's recipient rows and batches (call inside the planning transaction).

    `audience_sql` is the SQL Django compiled for the audience queryset (`Query.sql_with_params()`):
    it is the one piece formatted into the statement, and its values come as `audience_params`.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _PLAN_SQL.format(audience=audience_sql),
            [
                *audience_params,
                send.constituency_id,
                cap_since,
                State.FAILED,  # failed and never-sent rows do not count towards the cap
                State.CANCELLED,
                send.frequency_cap,
                send.pk,
                batch_size,
                now,
                State.QUEUED,
            ],
        )
        planned = Planned(*cursor.fetchone())
        cursor.execute(
            "INSERT INTO members_emailbatch (send_id, number, enqueued_at, failures) "
            "SELECT %s, n, %s, 0 FROM generate_series(0, %s - 1) AS n",
            [send.pk, now, planned.batches],
        )
    return planned


def batch_lock(batch_id):
    """Take the batch's lock for this connection's life; False if a live worker has it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s::int)", [BATCH_LOCK_NAMESPACE, batch_id])
        return cursor.fetchone()[0]


def batch_unlock(batch_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s::int)", [BATCH_LOCK_NAMESPACE, batch_id])


# Claim every unsent row of the batch in one statement. Rows still "sending" belong to a worker that
# died (we hold the batch lock), so they are claimed again; of those, only the messages that were in
# flight when it died can have reached the SMTP server already. Members who withdrew consent or
# bounced since planning are failed instead of claimed.
_CLAIM_SQL = """
UPDATE members_emailrecipient r
SET state = CASE WHEN m.consent_email AND m.email_bounced_at IS NULL THEN %(sending)s ELSE %(failed)s END,
    last_error = CASE WHEN m.consent_email AND m.email_bounced_at IS NULL THEN r.last_error
                      ELSE 'Unsubscribed or bounced before it was sent' END
FROM members_member m
LEFT JOIN labourhub_branch b ON b.id = m.branch_id
LEFT JOIN labourhub_ward w ON w.id = m.ward_id
WHERE r.id IN (
    SELECT id FROM members_emailrecipient
    WHERE send_id = %(send)s AND batch_number = %(number)s AND state IN (%(queued)s, %(sending)s)
    FOR UPDATE SKIP LOCKED
) AND m.id = r.member_id
RETURNING r.id, r.email, r.state, m.first_name, m.last_name, m.membership_number, b.name, w.name,
          m.elector_id
"""


def claim(*, send_id, batch_number):
    """Claim the batch's unsent rows (call inside a transaction); returns the rows to send, by id."""
    params = {
        "send": send_id,
        "number": batch_number,
        "queued": State.QUEUED,
        "sending": State.SENDING,
        "failed": State.FAILED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        rows = [Row(*values) for values in cursor.fetchall()]
    return sorted(row for row in rows if row.state == State.SENDING)


# Unfinished batches that no live worker holds (no one has their lock) and whose task is gone: a worker
# had taken them (a heartbeat), or they were queued longer ago than `stale`, or their send resumes
# after a pause. Batches waiting for a retry, or of a paused send, are left alone.
_ORPHANED_BATCHES_SQL = """
SELECT b.id FROM members_emailbatch b
JOIN members_emailsend s ON s.id = b.send_id
WHERE b.finished_at IS NULL
  AND (
      b.send_id = ANY(%(resumed)s)
      OR (b.retry_at IS NULL AND s.paused_at IS NULL
          AND (b.heartbeat_at IS NOT NULL OR b.enqueued_at IS NULL OR b.enqueued_at < %(stale)s))
  )
  AND NOT EXISTS (
      SELECT 1 FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %(namespace)s AND l.objid = b.id
        AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  )
"""


def orphaned_batch_ids(*, stale, resumed_send_ids=()):
    params = {"stale": stale, "namespace": BATCH_LOCK_NAMESPACE, "resumed": list(resumed_send_ids)}
    with connection.cursor() as cursor:
        cursor.execute(_ORPHANED_BATCHES_SQL, params)
        return [batch_id for (batch_id,) in cursor.fetchall()]


_MARK_SENT_SQL = (
    b"UPDATE members_emailrecipient SET state = $2, sent_at = now(), attempts = attempts + 1, "
    b"last_error = '' WHERE id = $1"
)


class SentMarker:
    """Marks rows sent without waiting for Postgres's answer before the next SMTP exchange.

    Each mark is a complete statement of its own (libpq sends it with a Sync, so the server commits it
    even if this process dies right after) and is flushed to the socket before the next message goes to
    the SMTP server. Its answer (sent once the commit is on disk) is read just before the next mark, or
    before any other query.
    """

    def __init__(self):
        connection.ensure_connection()
        self.pgconn = connection.connection.pgconn
        self.pending = False
        self.sent_state = State.SENT.value.encode()

    def mark(self, recipient_id):
        self.wait()
        try:
            self.pgconn.send_query_params(_MARK_SENT_SQL, [str(recipient_id).encode(), self.sent_state])
            while self.pgconn.flush():
                select.select([], [self.pgconn.socket], [])
        except psycopg.Error as error:  # Postgres went away: Django's error, so the task retries
            raise OperationalError(f"Could not mark a member email sent: {error}") from error
        self.pending = True

    def wait(self):
        if not self.pending:
            return
        self.pending = False
        failed = None
        try:
            result = self.pgconn.get_result()
            while result is not None:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    failed = str(result.get_error_message())
                result = self.pgconn.get_result()
        except psycopg.Error as error:
            failed = str(error)
        if failed or self.pgconn.status != pq.ConnStatus.OK:
            raise OperationalError(f"Could not mark a member email sent: {failed or 'connection lost'}")


# How often a worker asks whether its send was stopped: at most this many seconds of messages go
# after someone presses Stop.
STOP_CHECK_SECONDS = 1.0


def deliver(*, rows, composer, backend, rate, refused, sent, heartbeat, stopped=None):
    """Send `rows` over `backend` (opened here), marking each sent as soon as the server takes it.

    `refused(row, code, reason)` is called for a recipient the server refused and returns True when the
    row waits for a retry; `sent(row)` after a row's mark is confirmed, for rows matched to the register;
    `heartbeat()` every 100 messages; `stopped()` (if given) about every STOP_CHECK_SECONDS, and the
    rest of the rows are left unsent when it answers True. Raises ConnectionLost when the server is
    unreachable or goes away.
    Returns (messages sent, whether any row waits for a retry).
    """
    pace = 1 / rate if rate else 0
    count, deferred = 0, False
    marker = SentMarker()
    started = last_stop_check = time.monotonic()
    try:
        try:
            backend.open()  # one connection for the whole batch
        except (smtplib.SMTPException, OSError) as error:
            raise ConnectionLost(smtp_reason(error)) from error
        for number, row in enumerate(rows, start=1):
            if stopped is not None and time.monotonic() - last_stop_check >= STOP_CHECK_SECONDS:
                marker.wait()  # the connection's one query at a time
                if stopped():
                    break
                last_stop_check = time.monotonic()
            if pace:
                time.sleep(max(0.0, started + number * pace - time.monotonic()))
            try:
                composer.send_one(row, backend)
            except smtplib.SMTPRecipientsRefused as error:
                marker.wait()
                code, reason = next(iter(error.recipients.values()))
                deferred |= refused(row, code, reason)
                continue
            except smtplib.SMTPResponseException as error:
                marker.wait()
                if error.smtp_code == 421:  # the server is closing the connection
                    raise ConnectionLost(smtp_reason(error)) from error
                deferred |= refused(row, error.smtp_code, error.smtp_error)
                continue
            except (ValueError, UnicodeError) as error:  # an address Python cannot even encode
                marker.wait()
                refused(row, 553, str(error))
                continue
            except (smtplib.SMTPException, OSError) as error:
                raise ConnectionLost(smtp_reason(error)) from error
            marker.mark(row.id)
            count += 1
            if row.elector_id is not None:  # matched to the register: the voter's history shows it
                marker.wait()
                sent(row)
            if number % 100 == 0:
                marker.wait()
                heartbeat()
        marker.wait()
    except ConnectionLost as lost:
        marker.wait()
        lost.sent = count
        raise
    finally:
        close_quietly(backend)
    return count, deferred


def close_quietly(backend):
    with contextlib.suppress(smtplib.SMTPException, OSError):
        backend.close()


def smtp_reason(error):
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"[:500]
    return f"{error.__class__.__name__}: {error}"[:500]
