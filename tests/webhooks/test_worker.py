"""Once through a real worker: a committed contact is POSTed to the receiver by the worker process."""

import pytest

from labourhub.webhooks.models import Delivery, EventType
from tests.webhooks.factories import subscribe
from tests.webhooks.test_delivery import knock


@pytest.fixture
def worker_may_call_localhost(monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")  # read by the worker process's settings


def test_the_worker_delivers_a_committed_contact(anytown, receiver, worker_may_call_localhost, celery_worker):
    _, secret = subscribe(anytown, receiver.url, [EventType.CONTACT_RECORDED])
    visit = knock(anytown)  # commits: the send is queued on commit
    celery_worker.wait_for(lambda: Delivery.unscoped.get().state == Delivery.State.DELIVERED)
    [got] = receiver.received
    assert got.json["data"]["contact_id"] == visit.contact_id
    assert got.headers["X-LabourHub-Signature"].startswith("sha256=")
    assert "webhook_deliveries_send_task" in celery_worker.log_path.read_text()
