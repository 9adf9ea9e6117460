import pytest
from django.utils import timezone

from labourhub.models import Role
from members.models import EmailSend
from members.services import email_send_save
from tests.members.factories import MemberFactory
from tests.postgres_crash import crashable_postgres  # noqa: F401 (a fixture for crash tests)


@pytest.fixture
def anytown_members(anytown):
    """Three Anytown members who agreed to email, one who did not, one with no address."""
    make = MemberFactory
    return {
        "ann": make(constituency=anytown.constituency, first_name="Ann", last_name="Anytownley"),
        "bob": make(constituency=anytown.constituency, first_name="Bob", last_name="Anytownby"),
        "cat": make(constituency=anytown.constituency, first_name="Cat", last_name="Anytowner"),
        "dan": make(constituency=anytown.constituency, first_name="Dan", consent_email=False),
        "eve": make(constituency=anytown.constituency, first_name="Eve", email=""),
    }


def make_send(anytown, *, subject="News for {{first_name}}", body="Hello **{{first_name}}**!", audience=None):
    send = email_send_save(
        constituency=anytown.constituency,
        user=anytown.user(Role.CLP_SECRETARY),
        subject=subject,
        body=body,
        audience=audience or {},
        frequency_cap=3,
    )
    EmailSend.unscoped.filter(pk=send.pk).update(state=EmailSend.State.SENDING, scheduled_for=timezone.now())
    send.refresh_from_db()
    return send


class _RefusingHandler:
    """Refuses any recipient whose address starts with "refuse" (a 550, as for an unknown mailbox)."""

    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.server.messages.append({"rcpt_tos": list(envelope.rcpt_tos), "data": envelope.content})
        return "250 OK"


@pytest.fixture
def refusing_smtp(smtp_server):
    """The real SMTP server, restarted with a handler that refuses some mailboxes."""
    from aiosmtpd.controller import Controller

    smtp_server.stop()
    smtp_server.controller = Controller(
        _RefusingHandler(smtp_server), hostname=smtp_server.host, port=smtp_server.port
    )
    smtp_server.controller.start()
    return smtp_server
