"""Webhooks (issue 18, item 5): subscribing, emitting events and delivering them.

- `subscription_create / _pause / _resume / _delete / _test`: the officers' pages call these.
- `events_emit(event_type=..., events=[...])` / `events_emit_sql(...)`: what an app's service calls
  in its own transaction when the thing happens. One INSERT ... SELECT writes a delivery row for each
  matching active subscription (none, and nothing else, when no one subscribes); the send is queued
  with `transaction.on_commit`, so a rolled-back write emits nothing.
- `delivery_send(delivery_id=...)`: the worker's POST, under a row lock, never after "delivered";
  retried with back-off (BACKOFF) by `deliveries_send_due`, run every minute by beat.

The signature: `X-LabourHub-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body>` with
the subscription's secret, and `X-LabourHub-Timestamp: <unix seconds>`, so a receiver refuses a
replayed body with an old timestamp. `Idempotency-Key` is the delivery's key, the same on every try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from labourhub.scoping import can
from labourhub.services import audit_record
from labourhub.webhooks.models import (
    EVENT_ACTIONS,
    SUBSCRIBE_ACTION,
    Attempt,
    Delivery,
    EventType,
    Subscription,
)

if TYPE_CHECKING:
    from labourhub.models import Constituency, User

TIMEOUT_SECONDS = 10
# After the first try fails: 1 minute, 5, 30, 2 hours, 12 hours; then the delivery has failed.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
]
EXCERPT_LENGTH = 200
DUE_BATCH = 200
USER_AGENT = "LabourHub-Webhooks/1"


# --- The signing secret, encrypted at rest ------------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(b"webhook-secret:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_read(subscription: Subscription) -> str:
    try:
        return _fernet().decrypt(subscription.secret_encrypted.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise ValueError(
            "The webhook's secret cannot be read (SECRET_KEY changed): make a new subscription."
        ) from exc


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What X-LabourHub-Signature carries; a receiver computes the same and compares."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


# --- Where a webhook may be sent (SSRF) ---------------------------------------------------------

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


def url_problem(url: str) -> str | None:
    """Why `url` may not receive webhooks, or None. https only (plain http to localhost when
    WEBHOOKS_ALLOW_PRIVATE is on); with it off, a host that resolves to a private, loopback,
    link-local, reserved or multicast address is refused. Checked when subscribing and before
    every send (a name can be pointed elsewhere later)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    if parts.scheme != "https" and not (parts.scheme == "http" and allow_private and host in LOCAL_NAMES):
        return "url: the address must start with https://"
    if not host:
        return "url: the address has no host name."
    if parts.username or parts.password:
        return "url: the address may not hold a user name or password."
    if allow_private:
        return None
    try:
        port = parts.port or 443
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, ValueError, UnicodeError):
        return f"url: the host {host!r} cannot be found."
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return (
                f"url: {host} is a private or local address ({ip}); webhooks go to the public internet only."
            )
    return None


# --- Subscriptions ------------------------------------------------------------------------------


def event_types_allowed(user: User, constituency: Constituency) -> list[str]:
    """The event types `user` may subscribe to in `constituency`: those whose data they may see."""
    if not can(user, SUBSCRIBE_ACTION, constituency):
        return []
    return [t for t in EventType if t != EventType.PING and can(user, EVENT_ACTIONS[t], constituency)]


@transaction.atomic
def subscription_create(
    *, user: User, constituency: Constituency, name: str, url: str, event_types: list[str]
) -> tuple[Subscription, str]:
    """A new active subscription and its secret (shown to the user once; stored encrypted)."""
    problem = url_problem(url)
    if problem:
        raise ValidationError(problem)
    if not event_types:
        raise ValidationError("event_types: choose at least one event.")
    allowed = event_types_allowed(user, constituency)
    refused = [t for t in event_types if t not in allowed]
    if refused:
        raise ValidationError(
            f"event_types: you may not see the data of {', '.join(refused)} in {constituency}."
        )
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = Subscription.unscoped.create(
        constituency=constituency,
        owner=user,
        name=name.strip()[:100] or url[:100],
        url=url,
        event_types=sorted(set(event_types)),
        secret_encrypted=_fernet().encrypt(secret.encode()).decode("ascii"),
    )
    audit_record(
        action="webhook.create", user=user, obj=subscription, detail={"events": subscription.event_types}
    )
    return subscription, secret


def _set_state(
    subscription: Subscription, state: str, *, user: User | None, reason: str = ""
) -> Subscription:
    subscription.state, subscription.stopped_reason = state, reason
    subscription.updated_at = timezone.now()
    subscription.save(update_fields=["state", "stopped_reason", "updated_at"])
    audit_record(
        action=f"webhook.{state}", user=user, obj=subscription, detail={"reason": reason} if reason else {}
    )
    return subscription


@transaction.atomic
def subscription_pause(*, user: User, subscription: Subscription) -> Subscription:
    """Deliveries wait (pending) until it is resumed."""
    return _set_state(subscription, Subscription.State.PAUSED, user=user)


@transaction.atomic
def subscription_resume(*, user: User, subscription: Subscription) -> Subscription:
    """Active again, owned by whoever resumes it (they must be allowed every event type it has)."""
    allowed = event_types_allowed(user, subscription.constituency)
    refused = [t for t in subscription.event_types if t not in allowed]
    if refused:
        raise ValidationError(f"You may not see the data of {', '.join(refused)}: you cannot resume this.")
    if subscription.owner_id != user.pk:
        subscription.owner = user
        subscription.save(update_fields=["owner"])
    Delivery.unscoped.filter(subscription=subscription, state=Delivery.State.PENDING).update(
        next_attempt_at=timezone.now()
    )
    _set_state(subscription, Subscription.State.ACTIVE, user=user)
    _queue_due()
    return subscription


@transaction.atomic
def subscription_delete(*, user: User, subscription: Subscription) -> None:
    audit_record(action="webhook.delete", user=user, obj=subscription)
    subscription.delete()


@transaction.atomic
def subscription_test(*, user: User, subscription: Subscription) -> Delivery:
    """A `ping` delivery, sent by the worker like any other."""
    now = timezone.now()
    delivery = Delivery.unscoped.create(
        subscription=subscription,
        event_type=EventType.PING,
        event_id=_uuid_of(f"ping:{subscription.pk}:{now.isoformat()}"),
        occurred_at=now,
        next_attempt_at=now,
        payload={
            "type": EventType.PING.value,
            "occurred_at": now.isoformat(),
            "constituency": subscription.constituency.gss_code,
            "data": {"subscription": subscription.pk},
        },
    )
    delivery.payload["id"] = str(delivery.event_id)
    delivery.save(update_fields=["payload"])
    audit_record(action="webhook.test", user=user, obj=subscription)
    _queue([delivery.pk])
    return delivery


# --- Emitting -----------------------------------------------------------------------------------


def _uuid_of(text: str) -> Any:
    import uuid

    return uuid.UUID(hashlib.md5(text.encode()).hexdigest())  # noqa: S324  # an id, not a secret


@dataclass(frozen=True)
class Event:
    """One thing that happened: `key` names it (the event id is derived from type and key, so the
    same event emitted twice is one delivery), `data` holds only what the subscribers may see."""

    key: str
    constituency_id: int
    occurred_at: datetime
    data: dict[str, Any]


_INSERT = """
    INSERT INTO webhook_delivery
           (subscription_id, event_type, event_id, key, occurred_at, payload, state, attempts,
            next_attempt_at, created_at)
    SELECT s.id, %(type)s, e.event_id, gen_random_uuid(), e.occurred_at,
           jsonb_build_object('id', e.event_id, 'type', %(type)s,
                              'occurred_at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                              'constituency', c.gss_code, 'data', e.data),
           %(pending)s, 0, %(emitted_at)s, %(emitted_at)s
    FROM events e
    JOIN webhook_subscription s
      ON s.constituency_id = e.constituency_id AND s.state = %(active)s AND %(type)s = ANY (s.event_types)
    JOIN labourhub_constituency c ON c.id = e.constituency_id
    ON CONFLICT DO NOTHING
    RETURNING id
"""


_ANY_SUBSCRIBER = (
    "SELECT EXISTS (SELECT 1 FROM webhook_subscription WHERE state = %s AND %s = ANY (event_types))"
)


def events_emit(*, event_type: EventType, events: list[Event]) -> list[int]:
    """Queue `events` for every active subscription to `event_type` in their CLPs: one statement,
    whatever the number of events and subscriptions. Call it inside the service's transaction."""
    if not events:
        return []
    rows = [
        {
            "event_id": str(_uuid_of(f"{event_type}:{e.key}")),
            "constituency_id": e.constituency_id,
            "occurred_at": e.occurred_at.isoformat(),
            "data": e.data,
        }
        for e in events
    ]
    sql = (
        "WITH events AS (SELECT * FROM jsonb_to_recordset(%(events)s::jsonb)"
        " AS e(event_id uuid, constituency_id bigint, occurred_at timestamptz, data jsonb))" + _INSERT
    )
    return _insert(sql, {"events": json.dumps(rows, default=str)}, event_type)


def events_emit_sql(*, event_type: EventType, select: str, params: dict[str, Any]) -> list[int]:
    """As events_emit, for events found by SQL (a set-based import): `select` returns the columns
    event_id (uuid), constituency_id, occurred_at, data (jsonb). Its text is the caller's own (no
    input in it); values go in `params`."""
    return _insert(f"WITH events AS ({select})" + _INSERT, params, event_type)


def _insert(sql: str, params: dict[str, Any], event_type: EventType) -> list[int]:
    params = {
        **params,
        "type": str(event_type),
        "pending": Delivery.State.PENDING,
        "active": Subscription.State.ACTIVE,
        "emitted_at": timezone.now(),
    }
    with connection.cursor() as cursor:
        # The telling hot path runs this: where no one subscribes to the event type, a look at the
        # small subscription table (median 0.20 ms, measured interleaved with the insert's 0.56 ms and
        # SELECT 1's 0.15 ms) is all it costs; with subscribers, the look and the insert.
        cursor.execute(_ANY_SUBSCRIBER, [Subscription.State.ACTIVE, str(event_type)])
        if not cursor.fetchone()[0]:
            return []
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        _queue(ids)
    return ids


def _queue(ids: list[int]) -> None:
    from labourhub.webhooks.tasks import webhook_deliveries_send_task

    transaction.on_commit(lambda: webhook_deliveries_send_task.delay(ids))


def _queue_due() -> None:
    from labourhub.webhooks.tasks import webhook_deliveries_due_task

    transaction.on_commit(lambda: webhook_deliveries_due_task.delay())


# --- Delivering ---------------------------------------------------------------------------------


def deliveries_send(*, delivery_ids: list[int], now: datetime | None = None) -> None:
    for delivery_id in delivery_ids:
        delivery_send(delivery_id=delivery_id, now=now)


def deliveries_send_due(*, now: datetime | None = None) -> int:
    """Send every pending delivery of an active subscription whose time has come; how many tried."""
    now = now or timezone.now()
    ids = list(
        Delivery.unscoped.filter(
            state=Delivery.State.PENDING,
            next_attempt_at__lte=now,
            subscription__state=Subscription.State.ACTIVE,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    deliveries_send(delivery_ids=ids, now=now)
    return len(ids)


def owner_allowed(subscription: Subscription, event_type: str) -> bool:
    owner = subscription.owner
    return (
        owner.is_active
        and can(owner, SUBSCRIBE_ACTION, subscription.constituency)
        and can(owner, EVENT_ACTIONS[EventType(event_type)], subscription.constituency)
    )


@transaction.atomic
def subscription_stop(*, subscription: Subscription, reason: str) -> None:
    """Stopped for good (shown as such): its pending deliveries are not sent."""
    _set_state(subscription, Subscription.State.STOPPED, user=None, reason=reason)
    Delivery.unscoped.filter(subscription=subscription, state=Delivery.State.PENDING).update(
        state=Delivery.State.STOPPED, next_attempt_at=None
    )


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """One attempt at a pending delivery whose time has come, holding its row lock throughout, so
    two workers never both send it and a delivered one is never sent again. The owner's grants are
    checked here, at send time: without them the subscription stops. Returns the delivery's state
    after, or None when it was not tried (locked by another worker, not pending, not due, paused)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.unscoped.select_for_update(of=("self",), skip_locked=True)
            .select_related("subscription__constituency", "subscription__owner")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != Delivery.State.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        subscription = delivery.subscription
        if subscription.state == Subscription.State.PAUSED:
            return None
        if subscription.state == Subscription.State.STOPPED or not owner_allowed(
            subscription, delivery.event_type
        ):
            if subscription.state != Subscription.State.STOPPED:
                subscription_stop(
                    subscription=subscription,
                    reason=f"{subscription.owner} may no longer see this data in {subscription.constituency}.",
                )
            delivery.state, delivery.next_attempt_at = Delivery.State.STOPPED, None
            delivery.save(update_fields=["state", "next_attempt_at"])
            return delivery.state
        status_code, excerpt, duration_ms = _post(subscription, delivery, now)
        Attempt.unscoped.create(
            delivery=delivery, at=now, status_code=status_code, excerpt=excerpt, duration_ms=duration_ms
        )
        delivery.attempts += 1
        if status_code is not None and 200 <= status_code < 300:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
                Delivery.State.DELIVERED,
                now,
                None,
            )
        elif delivery.attempts > len(BACKOFF):
            delivery.state, delivery.next_attempt_at = Delivery.State.FAILED, None
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        delivery.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at"])
        return delivery.state


def request_for(subscription: Subscription, delivery: Delivery, now: datetime) -> urllib.request.Request:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    return urllib.request.Request(  # noqa: S310  # the scheme is checked by url_problem before
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-LabourHub-Event": delivery.event_type,
            "X-LabourHub-Timestamp": timestamp,
            "X-LabourHub-Signature": signature(secret_read(subscription), timestamp, body),
            "Idempotency-Key": str(delivery.key),
        },
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (3xx, retried), never followed: it could point inside the network."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(subscription: Subscription, delivery: Delivery, now: datetime) -> tuple[int | None, str, int]:
    """(status code or None, the first characters of the answer or the error, milliseconds)."""
    problem = url_problem(subscription.url)
    if problem:
        return None, problem[:EXCERPT_LENGTH], 0
    started = time.monotonic()
    try:
        with _OPENER.open(request_for(subscription, delivery, now), timeout=TIMEOUT_SECONDS) as response:
            code, text = response.status, response.read(EXCERPT_LENGTH)
    except urllib.error.HTTPError as error:
        code, text = error.code, error.read(EXCERPT_LENGTH) if error.fp else b""
    except (OSError, ValueError) as error:  # refused, timed out, no such host, TLS
        return None, f"{error.__class__.__name__}: {error}"[:EXCERPT_LENGTH], _ms(started)
    return code, text.decode("utf-8", "replace")[:EXCERPT_LENGTH], _ms(started)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
