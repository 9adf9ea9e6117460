"""A case's email goes out through a real Celery worker process to a real SMTP server (aiosmtpd),
once, even when the task is delivered twice."""

from email import message_from_bytes

import pytest

from casework import services
from casework.models import Letter
from casework.tasks import letter_email_send_task
from tests.casework.factories import case_in, office_of

pytestmark = pytest.mark.timeout(300)


def _email(anytown, to):
    office = office_of(anytown)
    return services.letter_create(
        user=office["worker"], case=case_in(anytown), kind="acknowledgement", medium="email",
        recipient_name="Ada Anytown", to_email=to, subject="Your enquiry", body="Dear Ada,\n\nThank you.",
    )  # fmt: skip


def test_the_worker_sends_a_case_email_once(anytown, smtp_server, celery_worker):
    letter = _email(anytown, "ada@example.org")  # queued on commit (transactional test: commits now)

    def sent(pk):
        return lambda: Letter.unscoped.get(pk=pk).state == Letter.State.SENT

    celery_worker.wait_for(sent(letter.pk))
    # The same task delivered again (a redelivery after a lost acknowledgement), then another email:
    # one worker takes them in order, so once the second is sent the repeat has run too.
    letter_email_send_task.delay(letter.pk)
    second = _email(anytown, "bob@example.org")
    celery_worker.wait_for(sent(second.pk))
    assert sorted(smtp_server.recipients()) == ["ada@example.org", "bob@example.org"]
    first = next(m for m in smtp_server.messages if m["rcpt_tos"] == ["ada@example.org"])
    message = message_from_bytes(first["data"])
    assert message["Subject"] == "Your enquiry"
    assert message["X-Case-Reference"] == letter.case.reference
    assert "Dear Ada," in message.get_payload(decode=True).decode()
