"""Two workers on one delivery at once (a task delivered twice, beside the every-minute sweep): one
POST. The first holds the delivery's row lock while the receiver is answering; the second skips it."""

import threading
import time

import pytest
from django.db import connection

from labourhub.webhooks import services
from labourhub.webhooks.models import Delivery, EventType
from tests.webhooks.factories import subscribe
from tests.webhooks.test_delivery import knock


@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_is_not_sent_by_a_second_worker(anytown, receiver):
    subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    knock(anytown)
    delivery = Delivery.unscoped.get()
    receiver.hold.clear()
    outcome = {}

    def first_worker():
        outcome["first"] = services.delivery_send(delivery_id=delivery.pk)
        connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not receiver.received:  # until the first worker's POST is at the receiver (lock held)
            assert time.monotonic() < deadline, "the first worker never sent"
            thread.join(timeout=0.05)
        assert services.delivery_send(delivery_id=delivery.pk) is None  # locked: skipped
        assert services.deliveries_send_due() == 1  # the sweep finds it due, and skips it too
    finally:
        receiver.hold.set()
        thread.join(timeout=30)
    assert outcome["first"] == Delivery.State.DELIVERED
    assert services.delivery_send(delivery_id=delivery.pk) is None  # delivered: never again
    assert len(receiver.received) == 1
