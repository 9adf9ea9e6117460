"""Inbound email (issue 15, item 3) against a real IMAP server (dovecot, tests/casework/dovecot.py):
the worker's poll files replies to their case and opens new cases in triage, files each message
once, keeps malformed and huge ones with a clear problem, and keeps bodies as escaped text."""

import imaplib

import pytest
from django.urls import reverse

from casework import inbound
from casework.models import Case, Status, TimelineEntry
from casework.models_mail import Attachment, InboundMessage, OfficeMailbox
from tests.casework.factories import case_in
from tests.casework.mail import EXE, PDF, email_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailbox(office, imap_server):
    """Anytown's office connected to the dovecot mailbox, by its lead, through the service."""
    inbound.mailbox_set(
        user=office["lead"],
        office=office["office"],
        host=imap_server.host,
        port=imap_server.port,
        security=OfficeMailbox.Security.NONE,
        username=imap_server.user,
        password=imap_server.password,
    )
    return imap_server


def poll(office):
    return inbound.mailbox_poll(office_id=office["office"].pk)


def test_a_reply_with_the_reference_attaches_to_its_case(anytown, office, mailbox):
    case = case_in(anytown, status=Status.AWAITING_CONSTITUENT)
    mailbox.deliver(
        email_bytes(subject=f"Re: your case {case.reference}", text="Here are the dates you asked for.")
    )
    report = poll(office)
    assert (report.read, report.filed, report.problem) == (1, 1, "")
    entry = TimelineEntry.unscoped.get(case=case, kind=TimelineEntry.Kind.EMAIL_IN)
    assert "Here are the dates you asked for." in entry.text and "ann@example.org" in entry.text
    message = InboundMessage.unscoped.get()
    assert (message.state, message.case, message.entry) == (InboundMessage.State.ATTACHED, case, entry)
    assert Case.unscoped.count() == 1
    # Marked seen after filing, never deleted.
    assert (mailbox.unseen(), mailbox.count()) == (0, 1)


def test_a_reference_in_the_body_attaches_too_and_case_insensitively(anytown, office, mailbox):
    case = case_in(anytown)
    mailbox.deliver(
        email_bytes(subject="Re: roof", text=f"> Our reference: {case.reference.lower()}\nThanks")
    )
    poll(office)
    assert TimelineEntry.unscoped.filter(case=case, kind=TimelineEntry.Kind.EMAIL_IN).count() == 1


def test_a_new_message_opens_a_case_in_triage_with_the_sender_as_constituent(anytown, office, mailbox):
    other = case_in(anytown)
    # A reference of another office's format, or to no case, does not attach.
    mailbox.deliver(
        email_bytes(subject="Noise next door (OTH/1/2026)", sender="Bob Person <Bob@Example.org>")
    )
    report = poll(office)
    assert report.filed == 1
    case = Case.unscoped.exclude(pk=other.pk).get()
    assert (case.status, case.status_class, case.channel) == (Status.TRIAGE, "open", Case.Channel.EMAIL)
    assert (case.name, case.email, case.summary) == (
        "Bob Person",
        "bob@example.org",
        "Noise next door (OTH/1/2026)",
    )
    assert case.elector_id is None  # the register holds no emails: entered fresh
    assert case.owner == office["lead"] and case.office == office["office"]
    assert case.reference_prefix == office["office"].reference_prefix
    assert InboundMessage.unscoped.get().state == InboundMessage.State.OPENED
    assert case.timeline.get().kind == TimelineEntry.Kind.EMAIL_IN


def test_the_same_message_read_twice_is_filed_once(anytown, office, mailbox):
    """A crash after the filing commits and before the message is marked seen: the next poll reads
    it again and skips it (Message-ID is unique per office)."""
    raw = email_bytes(message_id="<one-message@example.org>")
    mailbox.deliver(raw)

    def crash(client, uid):
        raise imaplib.IMAP4.abort("connection lost before marking it seen")

    first = inbound.mailbox_poll(office_id=office["office"].pk, after_filing=crash)
    assert first.filed == 1 and "connection lost" in first.problem
    assert InboundMessage.unscoped.count() == 1 and mailbox.unseen() == 1
    second = poll(office)
    assert (second.read, second.skipped, second.filed) == (1, 1, 0)
    assert mailbox.unseen() == 0
    # A second copy of the same message (same Message-ID) delivered again is skipped too.
    mailbox.deliver(raw)
    assert poll(office).skipped == 1
    assert InboundMessage.unscoped.count() == 1
    assert Case.unscoped.count() == 1 and TimelineEntry.unscoped.count() == 1


def test_malformed_messages_are_kept_with_a_clear_problem(client, anytown, office, mailbox):
    mailbox.deliver(b"this is not an email at all\r\njust some words\r\n")
    mailbox.deliver(b"Subject: Who sent this\r\nMessage-ID: <nofrom@example.org>\r\n\r\nno sender\r\n")
    report = poll(office)
    assert (report.read, report.refused, report.filed) == (2, 2, 0)
    assert Case.unscoped.count() == 0
    kept = {m.subject: m for m in InboundMessage.unscoped.all()}
    assert "it has no email headers" in kept[""].problem
    assert "“Who sent this”" in kept["Who sent this"].problem
    assert "Message-ID <nofrom@example.org>" in kept["Who sent this"].problem
    assert "no valid sender address" in kept["Who sent this"].problem
    assert all(m.state == InboundMessage.State.REFUSED for m in kept.values())
    # Nothing lost: kept as received, shown to the office, and still in the mailbox.
    assert mailbox.count() == 2
    client.force_login(office["worker"])
    page = client.get(reverse("casework:inbox", args=[office["office"].pk])).content.decode()
    assert "no valid sender address" in page and "&lt;nofrom@example.org&gt;" in page
    raw = client.get(reverse("casework:message_raw", args=[kept[""].pk]))
    assert b"".join(raw.streaming_content) == b"this is not an email at all\r\njust some words\r\n"


def test_a_huge_message_is_recorded_from_its_headers_and_left_in_the_mailbox(
    settings, anytown, office, mailbox
):
    settings.CASEWORK_MAX_MESSAGE_BYTES = 4096
    mailbox.deliver(email_bytes(subject="Scans of everything", text="x" * 20000))
    report = poll(office)
    assert (report.read, report.refused) == (1, 1)
    message = InboundMessage.unscoped.get()
    assert message.state == InboundMessage.State.REFUSED and message.raw_file == ""
    assert "“Scans of everything”" in message.problem and "from ann@example.org" in message.problem
    assert "over the limit of 4 KB" in message.problem and "left in the mailbox" in message.problem
    assert message.size > 20000
    assert Case.unscoped.count() == 0 and mailbox.count() == 1


def test_html_and_script_in_a_body_are_sanitised_and_shown_escaped(client, anytown, office, mailbox):
    mailbox.deliver(
        email_bytes(
            subject="<b>Bold</b> subject",
            text=None,
            html='<p>Hello <b>there</b></p><script>alert("x")</script><img src=x onerror="alert(1)">'
            "<style>p{color:red}</style><p>5 &lt; 6 &amp; <i>&lt;script&gt;</i></p>",
        )
    )
    poll(office)
    case = Case.unscoped.get()
    message = InboundMessage.unscoped.get()
    assert "Hello there" in message.body and "alert" not in message.body and "color:red" not in message.body
    assert "5 < 6 & <script>" in message.body  # text, as the sender wrote it
    client.force_login(office["lead"])
    page = client.get(reverse("casework:case", args=[case.pk])).content.decode()
    assert "5 &lt; 6 &amp; &lt;script&gt;" in page and "<script>" not in page.split("<main", 1)[-1]
    assert "&lt;b&gt;Bold&lt;/b&gt; subject" in page


def test_attachments_in_an_email_are_checked_and_kept_outside_the_web_root(
    settings, anytown, office, mailbox, casework_files
):
    settings.CASEWORK_MAX_ATTACHMENT_BYTES = 2048
    case = case_in(anytown)
    mailbox.deliver(
        email_bytes(
            subject=f"Re: {case.reference}",
            files=[
                ("letter.pdf", PDF, "application", "pdf"),
                ("invoice.pdf", EXE, "application", "pdf"),
                ("big.pdf", PDF + b"0" * 4096, "application", "pdf"),
            ],
        )
    )
    poll(office)
    kept = Attachment.unscoped.get()
    assert (kept.case, kept.filename, kept.kind, kept.size) == (case, "letter.pdf", "pdf", len(PDF))
    path = casework_files / kept.stored_as
    assert path.read_bytes() == PDF and "letter" not in kept.stored_as
    assert str(settings.STATIC_ROOT) not in str(path)
    message = InboundMessage.unscoped.get()
    assert "“invoice.pdf” is not a type of file casework keeps" in message.problem
    assert "“big.pdf” is 4 KB, over the limit of 2 KB" in message.problem
    entry = TimelineEntry.unscoped.get(case=case)
    assert "Attachment refused: “invoice.pdf”" in entry.text
    assert message.raw_file  # the whole message, refused attachments too, is kept as received


def test_the_poll_says_why_when_the_mailbox_refuses_the_password(anytown, office, imap_server):
    inbound.mailbox_set(
        user=office["lead"], office=office["office"], host=imap_server.host, port=imap_server.port,
        security=OfficeMailbox.Security.NONE, username=imap_server.user, password="wrong",
    )  # fmt: skip
    report = poll(office)
    assert "refused the user name or password" in report.problem
    assert OfficeMailbox.objects.get().problem == report.problem


@pytest.mark.parametrize(
    ("security", "port"),
    [(OfficeMailbox.Security.SSL, "tls_port"), (OfficeMailbox.Security.STARTTLS, "port")],
)
def test_tls_mailboxes_are_read_only_with_a_certificate_the_machine_trusts(
    monkeypatch, anytown, office, imap_tls_server, security, port
):
    server = imap_tls_server
    inbound.mailbox_set(
        user=office["lead"], office=office["office"], host=server.host, port=getattr(server, port),
        security=security, username=server.user, password=server.password,
    )  # fmt: skip
    server.deliver(email_bytes(subject="Over TLS"))
    refused = poll(office)
    assert "certificate verify failed" in refused.problem and refused.read == 0
    assert server.unseen() == 1 and not InboundMessage.unscoped.exists()
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))  # now the machine trusts it
    report = poll(office)
    assert (report.filed, report.problem) == (1, "")
    assert InboundMessage.unscoped.get().subject == "Over TLS" and server.unseen() == 0


def test_the_worker_polls_the_mailbox(anytown, office, mailbox, celery_worker):
    from casework import tasks

    case = case_in(anytown)
    mailbox.deliver(email_bytes(subject=f"Re: {case.reference}", text="Sent while the worker runs"))
    tasks.mailboxes_poll.delay()
    celery_worker.wait_for(lambda: InboundMessage.unscoped.exists() and mailbox.unseen() == 0)
    assert TimelineEntry.unscoped.get(case=case).text.endswith("Sent while the worker runs")


def test_the_beat_polls_mailboxes(settings):
    from labourhub.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["casework-mailbox-poll"]
    assert entry["task"] == "casework.tasks.mailboxes_poll" and entry["task"] in app.tasks
