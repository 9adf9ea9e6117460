"""Webhooks against a real local HTTP receiver: signed, keyed, retried with back-off, never twice,
stopped when the owner's grant ends, and scoped to the subscription's CLP."""

import hashlib
import hmac
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.services import canvass_record_visit
from labourhub.models import Grant, Role
from labourhub.services import grant_revoke
from labourhub.webhooks import services
from labourhub.webhooks.models import Attempt, Delivery, EventType, Subscription
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ElectorFactory, PropertyFactory
from tests.webhooks.factories import subscribe

pytestmark = pytest.mark.django_db


def knock(clp, outcome="spoke"):
    """A door knocked in `clp` by its organiser, through the service the phone pages use."""
    campaign = clp.once(
        "campaign", lambda c: campaign_with_survey(c.constituency, name=f"{c.constituency.name} doors")
    )
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=clp.polling_district), surname="Anytownson"
    )
    return canvass_record_visit(
        canvasser=clp.user(Role.ORGANISER),
        campaign=campaign,
        elector=elector,
        outcome=outcome,
        client_uuid=uuid.uuid4(),
        answers=None,
        notes="Secret note about the dog",
    ).visit


def test_a_delivery_is_signed_keyed_and_verifies_with_the_secret(anytown, receiver):
    subscription, secret = subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    visit = knock(anytown)
    delivery = Delivery.unscoped.get()
    assert services.delivery_send(delivery_id=delivery.pk) == Delivery.State.DELIVERED
    [got] = receiver.received
    headers = {k.lower(): v for k, v in got.headers.items()}
    timestamp = headers["x-labourhub-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert headers["x-labourhub-signature"] == f"sha256={expected}"
    assert hmac.compare_digest(
        headers["x-labourhub-signature"], services.signature(secret, timestamp, got.body)
    )
    assert headers["x-labourhub-signature"] != services.signature("whsec_wrong", timestamp, got.body)
    assert headers["x-labourhub-event"] == "contact.recorded"
    assert headers["idempotency-key"] == str(delivery.key)
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    body = got.json
    assert (body["type"], body["constituency"], body["id"]) == (
        "contact.recorded",
        anytown.constituency.gss_code,
        str(delivery.event_id),
    )
    assert body["data"]["contact_id"] == visit.contact_id
    assert body["data"]["elector_id"] == visit.elector_id
    # The log: when, the code, the answer's first characters, how long.
    attempt = Attempt.unscoped.get()
    assert (attempt.status_code, attempt.excerpt) == (200, "ok")
    # The secret is stored encrypted, never as given.
    assert secret not in Subscription.unscoped.get().secret_encrypted


def test_a_receiver_that_is_down_gets_retries_and_nothing_twice_after_it_recovers(anytown, receiver):
    subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    knock(anytown)
    delivery = Delivery.unscoped.get()
    key = str(delivery.key)
    receiver.stop()
    start = timezone.now()
    assert services.delivery_send(delivery_id=delivery.pk, now=start) == Delivery.State.PENDING
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    # Not due yet: nothing is tried.
    assert services.deliveries_send_due(now=start + timedelta(seconds=30)) == 0
    # Still down a minute later; then the receiver answers 503 once: retried at 1 and 5 minutes.
    assert services.deliveries_send_due(now=start + timedelta(minutes=1)) == 1
    receiver.start()
    receiver.answers = [503]
    assert services.deliveries_send_due(now=start + timedelta(minutes=4)) == 0
    assert services.deliveries_send_due(now=start + timedelta(minutes=6)) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.PENDING, 3)
    assert delivery.next_attempt_at == start + timedelta(minutes=6) + timedelta(minutes=30)
    # Recovered: delivered at the next try, with the same idempotency key as every attempt.
    assert services.deliveries_send_due(now=start + timedelta(minutes=40)) == 1
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    assert [r.headers["Idempotency-Key"] for r in receiver.received] == [key, key]
    codes = list(Attempt.unscoped.order_by("at").values_list("status_code", flat=True))
    assert codes == [None, None, 503, 200]
    assert "Connection" in Attempt.unscoped.order_by("at").first().excerpt
    # Never sent again, whatever runs later.
    assert services.deliveries_send_due(now=start + timedelta(days=2)) == 0
    assert services.delivery_send(delivery_id=delivery.pk, now=start + timedelta(days=2)) is None
    assert len(receiver.received) == 2


def test_after_the_last_retry_the_delivery_has_failed(anytown, receiver):
    subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    knock(anytown)
    delivery = Delivery.unscoped.get()
    receiver.answers = [500] * 10
    now = timezone.now()
    for _ in range(len(services.BACKOFF) + 1):
        services.delivery_send(delivery_id=delivery.pk, now=now)
        now += timedelta(days=1)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (Delivery.State.FAILED, 6, None)
    assert services.deliveries_send_due(now=now + timedelta(days=1)) == 0
    assert len(receiver.received) == 6


def test_a_subscription_whose_owner_lost_the_grant_stops(anytown, receiver):
    owner = anytown.user(Role.CLP_SECRETARY)
    subscription, _ = subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    knock(anytown)
    grant_revoke(grant=Grant.objects.get(user=owner), revoked_by=anytown.user(Role.ADMIN))
    delivery = Delivery.unscoped.get()
    assert services.delivery_send(delivery_id=delivery.pk) == Delivery.State.STOPPED
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.STOPPED
    assert "may no longer see" in subscription.stopped_reason
    assert receiver.received == []
    # No further deliveries: a new contact queues nothing for it.
    knock(anytown)
    assert Delivery.unscoped.count() == 1
    assert services.deliveries_send_due(now=timezone.now() + timedelta(days=1)) == 0
    assert receiver.received == []


def test_another_clps_contact_never_reaches_this_clps_subscription(anytown, otherton, receiver):
    ours, _ = subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    theirs, _ = subscribe(otherton, receiver.url + "/otherton", [EventType.CONTACT_RECORDED])
    knock(otherton)
    assert list(Delivery.unscoped.values_list("subscription", flat=True)) == [theirs.pk]
    services.deliveries_send_due(now=timezone.now())
    assert [r.path for r in receiver.received] == ["/hook/otherton"]
    assert receiver.received[0].json["constituency"] == otherton.constituency.gss_code


def test_a_rolled_back_write_emits_nothing(anytown, receiver):
    subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    with pytest.raises(RuntimeError), transaction.atomic():
        knock(anytown)
        assert Delivery.unscoped.count() == 1
        raise RuntimeError("the write failed after the visit")
    assert Delivery.unscoped.count() == 0


def test_the_send_is_queued_only_when_the_write_commits(
    anytown, receiver, django_capture_on_commit_callbacks
):
    subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    with django_capture_on_commit_callbacks() as callbacks:
        knock(anytown)
    assert len(callbacks) == 1  # the send task, queued for after the commit


def test_with_no_subscription_a_write_queues_nothing(
    anytown, otherton, receiver, django_capture_on_commit_callbacks
):
    subscribe(otherton, receiver.url, [EventType.CONTACT_RECORDED])
    with django_capture_on_commit_callbacks() as callbacks:
        knock(anytown)
    assert callbacks == []
    assert not Delivery.unscoped.exists()


def test_a_paused_subscription_queues_but_sends_nothing_until_resumed(anytown, receiver):
    subscription, _ = subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    knock(anytown)
    owner = anytown.user(Role.CLP_SECRETARY)
    services.subscription_pause(user=owner, subscription=subscription)
    knock(anytown)  # a paused subscription gets nothing new
    assert Delivery.unscoped.count() == 1
    assert services.deliveries_send_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert services.delivery_send(delivery_id=Delivery.unscoped.get().pk) is None
    services.subscription_resume(user=owner, subscription=subscription)
    assert services.deliveries_send_due(now=timezone.now() + timedelta(seconds=1)) == 1
    assert len(receiver.received) == 1


def test_a_redirect_is_not_followed(anytown, receiver):
    subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    knock(anytown)
    receiver.answers = [302]
    services.deliveries_send_due(now=timezone.now())
    assert len(receiver.received) == 1
    assert Attempt.unscoped.get().status_code == 302
    assert Delivery.unscoped.get().state == Delivery.State.PENDING


def test_the_test_button_sends_a_signed_ping(anytown, receiver):
    subscription, secret = subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    delivery = services.subscription_test(user=anytown.user(Role.CLP_SECRETARY), subscription=subscription)
    assert services.delivery_send(delivery_id=delivery.pk) == Delivery.State.DELIVERED
    [got] = receiver.received
    assert got.json["type"] == "ping"
    assert got.headers["X-LabourHub-Signature"] == services.signature(
        secret, got.headers["X-LabourHub-Timestamp"], got.body
    )
