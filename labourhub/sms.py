"""Text messages (issue 17, item 3): one way to send an SMS, for every app (event reminders,
polling-day knock-up), through an SMS provider's HTTP API. Twilio's Messages API shape is the one
supported: POST {SMS_PROVIDER_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json with HTTP
Basic auth (the account SID and auth token) and form fields To, From (or MessagingServiceSid), Body,
StatusCallback; the answer is JSON with `sid` and `status`, an error JSON with `code` and `message`.

- `sms_enabled()`: SMS is on only when a provider is configured; unset, every SMS choice is hidden.
- `normalise_uk(number)`: a UK number as E.164 (+447700900123), or SmsNumberError saying why not.
- `sms_message_queue(...)`: plan one message (a row in the sent-log, unique by `key`) and have the
  worker send it on commit; planning the same key twice plans one message.
- `sms_message_send(message_id=...)`: the worker's part. The row is claimed (queued → sending)
  before the provider is called, so a second worker or a retried task never sends it twice. A
  refused connection or a 5xx/429 answer (the provider took nothing) puts it back and the task
  retries with back-off; a timeout (it may have gone) is never retried, nor a 4xx (it never will).
- `sms_status_record(...)` / `sms_inbound_record(...)`: the provider's delivery receipts and
  incoming texts (STOP and the other stop words opt the number out everywhere; START lifts the
  block but restores no consent), both only once `signature_valid` has checked
  X-Twilio-Signature (labourhub/views_sms.py).

Each app that holds SMS consent says how to withdraw it in `<app>/sms_optout.py`:
`opt_out(*, number: str) -> int` (how many consents it withdrew) (found with `app_modules("sms_optout")`,
so the core imports no app).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Func, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from labourhub.apps import app_modules
from labourhub.services import audit_record
from labourhub.sms_models import SmsMessage, SmsOptOut

if TYPE_CHECKING:
    from labourhub.models import Constituency, User

# Twilio's opt-out and opt-in keywords (the whole message, trimmed, any case).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})

# Provider statuses in the order a message moves through them; a late receipt never moves it back.
_PROVIDER_STATUS = {
    "accepted": SmsMessage.Status.ACCEPTED,
    "scheduled": SmsMessage.Status.ACCEPTED,
    "queued": SmsMessage.Status.ACCEPTED,
    "sending": SmsMessage.Status.SENT,
    "sent": SmsMessage.Status.SENT,
    "delivered": SmsMessage.Status.DELIVERED,
    "read": SmsMessage.Status.DELIVERED,
    "undelivered": SmsMessage.Status.UNDELIVERED,
    "failed": SmsMessage.Status.FAILED,
    "canceled": SmsMessage.Status.FAILED,
}
_RANK = {
    SmsMessage.Status.SENDING: 0,
    SmsMessage.Status.UNKNOWN: 0,
    SmsMessage.Status.ACCEPTED: 1,
    SmsMessage.Status.SENT: 2,
    SmsMessage.Status.DELIVERED: 3,
    SmsMessage.Status.UNDELIVERED: 3,
    SmsMessage.Status.FAILED: 3,
}


class SmsNumberError(ValueError):
    """A number that is not a UK phone number we can text."""


class SmsRetry(Exception):
    """The provider took nothing (unreachable, or answered 5xx/429): the task tries again later."""


def sms_enabled() -> bool:
    """SMS is on only when a provider is configured: unset, every SMS choice is hidden."""
    return bool(getattr(settings, "SMS_PROVIDER_URL", ""))


# --- Numbers ------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_uk(number: str) -> str:
    """A UK number as E.164: "07700 900123", "+44 (0)7700 900123", "00447700900123" →
    "+447700900123". Raises SmsNumberError saying what is wrong."""
    raw = (number or "").strip()
    if not raw:
        raise SmsNumberError("No phone number given.")
    digits = _SEPARATORS.sub("", raw).replace("+44(0)", "+44").replace("+440", "+44")
    if digits.startswith("+"):
        rest = digits[1:]
        if not rest.isdigit():
            raise SmsNumberError(f"“{raw}” has characters that are not digits.")
        if not rest.startswith("44"):
            raise SmsNumberError(f"“{raw}” is not a UK number (it should start +44 or 0).")
        national = rest[2:]
    elif digits.startswith("0044"):
        national = digits[4:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise SmsNumberError(f"“{raw}” is not a UK number (it should start +44 or 0).")
    if not national.isdigit():
        raise SmsNumberError(f"“{raw}” has characters that are not digits.")
    if len(national) != 10:
        raise SmsNumberError(f"“{raw}” has {len(national) + 1} digits after the 0: a UK number has 11.")
    if not national.startswith("7"):
        raise SmsNumberError(f"“{raw}” is not a mobile number (UK mobiles start 07).")
    return "+44" + national


def national_forms(e164: str) -> list[str]:
    """The digit strings a stored number may be written as, for matching it with `digits_of`."""
    national = e164.removeprefix("+44")
    return ["44" + national, "0" + national, "0044" + national]


def digits_of(field: str) -> Func:
    """The digits of a stored phone field, in SQL (to match numbers however they were typed)."""
    return Func(field, Value(r"[^0-9]"), Value(""), Value("g"), function="regexp_replace")


def matching(queryset: QuerySet[Any], fields: Iterable[str], e164: str) -> QuerySet[Any]:
    """Rows of `queryset` whose phone in any of `fields` is the number `e164`."""
    forms = national_forms(e164)
    match = Q()
    for name in fields:
        annotation = f"_digits_{name}"
        queryset = queryset.alias(**{annotation: digits_of(name)})
        match |= Q(**{f"{annotation}__in": forms})
    return queryset.filter(match)


def opted_out(e164: str) -> bool:
    return SmsOptOut.objects.filter(number=e164, opted_in_at__isnull=True).exists()


# --- Planning -----------------------------------------------------------------------------------


def sms_message_queue(*, constituency: Constituency, to: str, body: str, key: str) -> SmsMessage | None:
    """Plan one text message and have the worker send it once this transaction commits. The caller
    has checked the person's SMS consent. None when SMS is off; the existing row when `key` was
    planned already (nothing sent again). A number that is not a UK mobile, or that texted STOP, is
    recorded as skipped, with the reason."""
    if not sms_enabled():
        return None
    existing = SmsMessage.unscoped.filter(key=key).first()
    if existing is not None:
        return existing
    status, error = SmsMessage.Status.QUEUED, ""
    try:
        number = normalise_uk(to)
    except SmsNumberError as problem:
        number, status, error = to[:16], SmsMessage.Status.SKIPPED, str(problem)
    else:
        if opted_out(number):
            status, error = SmsMessage.Status.SKIPPED, "The number texted STOP."
    with transaction.atomic():
        message, created = SmsMessage.unscoped.get_or_create(
            key=key,
            defaults={
                "constituency": constituency,
                "to": number,
                "body": body,
                "status": status,
                "error": error,
            },
        )
    if created and status == SmsMessage.Status.QUEUED:
        from labourhub import tasks

        transaction.on_commit(lambda: tasks.sms_send_task.delay(message.pk))
    return message


@transaction.atomic
def sms_bulk_queue(
    *,
    user: User,
    constituency: Constituency,
    recipients: list[tuple[str, str]],
    body: str,
    purpose: str,
    expected: int,
) -> int:
    """Many texts of one body (polling-day knock-up): `recipients` are (key, number) of people
    whose SMS consent the caller has checked. The page asks first how many and what text, and
    passes the count it showed as `expected`: if the list changed since, nothing is sent."""
    if not sms_enabled():
        raise SmsNumberError("Text messages are not set up (no SMS provider is configured).")
    if not body.strip():
        raise SmsNumberError("The message is empty.")
    if len(recipients) != expected:
        raise SmsNumberError(
            f"You confirmed {expected} messages but there are now {len(recipients)}: check the list again."
        )
    planned = sum(
        1
        for key, number in recipients
        if sms_message_queue(constituency=constituency, to=number, body=body, key=key) is not None
    )
    audit_record(
        action="sms.bulk",
        user=user,
        constituency=constituency,
        detail={"purpose": purpose, "count": planned, "body": body},
    )
    return planned


# --- Sending (the worker) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderAnswer:
    sid: str
    status: str


class ProviderRefused(Exception):
    """The provider answered with an error that trying again will not change (a 4xx)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status}, code {code}: {message}")


class ProviderTimeout(Exception):
    """No answer in time: the message may or may not have gone."""


def provider_send(*, to: str, body: str, status_callback: str) -> ProviderAnswer:
    """One POST to the provider's Messages API (Twilio's shape)."""
    url = f"{settings.SMS_PROVIDER_URL}/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages.json"
    sender = settings.SMS_FROM
    fields = {
        "To": to,
        "MessagingServiceSid" if sender.startswith("MG") else "From": sender,
        "Body": body,
        "StatusCallback": status_callback,
    }
    credentials = base64.b64encode(f"{settings.SMS_ACCOUNT_SID}:{settings.SMS_AUTH_TOKEN}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting, http(s) only)
        url,
        data=urlencode(fields).encode(),
        headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise SmsRetry(f"HTTP {error.code} from the SMS provider") from error
        try:
            detail = json.loads(error.read() or b"{}")
        except ValueError:
            detail = {}
        raise ProviderRefused(
            error.code, str(detail.get("code", "")), str(detail.get("message", ""))
        ) from error
    except TimeoutError as error:
        raise ProviderTimeout("No answer from the SMS provider in time") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise ProviderTimeout("No answer from the SMS provider in time") from error
        raise SmsRetry(f"SMS provider unreachable: {error.reason}") from error
    return ProviderAnswer(sid=str(answer.get("sid", "")), status=str(answer.get("status", "")))


def _claim(message_id: int) -> SmsMessage | None:
    """queued/retry → sending, in its own committed transaction: only one worker gets it."""
    with transaction.atomic():
        claimed = SmsMessage.unscoped.filter(
            pk=message_id, status__in=[SmsMessage.Status.QUEUED, SmsMessage.Status.RETRY]
        ).update(status=SmsMessage.Status.SENDING, status_at=timezone.now())
    if not claimed:
        return None
    return SmsMessage.unscoped.get(pk=message_id)


def sms_message_send(*, message_id: int) -> bool:
    """Send one planned message, once. True if the provider took it. Raises SmsRetry (the row put
    back to be claimed again) when the provider took nothing and trying later may work."""
    message = _claim(message_id)
    if message is None:
        return False
    message.attempts += 1
    now = timezone.now()
    fields = ["status", "status_at", "attempts", "error"]
    if opted_out(message.to):
        message.status, message.error = SmsMessage.Status.SKIPPED, "The number texted STOP."
        message.status_at = now
        message.save(update_fields=fields)
        return False
    callback = settings.SITE_URL + reverse("sms_status")
    try:
        answer = provider_send(to=message.to, body=message.body, status_callback=callback)
    except SmsRetry as problem:
        message.status, message.error, message.status_at = SmsMessage.Status.RETRY, str(problem), now
        message.save(update_fields=fields)
        raise
    except ProviderTimeout as problem:
        message.status, message.error, message.status_at = SmsMessage.Status.UNKNOWN, str(problem), now
        message.save(update_fields=fields)
        return False
    except ProviderRefused as problem:
        message.status, message.error, message.status_at = SmsMessage.Status.FAILED, str(problem), now
        message.save(update_fields=fields)
        return False
    message.provider_sid = answer.sid
    message.status = _PROVIDER_STATUS.get(answer.status, SmsMessage.Status.ACCEPTED)
    message.sent_at = message.status_at = timezone.now()
    message.error = ""
    message.save(update_fields=[*fields, "provider_sid", "sent_at"])
    return True


# --- What the provider tells us -----------------------------------------------------------------


def signature(url: str, params: Mapping[str, list[str]], token: str) -> str:
    """Twilio's X-Twilio-Signature: base64 of HMAC-SHA1, keyed with the auth token, of the full URL
    followed by each POST parameter's name and value, in name order."""
    payload = url + "".join(name + value for name in sorted(params) for value in sorted(params[name]))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def signature_valid(*, url: str, params: Mapping[str, list[str]], given: str) -> bool:
    token = getattr(settings, "SMS_AUTH_TOKEN", "")
    if not token or not given:
        return False
    return hmac.compare_digest(signature(url, params, token), given)


@transaction.atomic
def sms_status_record(*, sid: str, status: str, error_code: str = "") -> SmsMessage | None:
    """A delivery receipt: the message's status moves on (never back: receipts may come out of
    order)."""
    new = _PROVIDER_STATUS.get(status)
    message = SmsMessage.unscoped.select_for_update().filter(provider_sid=sid).first() if sid else None
    if message is None or new is None:
        return message
    if _RANK.get(new, 0) < _RANK.get(SmsMessage.Status(message.status), 0):
        return message
    if _RANK.get(new, 0) == _RANK.get(SmsMessage.Status(message.status), 0) and new == message.status:
        return message
    message.status, message.status_at = new, timezone.now()
    if error_code:
        message.error = f"Provider error code {error_code}"
    message.save(update_fields=["status", "status_at", "error"])
    return message


@transaction.atomic
def sms_inbound_record(*, sender: str, body: str) -> str:
    """An incoming text. A stop word opts the number out: never texted again, and every SMS consent
    held for it (members, event contacts, in every CLP) withdrawn, audited. START lifts the block
    (texts may be sent again once someone ticks the box again) but restores no consent: the stop
    may have been meant for one CLP's texts and the number may have changed hands, so the START
    text alone is not consent. Returns "stop", "start" or "" (anything else: kept nowhere)."""
    word = (body or "").strip().upper()
    try:
        number = normalise_uk(sender)
    except SmsNumberError:
        return ""
    if word in STOP_WORDS:
        opt_out, created = SmsOptOut.objects.get_or_create(number=number, defaults={"keyword": word})
        if not created:
            opt_out.keyword, opt_out.opted_out_at, opt_out.opted_in_at = word, timezone.now(), None
            opt_out.save(update_fields=["keyword", "opted_out_at", "opted_in_at"])
        withdrawn = sum(module.opt_out(number=number) for module in app_modules("sms_optout"))
        audit_record(
            action="sms.opt_out", obj=opt_out, detail={"keyword": word, "consents_withdrawn": withdrawn}
        )
        return "stop"
    if word in START_WORDS:
        updated = SmsOptOut.objects.filter(number=number, opted_in_at__isnull=True).update(
            opted_in_at=timezone.now()
        )
        if updated:
            opt_out = SmsOptOut.objects.get(number=number)
            audit_record(action="sms.opt_in", obj=opt_out, detail={"keyword": word})
        return "start"
    return ""
