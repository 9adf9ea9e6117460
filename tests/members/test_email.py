"""Member email in one process: content checks, planning, sending, unsubscribes and bounces."""

import email
import email.header
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members import sending, services
from members.email_content import ContentError
from members.models import BounceEvent, EmailBatch, EmailRecipient, EmailSend, Member
from tests.members.conftest import make_send
from tests.members.factories import MemberFactory


def _send_all(send):
    for batch in EmailBatch.objects.filter(send=send):
        services.email_batch_send(batch_id=batch.pk)


def test_unknown_merge_field_is_refused_before_anything_is_saved(anytown):
    with pytest.raises(ContentError, match=r"body line 2: unknown merge field \{\{nickname\}\}"):
        make_send(anytown, body="Hi\n{{nickname}}")
    assert not EmailSend.unscoped.exists()


def test_unclosed_merge_field_is_refused(anytown):
    with pytest.raises(ContentError, match="not closed"):
        make_send(anytown, subject="Hello {{first_name")


def test_plan_writes_one_row_per_member_who_agreed_to_email(anytown, anytown_members):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk, batch_size=2)
    send.refresh_from_db()
    planned = set(send.recipients.values_list("member__first_name", flat=True))
    assert planned == {"Ann", "Bob", "Cat"}
    assert send.planned_count == 3
    assert sorted(EmailBatch.objects.filter(send=send).values_list("number", flat=True)) == [0, 1]


def test_planning_twice_plans_once(anytown, anytown_members):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    services.email_send_plan(send_id=send.pk)
    assert send.recipients.count() == 3


def test_audience_filters_apply(anytown, anytown_members):
    send = make_send(anytown, audience={"q": "Anytownley"})
    services.email_send_plan(send_id=send.pk)
    assert list(send.recipients.values_list("member__first_name", flat=True)) == ["Ann"]


def test_frequency_cap_skips_members_emailed_enough_this_week_and_counts_them(anytown, anytown_members):
    for _ in range(3):
        services.email_send_plan(send_id=make_send(anytown).pk)
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    send.refresh_from_db()
    assert (send.planned_count, send.skipped_by_cap) == (0, 3)
    assert send.state == EmailSend.State.DONE


def test_batch_sends_each_row_once_with_one_click_unsubscribe_headers(anytown, anytown_members):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk, batch_size=2)
    _send_all(send)
    _send_all(send)  # a repeated task finds nothing left to send
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        anytown_members[name].email for name in ("ann", "bob", "cat")
    )
    message = mail.outbox[0].message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/members/email/unsubscribe/" in message["List-Unsubscribe"]
    send.refresh_from_db()
    assert send.state == EmailSend.State.DONE
    assert send.report() | {"percent": 100} == send.report()
    assert send.report()["sent"] == 3


def test_html_in_a_name_is_escaped_in_the_html_part(anytown):
    MemberFactory(constituency=anytown.constituency, first_name="<script>alert(1)</script>")
    send = make_send(anytown, body="Hi {{first_name}}, <img src=x onerror=alert(2)>")
    services.email_send_plan(send_id=send.pk)
    _send_all(send)
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "onerror" not in html


def test_merge_fields_with_underscores_survive_markdown(anytown, anytown_members):
    send = make_send(anytown, body="{{first_name}} and {{last_name}}")
    services.email_send_plan(send_id=send.pk)
    _send_all(send)
    assert all("<em>" not in m.alternatives[0][0] for m in mail.outbox)
    assert any("Ann and Anytownley" in m.alternatives[0][0] for m in mail.outbox)


def test_one_click_unsubscribe_sticks(client, anytown, anytown_members):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    _send_all(send)
    url = email.message_from_string(mail.outbox[0].message().as_string())["List-Unsubscribe"].strip("<>")
    path = url.split("testserver", 1)[-1].split("8000", 1)[-1]
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    member = Member.unscoped.get(email=mail.outbox[0].to[0])
    assert member.consent_email is False
    assert member.consents.get().source == "unsubscribe link"
    assert client.post(path).status_code == 200  # twice changes nothing
    assert member.consents.count() == 1
    assert send.report()["unsubscribed"] == 1
    later = make_send(anytown)
    services.email_send_plan(send_id=later.pk)
    assert not later.recipients.filter(member=member).exists()


def test_unsubscribe_get_asks_first_and_a_forged_token_is_404(client, anytown, anytown_members):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    recipient = send.recipients.first()
    token = services.signing.Signer(salt=services.UNSUBSCRIBE_SALT).sign(str(recipient.pk))
    assert client.get(reverse("members:unsubscribe", args=[token])).status_code == 200
    assert Member.unscoped.get(pk=recipient.member_id).consent_email is True
    assert client.post(reverse("members:unsubscribe", args=[f"{recipient.pk}:forged"])).status_code == 404


def test_member_who_unsubscribes_after_planning_is_not_sent_to(anytown, anytown_members):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    recipient = send.recipients.get(member=anytown_members["ann"])
    services.email_unsubscribe(recipient=recipient)
    _send_all(send)
    assert anytown_members["ann"].email not in [m.to[0] for m in mail.outbox]
    recipient.refresh_from_db()
    assert recipient.state == EmailRecipient.State.FAILED


def test_webhook_hard_bounces_twice_stop_further_email(client, anytown, anytown_members):
    ann = anytown_members["ann"]
    for _ in range(2):
        send = make_send(anytown)
        services.email_send_plan(send_id=send.pk)
        recipient = send.recipients.get(member=ann)
        token = services.signing.Signer(salt=services.UNSUBSCRIBE_SALT).sign(str(recipient.pk))
        response = client.post(
            reverse("members:bounce_webhook"),
            json.dumps({"events": [{"token": token, "type": "hard", "reason": "550 no such user"}]}),
            content_type="application/json",
        )
        assert response.json() == {"recorded": 1, "rejected": []}
    ann.refresh_from_db()
    assert ann.email_hard_bounces == 2 and ann.email_bounced_at is not None
    assert BounceEvent.unscoped.filter(recipient__member=ann, source="webhook").count() == 2
    third = make_send(anytown)
    services.email_send_plan(send_id=third.pk)
    assert not third.recipients.filter(member=ann).exists()


def test_webhook_rejects_bad_payloads_and_changes_nothing(client, anytown):
    url = reverse("members:bounce_webhook")
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    response = client.post(
        url, json.dumps({"events": [{"token": "1:forged", "type": "hard"}]}), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["rejected"] == [0]
    assert not BounceEvent.unscoped.exists()


def test_smtp_refusal_is_a_hard_bounce_and_the_rest_are_sent(anytown, anytown_members, refusing_smtp):
    anytown_members["bob"].email = "refuse-me@anytown.example"
    anytown_members["bob"].save(update_fields=["email"])
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    _send_all(send)
    bob = send.recipients.get(member=anytown_members["bob"])
    assert bob.state == EmailRecipient.State.FAILED and bob.last_error.startswith("550")
    assert bob.bounces.get().kind == BounceEvent.Kind.HARD
    assert sorted(refusing_smtp.recipients()) == sorted(
        [anytown_members["ann"].email, anytown_members["cat"].email]
    )


def _broker_messages():
    """Task messages waiting in the broker folder the tests publish to: {file name: (task, args)}."""
    from pathlib import Path

    from labourhub.celery import app as celery_app

    folder = Path(celery_app.conf.broker_transport_options["data_folder_out"])
    found = {}
    for path in folder.glob("*.msg"):
        headers = json.loads(path.read_text())["headers"]
        found[path.name] = (headers["task"], headers["argsrepr"])
    return found


def test_sweeper_requeues_batches_with_no_live_worker(
    anytown, anytown_members, django_capture_on_commit_callbacks
):
    """Three batches: one finished, one just queued that no worker has taken yet, one a worker took
    and then died with (its advisory lock is free). The sweep puts exactly the last one back on the
    (real, file) broker, at once; the waiting one only once it has waited too long."""
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk, batch_size=1)
    finished, waiting, lost = send.batches.order_by("number")
    now = timezone.now()
    EmailBatch.objects.filter(pk=finished.pk).update(finished_at=now)
    EmailBatch.objects.filter(pk=lost.pk).update(heartbeat_at=now - timedelta(seconds=5))
    before = _broker_messages()

    with django_capture_on_commit_callbacks(execute=True):
        queued = services.email_sweep(now=now)

    published = [task for name, task in _broker_messages().items() if name not in before]
    assert queued == 1
    assert published == [("members.tasks.member_email_batch_send", f"({lost.pk},)")]
    lost.refresh_from_db()
    assert (lost.enqueued_at, lost.heartbeat_at) == (now, None)
    # An hour on, no worker has taken either queued batch: both have waited too long.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.email_sweep(now=now + timedelta(hours=1)) == 2
    requeued = EmailBatch.objects.filter(enqueued_at=now + timedelta(hours=1))
    assert set(requeued.values_list("pk", flat=True)) == {waiting.pk, lost.pk}


def _header(message, name):
    return " ".join(str(email.header.make_header(email.header.decode_header(message[name]))).split())


def test_message_over_smtp_matches_the_one_django_builds(anytown, smtp_server):
    """Over SMTP each copy is filled in from pre-built bytes; it must say what Django's full build says."""
    member = MemberFactory(
        constituency=anytown.constituency,
        first_name="Zoë <b>",
        last_name="O'Anytown",
        email="zoe@anytown.example",
    )
    plain = MemberFactory(constituency=anytown.constituency, first_name="Al", email="al@anytown.example")
    send = make_send(anytown, subject="For {{first_name}}", body="Hi {{full_name}} of {{constituency}}!")
    services.email_send_plan(send_id=send.pk)
    _send_all(send)
    received = {
        email.message_from_bytes(m["data"])["To"]: email.message_from_bytes(m["data"])
        for m in smtp_server.messages
    }
    assert set(received) == {member.email, plain.email}
    for who in (member, plain):
        recipient = send.recipients.get(member=who)
        row = (
            recipient.pk,
            who.email,
            "sending",
            who.first_name,
            who.last_name,
            who.membership_number,
            None,
            None,
            None,
        )
        built = email.message_from_bytes(
            services.email_composer(send).message(sending.Row(*row)).message().as_bytes(linesep="\r\n")
        )
        got = received[who.email]
        for header in (
            "Subject",
            "Message-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "X-LabourHub-Recipient",
        ):
            assert _header(got, header) == _header(built, header), header
        got_parts = [p.get_payload(decode=True) for p in got.walk() if not p.is_multipart()]
        built_parts = [p.get_payload(decode=True) for p in built.walk() if not p.is_multipart()]
        assert got_parts == built_parts
    assert b"Zo\xc3\xab &lt;b&gt;" in received[member.email].get_payload()[1].get_payload(decode=True)


def test_a_send_whose_author_is_gone_reaches_nobody(anytown, anytown_members):
    send = make_send(anytown)
    EmailSend.unscoped.filter(pk=send.pk).update(created_by=None)
    services.email_send_plan(send_id=send.pk)
    send.refresh_from_db()
    assert (send.planned_count, send.state) == (0, EmailSend.State.DONE)
