"""Building member email messages: the MIME bytes of each recipient's copy.

Over SMTP the message is built once per batch with placeholders, and each recipient's copy is made by
replacing them in the bytes with a regex (building a MIME message per recipient costs more than sending
it). The prebuilt bytes are only used when they can be filled in safely (placeholders intact in the
headers, no quoted-printable or base64 parts, short lines); otherwise, and for recipients whose header
values are not plain ASCII, and for other backends (console, locmem), Django builds the message in full.
`members.sending` sends what this builds.
"""

import re
from html import escape as html_escape

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.urls import reverse

from members import email_content


def from_address(send):
    name = f"{send.constituency.name} Labour".replace('"', "")
    return f'"{name}" <{settings.MEMBER_EMAIL_FROM}>'


class Composer:
    """Builds each recipient's message from the send's template, prepared once per batch.

    Over SMTP the message is built once with placeholders and each recipient's copy is made by
    replacing them in the bytes (building a MIME message per recipient costs more than sending it).
    Recipients whose header values are not plain ASCII, and other backends (console, locmem), get a
    message built in full by Django.
    """

    _PLACEHOLDER = re.compile(rb"lh([sth])(\d+)q|lhidq|lhtokq|lhtoq@lhto\.invalid")

    def __init__(self, send, *, template, merge_values, unsubscribe_salt):
        self.send = send
        self.template = template
        self.merge_values = merge_values
        self.signer = signing.Signer(salt=unsubscribe_salt)
        self.unsubscribe_url = settings.SITE_URL + reverse("members:unsubscribe", args=["TOKEN"])
        self.from_email = from_address(send)
        self.domain = settings.MEMBER_EMAIL_FROM.rsplit("@", 1)[-1]
        self.fields = list(email_content.TEMPLATE_FIELDS)
        self._prebuilt = None

    def send_one(self, row, backend):
        data = self._bytes(row) if isinstance(backend, SmtpBackend) and backend.connection else None
        if data is None:
            backend.send_messages([self.message(row, backend)])
        else:
            backend.connection.sendmail(settings.MEMBER_EMAIL_FROM, [row.email], data)

    def message(self, row, backend=None):
        values = self._values(row)
        subject, text, html = self.template.render(values)
        return self._build(subject, text, html, row.email, row.id, values["token"], backend)

    def _values(self, row):
        token = self.signer.sign(str(row.id))
        values = self.merge_values(
            send=self.send,
            first_name=row.first_name,
            last_name=row.last_name,
            membership_number=row.membership_number,
            branch=row.branch,
            ward=row.ward,
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
        headers = [
            row.email,
            *(values[name] for name in self.fields if f"{{{{{name}}}}}" in self.send.subject),
        ]
        if not self._prebuilt or not all(v.isascii() and "\n" not in v and "\r" not in v for v in headers):
            return None
        escape = {"s": email_content.one_line, "t": str, "h": html_escape}

        def replace(match):
            token = match.group(0)
            if token == b"lhidq":
                return str(row.id).encode()
            if token == b"lhtokq":
                return values["token"].encode()
            if token.startswith(b"lhtoq"):
                return row.email.encode()
            part, index = match.group(1).decode(), int(match.group(2))
            return escape[part](values[self.fields[index]]).encode()

        return self._PLACEHOLDER.sub(replace, self._prebuilt)
