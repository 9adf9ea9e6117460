"""A task queued by a request runs in a real Celery worker process, not in the request."""

import os

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.parametrize("celery_worker", ["filesystem", "redis"], indirect=True)
def test_password_reset_email_is_sent_by_the_worker(smtp_server, celery_worker, client, monkeypatch):
    user = UserFactory(email="forgetful@example.org")
    sent_here = []  # SMTP sends made by this (the web) process; the real backend still sends them
    real_send = EmailBackend.send_messages
    monkeypatch.setattr(
        EmailBackend, "send_messages", lambda self, m: sent_here.extend(m) or real_send(self, m)
    )

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert sent_here == []  # nothing was sent inside the request
    celery_worker.wait_for(lambda: smtp_server.messages)
    [message] = smtp_server.messages
    assert message["rcpt_tos"] == ["forgetful@example.org"]
    assert b"password" in message["data"].lower()
    assert f"pid {os.getpid()}" not in celery_worker.log_path.read_text()
    assert "labourhub.tasks.account_email_send" in celery_worker.log_path.read_text()


def test_email_queued_while_smtp_is_down_is_retried_until_sent(smtp_server, celery_worker, client):
    UserFactory(email="patient@example.org")
    smtp_server.stop()

    client.post(reverse("account_reset_password"), {"email": "patient@example.org"})

    celery_worker.wait_for(lambda: "Retry in" in celery_worker.log_path.read_text())
    smtp_server.start()
    celery_worker.wait_for(lambda: smtp_server.messages, timeout=90)
    assert smtp_server.recipients() == ["patient@example.org"]
