"""Webhook deliveries and their log expire (RETENTION_WEBHOOK_LOG_DAYS), per CLP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labourhub import retention
from labourhub.services import retention_apply
from labourhub.webhooks.models import Attempt, Delivery, EventType
from tests.webhooks.factories import subscription_made

pytestmark = pytest.mark.django_db


def _delivery(subscription, age_days, n):
    at = timezone.now() - timedelta(days=age_days)
    delivery = Delivery.unscoped.create(
        subscription=subscription,
        event_type=EventType.CONTACT_RECORDED,
        event_id=f"00000000-0000-0000-0000-{n:012d}",
        occurred_at=at,
        payload={"data": {"name": "Ann Anytownley"}},
        state=Delivery.State.DELIVERED,
        created_at=at,
    )
    Attempt.unscoped.create(delivery=delivery, at=at, status_code=200)
    return delivery


def test_old_deliveries_go_with_their_attempts_and_only_in_their_clp(anytown, otherton, settings):
    settings.RETENTION_WEBHOOK_LOG_DAYS = 30
    ours, theirs = subscription_made(anytown), subscription_made(otherton)
    old, new = _delivery(ours, 31, 1), _delivery(ours, 29, 2)
    other_old = _delivery(theirs, 31, 3)
    category = retention.category("webhook_deliveries")
    assert category.in_words() == "30 days"
    due = {
        d.category.key: set(d.queryset.values_list("pk", flat=True))
        for d in retention.due(anytown.constituency, timezone.now())
    }
    assert due["webhook_deliveries"] == {old.pk}
    removed = retention_apply(constituency=anytown.constituency, at=timezone.now())
    assert removed["webhook_deliveries"] == 1
    assert set(Delivery.unscoped.values_list("pk", flat=True)) == {new.pk, other_old.pk}
    assert Attempt.unscoped.count() == 2
