"""What webhooks keep for a limited time (labourhub.retention): each delivery with its payload and its
attempts (the delivery log), RETENTION_WEBHOOK_LOG_DAYS after it was queued."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from labourhub.retention import Category, Period
from labourhub.webhooks.models import Delivery

if TYPE_CHECKING:
    from labourhub.models import Constituency


def _due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    return Delivery.unscoped.filter(subscription__constituency=constituency, created_at__lt=cutoff)


def _remove(queryset: QuerySet[Any]) -> int:
    """Deletes the deliveries with their attempts."""
    return queryset.order_by().delete()[1].get(Delivery._meta.label, 0)


def _line(delivery: Delivery) -> str:
    return (
        f"{timezone.localtime(delivery.created_at):%d/%m/%Y %H:%M} · {delivery.event_type} · "
        f"{delivery.subscription.name} · {delivery.get_state_display()}"
    )


def webhook_categories() -> list[Category]:
    return [
        Category(
            key="webhook_deliveries",
            label="Webhook deliveries and their log (what was sent to integrations)",
            period=Period.DAYS,
            setting="RETENTION_WEBHOOK_LOG_DAYS",
            removes="deleted",
            due=_due,
            remove=_remove,
            describe=_line,
            related=("subscription",),
        )
    ]
