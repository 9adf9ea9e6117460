"""Text messages (labourhub/sms.py, issue 17 item 3) against a local server playing Twilio
(tests/sms_provider.py): what is posted and how, retries without double sends, delivery receipts,
forged callbacks, STOP and START."""

import base64
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from campaigns.models import EventContact
from labourhub import sms
from labourhub.models import AuditEvent, Role, SmsMessage, SmsOptOut
from members.models import Member
from tests.campaigns.event_factories import EventContactFactory
from tests.members.factories import MemberFactory
from tests.sms_provider import ACCOUNT_SID, AUTH_TOKEN, FROM


@pytest.mark.parametrize(
    "typed",
    ["07700 900123", "+44 7700 900123", "+44 (0)7700 900123", "0044 7700-900123", "(07700) 900.123"],
)
def test_uk_mobile_numbers_are_normalised_to_e164(typed):
    assert sms.normalise_uk(typed) == "+447700900123"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "No phone number"),
        ("+33 6 12 34 56 78", "not a UK number"),
        ("7700900123", "not a UK number"),
        ("07700 90012", "has 10 digits"),
        ("07700 9001234", "has 12 digits"),
        ("01632 960123", "not a mobile"),
        ("07700 9OO123", "not digits"),
    ],
)
def test_bad_numbers_are_refused_saying_why(typed, says):
    with pytest.raises(sms.SmsNumberError, match=says):
        sms.normalise_uk(typed)


def queue(anytown, key="test:1", to="07700 900123", body="Hello from Anytown"):
    return sms.sms_message_queue(constituency=anytown.constituency, to=to, body=body, key=key)


def test_a_message_is_posted_with_basic_auth_and_twilios_fields(anytown, sms_provider, settings):
    message = queue(anytown)
    assert message.status == SmsMessage.Status.QUEUED
    assert sms.sms_message_send(message_id=message.pk) is True

    [request] = sms_provider.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == f"Basic {expected}"
    assert request["form"] == {
        "To": "+447700900123",
        "From": FROM,
        "Body": "Hello from Anytown",
        "StatusCallback": settings.SITE_URL + "/sms/status/",
    }
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.ACCEPTED
    assert message.provider_sid.startswith("SM") and message.sent_at is not None and message.attempts == 1
    # Sent once: sending again (a retried task, a second worker) posts nothing.
    assert sms.sms_message_send(message_id=message.pk) is False
    assert len(sms_provider.requests) == 1


def test_planning_the_same_key_twice_plans_one_message(anytown, sms_provider):
    assert queue(anytown).pk == queue(anytown).pk
    assert SmsMessage.unscoped.count() == 1


def test_a_messaging_service_sid_is_sent_as_such(anytown, sms_provider, settings):
    settings.SMS_FROM = "MG" + "1" * 32
    sms.sms_message_send(message_id=queue(anytown).pk)
    form = sms_provider.requests[0]["form"]
    assert form["MessagingServiceSid"] == settings.SMS_FROM and "From" not in form


def test_a_5xx_is_retried_and_the_message_goes_once(anytown, sms_provider):
    sms_provider.script.append(("error", 503, {"code": 20500, "message": "Service unavailable"}))
    message = queue(anytown)
    with pytest.raises(sms.SmsRetry):
        sms.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.RETRY and "503" in message.error
    assert sms.sms_message_send(message_id=message.pk) is True
    assert sms.sms_message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (SmsMessage.Status.ACCEPTED, 2, "")
    assert len(sms_provider.requests) == 2


def test_a_4xx_error_fails_the_message_with_the_providers_words_and_is_not_retried(anytown, sms_provider):
    sms_provider.script.append(("error", 400, {"code": 21211, "message": "The 'To' number is not valid."}))
    message = queue(anytown)
    assert sms.sms_message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED
    assert "21211" in message.error and "not valid" in message.error
    assert sms.sms_message_send(message_id=message.pk) is False
    assert len(sms_provider.requests) == 1


def test_no_answer_in_time_is_never_retried_as_the_message_may_have_gone(anytown, sms_provider):
    sms_provider.script.append(("timeout", 2))
    message = queue(anytown)
    assert sms.sms_message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.UNKNOWN
    assert sms.sms_message_send(message_id=message.pk) is False
    assert len(sms_provider.requests) == 1


def test_an_unreachable_provider_is_retried(anytown, sms_provider, settings):
    settings.SMS_PROVIDER_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    message = queue(anytown)
    with pytest.raises(sms.SmsRetry):
        sms.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.RETRY


def test_a_bad_number_is_recorded_as_skipped_and_never_sent(anytown, sms_provider):
    message = queue(anytown, to="01632 960123")
    assert message.status == SmsMessage.Status.SKIPPED and "not a mobile" in message.error
    assert sms.sms_message_send(message_id=message.pk) is False
    assert sms_provider.requests == []


def test_nothing_is_planned_with_no_provider(anytown, settings):
    settings.SMS_PROVIDER_URL = ""
    assert queue(anytown) is None
    assert not SmsMessage.unscoped.exists()


# --- Callbacks ----------------------------------------------------------------------------------


def post_signed(client, settings, name, fields, *, token=AUTH_TOKEN):
    url = reverse(name)
    signature = sms.signature(settings.SITE_URL + url, {k: [v] for k, v in fields.items()}, token)
    return client.post(
        url,
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def test_the_signature_is_twilios_documented_example():
    # Twilio's own published vector (its helper libraries' request-validator tests).
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+14158675309"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
    }
    assert sms.signature(url, params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_delivery_receipt_moves_the_status_on_and_never_back(anytown, sms_provider, client, settings):
    message = queue(anytown)
    sms.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    for status, expected in [
        ("sent", SmsMessage.Status.SENT),
        ("delivered", SmsMessage.Status.DELIVERED),
        ("sent", SmsMessage.Status.DELIVERED),  # late and out of order: ignored
    ]:
        response = post_signed(
            client, settings, "sms_status", {"MessageSid": message.provider_sid, "MessageStatus": status}
        )
        assert response.status_code == 204
        message.refresh_from_db()
        assert message.status == expected


def test_an_undelivered_receipt_keeps_the_error_code(anytown, sms_provider, client, settings):
    message = queue(anytown)
    sms.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    fields = {"MessageSid": message.provider_sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post_signed(client, settings, "sms_status", fields).status_code == 204
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.UNDELIVERED and "30003" in message.error


@pytest.mark.parametrize("name", ["sms_status", "sms_inbound"])
def test_unsigned_and_forged_callbacks_are_refused(anytown, sms_provider, client, settings, name):
    message = queue(anytown)
    sms.sms_message_send(message_id=message.pk)
    message.refresh_from_db()
    member = MemberFactory(constituency=anytown.constituency, mobile="07700 900123", consent_sms=True)
    fields = {
        "MessageSid": message.provider_sid,
        "MessageStatus": "failed",
        "From": "+447700900123",
        "Body": "STOP",
    }
    unsigned = client.post(reverse(name), fields)
    forged = post_signed(client, settings, name, fields, token="not-the-token")
    # Signed for other fields than those posted (a replay with the body changed).
    signed_for_other = sms.signature(
        settings.SITE_URL + reverse(name),
        {k: [v] for k, v in {**fields, "MessageStatus": "sent"}.items()},
        AUTH_TOKEN,
    )
    tampered = client.post(reverse(name), fields, HTTP_X_TWILIO_SIGNATURE=signed_for_other)
    assert unsigned.status_code == forged.status_code == tampered.status_code == 403
    message.refresh_from_db()
    member.refresh_from_db()
    assert message.status == SmsMessage.Status.ACCEPTED
    assert member.consent_sms is True and not SmsOptOut.objects.exists()


@pytest.mark.parametrize("word", ["STOP", " stop ", "StopAll", "unsubscribe", "CANCEL", "end", "Quit"])
def test_stop_withdraws_sms_consent_everywhere_for_that_number(
    anytown, otherton, sms_provider, client, settings, word
):
    here = MemberFactory(constituency=anytown.constituency, mobile="07700 900123", consent_sms=True)
    there = MemberFactory(constituency=otherton.constituency, phone="+44 7700 900123", consent_sms=True)
    someone_else = MemberFactory(constituency=anytown.constituency, mobile="07700 900999", consent_sms=True)
    contact = EventContactFactory(
        constituency=anytown.constituency, phone="(07700) 900-123", consent_sms=True
    )

    response = post_signed(client, settings, "sms_inbound", {"From": "+447700900123", "Body": word})
    assert response.status_code == 200 and "<Response>" in response.text

    assert [m.consent_sms for m in Member.unscoped.filter(pk__in=[here.pk, there.pk])] == [False, False]
    assert Member.unscoped.get(pk=someone_else.pk).consent_sms is True
    assert EventContact.unscoped.get(pk=contact.pk).consent_sms is False
    assert SmsOptOut.objects.get(number="+447700900123").active
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"sms.opt_out", "members.consent", "events.sms_opt_out"} <= actions
    # And nothing is texted to it again, whatever a caller plans.
    assert queue(anytown).status == SmsMessage.Status.SKIPPED


def test_a_message_planned_before_stop_is_not_sent_after_it(anytown, sms_provider, client, settings):
    message = queue(anytown)
    post_signed(client, settings, "sms_inbound", {"From": "+447700900123", "Body": "STOP"})
    assert sms.sms_message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SKIPPED and sms_provider.requests == []


def test_start_lifts_the_block_but_gives_back_no_consent(anytown, sms_provider, client, settings):
    member = MemberFactory(constituency=anytown.constituency, mobile="07700 900123", consent_sms=True)
    post_signed(client, settings, "sms_inbound", {"From": "+447700900123", "Body": "STOP"})
    post_signed(client, settings, "sms_inbound", {"From": "+447700900123", "Body": "start"})
    member.refresh_from_db()
    assert member.consent_sms is False
    assert not SmsOptOut.objects.get(number="+447700900123").active
    assert queue(anytown).status == SmsMessage.Status.QUEUED
    assert AuditEvent.objects.filter(action="sms.opt_in").count() == 1


def test_other_texts_change_nothing(anytown, sms_provider, client, settings):
    member = MemberFactory(constituency=anytown.constituency, mobile="07700 900123", consent_sms=True)
    post_signed(client, settings, "sms_inbound", {"From": "+447700900123", "Body": "please stop by at 5"})
    member.refresh_from_db()
    assert member.consent_sms is True and not SmsOptOut.objects.exists()


def test_callbacks_are_refused_with_no_provider(anytown, client, settings):
    settings.SMS_PROVIDER_URL, settings.SMS_AUTH_TOKEN = "", AUTH_TOKEN
    assert (
        post_signed(client, settings, "sms_inbound", {"From": "+447700900123", "Body": "STOP"}).status_code
        == 403
    )


# --- The knock-up entry point -------------------------------------------------------------------


def test_a_bulk_send_goes_only_for_the_count_the_organiser_confirmed(anytown, sms_provider):
    organiser = anytown.user(Role.ORGANISER)
    recipients = [("knockup:1:1", "07700 900001"), ("knockup:1:2", "07700 900002")]
    with pytest.raises(sms.SmsNumberError, match="You confirmed 3 messages but there are now 2"):
        sms.sms_bulk_queue(
            user=organiser,
            constituency=anytown.constituency,
            recipients=recipients,
            body="Polls close at 10pm",
            purpose="knock-up",
            expected=3,
        )
    assert not SmsMessage.unscoped.exists()
    planned = sms.sms_bulk_queue(
        user=organiser,
        constituency=anytown.constituency,
        recipients=recipients,
        body="Polls close at 10pm",
        purpose="knock-up",
        expected=2,
    )
    assert planned == 2 and SmsMessage.unscoped.filter(body="Polls close at 10pm").count() == 2
    assert AuditEvent.objects.get(action="sms.bulk").detail["count"] == 2
