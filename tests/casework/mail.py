"""Emails for the inbound tests, built as a constituent's mail program would send them."""

import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def email_bytes(
    *,
    subject="Help with my housing",
    sender="Ann Example <ann@example.org>",
    text="My landlord has not fixed the roof.",
    html=None,
    files=(),
    message_id=None,
    to="office@anytown-office.example",
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC))
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)
