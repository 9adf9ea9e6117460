"""Inbound email for casework (issue 15, item 3): read from the office's mailbox by the worker, or
uploaded as .eml files, and filed.

Filing (`message_file`): a message whose subject or body carries one of the office's case
references (PREFIX/seq/year, e.g. ANY/12/2026) goes on that case's timeline as an email received;
anything else opens a new case in triage, channel email, with the sender as the constituent
(matched to the register by email only where the register holds emails: ours does not, so the
sender is entered fresh). The body kept is the plain-text part, or else the HTML part stripped to
text by nh3 (a maintained sanitiser), and pages always render it escaped. Attachments are checked
and stored by casework/attachments.py; a refused one is named in the message's problem and on the
timeline, and the whole raw message is kept so nothing is lost.

A message that cannot be filed (malformed: no sender, no headers; or over
CASEWORK_MAX_MESSAGE_BYTES) is kept as a row with its problem, for the office to see; a huge one
is recorded from its headers and left in the mailbox.

Polling (`mailbox_poll`): UNSEEN messages are fetched without marking them (BODY.PEEK), each is
filed in its own transaction, and only after that commits is it flagged \\Seen. A crash between the
two leaves it unseen; the next poll reads it again and skips it, because Message-ID is unique per
office. Nothing is ever deleted from the mailbox.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime
import email
import email.policy
import email.utils
import hashlib
import html
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import nh3
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When
from django.utils import timezone

from casework import attachments
from casework.models import (
    STATUS_CLASS,
    Case,
    CaseAssignment,
    Office,
    OfficeMembership,
    Status,
    TimelineEntry,
)
from casework.models_mail import InboundMessage, OfficeMailbox
from casework.services import _next_seq
from labourhub.services import audit_record

if TYPE_CHECKING:
    from email.message import EmailMessage

    from labourhub.models import User

log = logging.getLogger(__name__)

TIMELINE_TEXT_LIMIT = 20000
IMAP_TIMEOUT_SECONDS = 30


# --- The mailbox's password, encrypted at rest ------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(b"casework-mailbox-password:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def password_encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode("ascii")


def password_decrypt(token: str) -> str:
    """The stored password; a ValueError if it cannot be read (SECRET_KEY changed since)."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise ValueError(
            "The stored mailbox password cannot be read (the site's SECRET_KEY has changed): enter it again."
        ) from exc


@transaction.atomic
def mailbox_set(
    *,
    user: User,
    office: Office,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str = "",
    folder: str = "INBOX",
    enabled: bool = True,
) -> OfficeMailbox:
    """Connect (or change) the office's mailbox. Only the office lead may. A blank password keeps
    the stored one."""
    membership = OfficeMembership.objects.in_force_for(user).filter(office=office).first()
    if membership is None or membership.role != OfficeMembership.Role.LEAD:
        raise ValidationError("Only the office lead connects the office's mailbox.")
    mailbox = OfficeMailbox.objects.filter(office=office).first() or OfficeMailbox(office=office)
    if not password and not mailbox.password_encrypted:
        raise ValidationError({"password": "Enter the mailbox's password."})
    mailbox.host, mailbox.port, mailbox.security = host.strip(), port, OfficeMailbox.Security(security)
    mailbox.username, mailbox.folder, mailbox.enabled = username.strip(), folder.strip() or "INBOX", enabled
    if password:
        mailbox.password_encrypted = password_encrypt(password)
    mailbox.problem = ""
    mailbox.save()
    audit_record(
        action="casework.mailbox_set",
        user=user,
        detail={"office": office.pk, "mailbox": mailbox.pk, "password_changed": bool(password)},
    )
    return mailbox


# --- Reading a message ------------------------------------------------------------------------


@dataclasses.dataclass
class Parsed:
    message_id: str
    from_address: str = ""
    from_name: str = ""
    subject: str = ""
    body: str = ""
    sent_at: datetime.datetime | None = None
    files: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)
    problem: str = ""


def html_to_text(markup: str) -> str:
    """An HTML body as plain text: tags (and scripts and styles with their content) removed by
    nh3, entities read back. The result is text, which every page escapes."""
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)\s*>", "\n", markup)
    text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "title"})
    return html.unescape(text)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _synthetic_id(raw: bytes) -> str:
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@labourhub.invalid>"


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError, LookupError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, TypeError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return _tidy(content)


def _files(message: EmailMessage) -> list[tuple[str, bytes]]:
    found = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        name = part.get_filename() or f"attachment-{number}"
        found.append((str(name), payload))
    return found


def parse_message(raw: bytes) -> Parsed:
    """What LabourHub keeps of a message. `problem` says why it cannot be filed, if it cannot."""
    try:
        message: Any = email.message_from_bytes(raw, policy=email.policy.default)
        headers = list(message.keys())
    except Exception as exc:  # noqa: BLE001 (the parser's failures are many; each becomes a problem)
        return Parsed(message_id=_synthetic_id(raw), problem=f"it cannot be read as an email ({exc}).")
    message_id = _header(message, "Message-ID")[:998] or _synthetic_id(raw)
    parsed = Parsed(message_id=message_id, subject=_header(message, "Subject")[:300])
    if not headers:
        parsed.problem = "it has no email headers (it is not an email message)."
        return parsed
    name, address = email.utils.parseaddr(_header(message, "From"))
    parsed.from_name = name.strip()[:200]
    try:
        validate_email(address)
    except ValidationError:
        parsed.problem = "it has no valid sender address (its From line is missing or unreadable)."
        parsed.from_address = address[:254]
        return parsed
    parsed.from_address = address.lower()[:254]
    try:
        sent = email.utils.parsedate_to_datetime(_header(message, "Date"))
        parsed.sent_at = sent if timezone.is_aware(sent) else timezone.make_aware(sent, datetime.UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed.sent_at = None
    try:
        parsed.body = _body(message)
        parsed.files = _files(message)
    except Exception as exc:  # noqa: BLE001 (a broken MIME structure is a problem to show, not a crash)
        parsed.problem = f"its parts cannot be read ({exc.__class__.__name__}: {exc})."
    return parsed


def describe(parsed: Parsed, size: int | None = None) -> str:
    """How a message is named in an error: its subject, sender and Message-ID."""
    bits = [f"“{parsed.subject}”" if parsed.subject else "(no subject)"]
    if parsed.from_address:
        bits.append(f"from {parsed.from_address}")
    bits.append(f"Message-ID {parsed.message_id}")
    if size is not None:
        bits.append(_size(size))
    return "the message " + ", ".join(bits)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


# --- Filing -----------------------------------------------------------------------------------


def reference_pattern(office: Office) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![A-Za-z]){re.escape(office.reference_prefix)}\s*/\s*(\d{{1,9}})\s*/\s*(\d{{4}})(?!\d)",
        re.IGNORECASE,
    )


def find_case(office: Office, parsed: Parsed) -> Case | None:
    """The office's case whose reference the subject (first) or body carries, if any."""
    pattern = reference_pattern(office)
    for text in (parsed.subject, parsed.body):
        for seq, year in pattern.findall(text):
            case = Case.unscoped.filter(
                office=office,
                reference_prefix=office.reference_prefix,
                reference_seq=int(seq),
                reference_year=int(year),
            ).first()
            if case is not None:
                return case
    return None


def _owner_for_new_case(office: Office) -> User | None:
    """Who owns a case opened by an email from the mailbox: the office lead (the longest-serving
    one in force), else the longest-serving caseworker who sees all cases, else any in force."""
    memberships = (
        OfficeMembership.objects.active()
        .filter(office=office)
        .select_related("user")
        .annotate(
            rank=When_(
                When(role=OfficeMembership.Role.LEAD, then=Value(0)),
                When(sees=OfficeMembership.Sees.ALL, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "started_at", "pk")
    )
    for membership in memberships:
        if OfficeMembership.objects.in_force_for(membership.user).filter(office=office).exists():
            return membership.user
    return None


def _elector_by_email(office: Office, address: str) -> Any:
    """The elector on the office area's register with this email, where the register holds
    emails. The electoral register carries none (voters.Elector has no email field), so a sender is
    entered fresh; this is where matching goes if it ever does."""
    from voters.models import Elector

    if "email" not in {f.name for f in Elector._meta.get_fields()}:
        return None
    found = list(
        Elector.unscoped.filter(
            polling_district__constituency=office.constituency, **{"email__iexact": address}
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def _timeline_text(parsed: Parsed, refused: list[str]) -> str:
    head = (
        f"From: {parsed.from_name} <{parsed.from_address}>"
        if parsed.from_name
        else f"From: {parsed.from_address}"
    )
    text = f"{head}\nSubject: {parsed.subject or '(no subject)'}\n\n{parsed.body or '(no text)'}"
    if len(text) > TIMELINE_TEXT_LIMIT:
        text = text[:TIMELINE_TEXT_LIMIT] + "\n… (the rest is in the message as received)"
    if refused:
        text += "\n\n" + "\n".join(refused)
    return text


@dataclasses.dataclass
class Filed:
    message: InboundMessage
    created: bool  # False: the same Message-ID was filed before, nothing was done


def message_file(
    *,
    office: Office,
    raw: bytes,
    source: str,
    user: User | None = None,
    size: int | None = None,
) -> Filed:
    """File one message (see the module docstring), in one transaction. `user` is the caseworker
    uploading it (None from the mailbox). `size` is the size the mailbox reports, when `raw` is only
    the headers of a message too big to fetch. Never raises for a bad message: it is kept, refused,
    with its problem."""
    size = len(raw) if size is None else size
    limit = settings.CASEWORK_MAX_MESSAGE_BYTES
    parsed = parse_message(raw if size <= limit else raw[:65536])
    if user is not None and not OfficeMembership.objects.in_force_for(user).filter(office=office).exists():
        raise ValidationError("You are not a caseworker of this office.")
    existing = InboundMessage.unscoped.filter(office=office, message_id=parsed.message_id).first()
    if existing is not None:
        return Filed(existing, created=False)
    if size > limit:
        parsed.problem = f"it is {_size(size)}, over the limit of {_size(limit)} for a message" + (
            "; it is left in the mailbox, not filed."
            if source == InboundMessage.Source.MAILBOX
            else "; not filed."
        )
    raw_file = attachments.store_bytes(raw, office_id=office.pk, suffix=".eml") if size <= limit else ""
    try:
        with transaction.atomic():
            message = _file(
                office=office, parsed=parsed, source=source, user=user, size=size, raw_file=raw_file
            )
    except IntegrityError:
        # Filed meanwhile by another poll or upload of the same message: that one stands.
        if raw_file:
            attachments.stored_path(raw_file).unlink(missing_ok=True)
        existing = InboundMessage.unscoped.filter(office=office, message_id=parsed.message_id).first()
        if existing is None:
            raise
        return Filed(existing, created=False)
    except BaseException:
        if raw_file:
            attachments.stored_path(raw_file).unlink(missing_ok=True)
        raise
    return Filed(message, created=True)


def _file(
    *, office: Office, parsed: Parsed, source: str, user: User | None, size: int, raw_file: str
) -> InboundMessage:
    message = InboundMessage.unscoped.create(
        office=office,
        message_id=parsed.message_id,
        source=InboundMessage.Source(source),
        state=InboundMessage.State.REFUSED,
        problem=f"Not filed: {describe(parsed)}: {parsed.problem}" if parsed.problem else "",
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        subject=parsed.subject,
        body=parsed.body,
        sent_at=parsed.sent_at,
        size=size,
        raw_file=raw_file,
        uploaded_by=user,
    )
    if parsed.problem:
        _audit_message("casework.message_refused", user=user, message=message)
        return message
    case = find_case(office, parsed)
    if case is None:
        owner = user or _owner_for_new_case(office)
        if owner is None:
            message.problem = (
                f"Not filed: {describe(parsed)}: the office has no caseworker in post to own a new case."
            )
            message.save(update_fields=["problem"])
            _audit_message("casework.message_refused", user=user, message=message)
            return message
        case = _case_open_from_email(office=office, parsed=parsed, owner=owner)
        message.state = InboundMessage.State.OPENED
    else:
        message.state = InboundMessage.State.ATTACHED
    refused = []
    for filename, data in parsed.files:
        try:
            attachments.attachment_add(case=case, filename=filename, data=data, message=message)
        except ValidationError as error:
            refused.append("Attachment refused: " + " ".join(error.messages))
    entry = TimelineEntry.unscoped.create(
        case=case,
        kind=TimelineEntry.Kind.EMAIL_IN,
        author=user or case.owner,
        at=parsed.sent_at or timezone.now(),
        text=_timeline_text(parsed, refused),
    )
    Case.unscoped.filter(pk=case.pk).update(updated_at=timezone.now())
    message.case, message.entry, message.problem = case, entry, "\n".join(refused)
    message.save(update_fields=["case", "entry", "state", "problem"])
    _audit_message("casework.message_file", user=user, message=message)
    return message


def _case_open_from_email(*, office: Office, parsed: Parsed, owner: User) -> Case:
    today = timezone.localdate()
    elector = _elector_by_email(office, parsed.from_address)
    case = Case.unscoped.create(
        office=office,
        reference_prefix=office.reference_prefix,
        reference_year=today.year,
        reference_seq=_next_seq(office, today.year),
        elector=elector,
        name=(parsed.from_name or parsed.from_address)[:200],
        email=parsed.from_address,
        channel=Case.Channel.EMAIL,
        summary=(parsed.subject or "Email with no subject")[:300],
        owner=owner,
        status=Status.TRIAGE,
        status_class=STATUS_CLASS[Status.TRIAGE],
        opened_on=today,
    )
    CaseAssignment.unscoped.create(case=case, user=owner)
    return case


def _audit_message(action: str, *, user: User | None, message: InboundMessage) -> None:
    # Ids only, no area (as casework/services.py): no CLP audit page learns of casework.
    audit_record(
        action=action,
        user=user,
        detail={
            "message": message.pk,
            "office": message.office_id,
            "case": message.case_id,
            "state": message.state,
        },
    )


# --- Polling the mailbox ----------------------------------------------------------------------


class MailboxError(Exception):
    """The mailbox could not be read: the message says what and where."""


def _connect(mailbox: OfficeMailbox) -> imaplib.IMAP4:
    where = f"{mailbox.host}:{mailbox.port}"
    try:
        password = password_decrypt(mailbox.password_encrypted)
    except ValueError as exc:
        raise MailboxError(str(exc)) from exc
    try:
        if mailbox.security == OfficeMailbox.Security.SSL:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                mailbox.host,
                mailbox.port,
                ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT_SECONDS,
            )
        else:
            client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS)
            if mailbox.security == OfficeMailbox.Security.STARTTLS:
                client.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailboxError(f"Could not connect to the mailbox at {where}: {exc}") from exc
    try:
        client.login(mailbox.username, password)
    except imaplib.IMAP4.error as exc:
        _logout(client)
        raise MailboxError(
            f"The mailbox at {where} refused the user name or password for {mailbox.username}."
        ) from exc
    status, _ = client.select(_quote(mailbox.folder))
    if status != "OK":
        _logout(client)
        raise MailboxError(f"The mailbox at {where} has no folder {mailbox.folder!r}.")
    return client


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def _fetch(client: imaplib.IMAP4, uid: bytes, what: str) -> list[Any]:
    status, data = client.uid("FETCH", uid.decode(), what)
    if status != "OK":
        raise MailboxError(f"The mailbox would not give message {uid.decode()} ({what}).")
    return data


def _size_of(client: imaplib.IMAP4, uid: bytes) -> int:
    data = _fetch(client, uid, "(RFC822.SIZE)")
    match = re.search(
        rb"RFC822\.SIZE (\d+)", b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d)
    )
    return int(match.group(1)) if match else 0


def _content(client: imaplib.IMAP4, uid: bytes, section: str) -> bytes:
    for item in _fetch(client, uid, f"(BODY.PEEK[{section}])"):
        if isinstance(item, tuple):
            return bytes(item[1])
    raise MailboxError(f"The mailbox gave no content for message {uid.decode()}.")


def mark_seen(client: imaplib.IMAP4, uid: bytes) -> None:
    client.uid("STORE", uid.decode(), "+FLAGS", "(\\Seen)")


@dataclasses.dataclass
class PollReport:
    read: int = 0
    filed: int = 0
    skipped: int = 0  # already filed (a re-read)
    refused: int = 0
    problem: str = ""


def mailbox_poll(
    *, office_id: int, after_filing: Callable[[imaplib.IMAP4, bytes], None] = mark_seen
) -> PollReport:
    """Read the office's UNSEEN messages and file each; see the module docstring. Runs outside a
    transaction: each message is committed before it is marked seen (`after_filing`)."""
    if connection.in_atomic_block:
        raise RuntimeError(
            "mailbox_poll marks a message seen only after its filing commits: call it outside a transaction."
        )
    report = PollReport()
    mailbox = OfficeMailbox.objects.select_related("office").filter(office_id=office_id, enabled=True).first()
    if mailbox is None:
        return report
    with connection.cursor() as cursor:  # one poll of an office at a time (the beat may overlap a slow one)
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [15_003, office_id])
        if not cursor.fetchone()[0]:
            return report
    try:
        _poll(mailbox, report, after_filing)
    except (TimeoutError, MailboxError, OSError, imaplib.IMAP4.error) as exc:
        report.problem = (
            str(exc)[:500] if isinstance(exc, MailboxError) else f"Reading the mailbox failed: {exc}"[:500]
        )
        log.warning("casework mailbox of office %s: %s", office_id, report.problem)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [15_003, office_id])
    mailbox.polled_at, mailbox.problem = timezone.now(), report.problem
    mailbox.save(update_fields=["polled_at", "problem"])
    return report


def _poll(
    mailbox: OfficeMailbox, report: PollReport, after_filing: Callable[[imaplib.IMAP4, bytes], None]
) -> None:
    client = _connect(mailbox)
    try:
        status, data = client.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise MailboxError(
                f"The mailbox at {mailbox.host}:{mailbox.port} would not list unseen messages."
            )
        for uid in (data[0] or b"").split():
            report.read += 1
            size = _size_of(client, uid)
            if size > settings.CASEWORK_MAX_MESSAGE_BYTES:
                raw = _content(client, uid, "HEADER")
            else:
                raw = _content(client, uid, "")
            filed = message_file(
                office=mailbox.office, raw=raw, source=InboundMessage.Source.MAILBOX, size=size
            )
            if not filed.created:
                report.skipped += 1
            elif filed.message.state == InboundMessage.State.REFUSED:
                report.refused += 1
            else:
                report.filed += 1
            after_filing(client, uid)  # committed: now it may be marked seen
    finally:
        _logout(client)


def mailboxes_poll() -> list[PollReport]:
    """Poll every enabled office mailbox (the beat's task)."""
    ids = list(OfficeMailbox.objects.filter(enabled=True).values_list("office_id", flat=True))
    return [mailbox_poll(office_id=office_id) for office_id in ids]
