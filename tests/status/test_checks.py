"""The status page's checks against real services: the SMTP server, the broker, the live server."""

import json
import shutil
import socket
import subprocess
import time
from email import message_from_bytes

import pytest
from django.utils import timezone

from labourhub.celery import app as celery_app
from labourhub.status import services
from labourhub.status.models import (
    CheckResult,
    Component,
    ComponentStatus,
    State,
    StatusSubscriber,
    Transition,
)
from labourhub.status.tasks import ROUND_EXPIRES_SECONDS, status_check_round_task
from tests.conftest import _free_port, _reset_broker_connections

pytestmark = pytest.mark.django_db(transaction=True)

EMAILS = Component.MEMBER_EMAILS.value


def test_smtp_server_stopped_goes_down_after_two_rounds_and_comes_back(status_checks, smtp_server):
    states = services.status_check_round()
    assert states == dict.fromkeys(states, State.OPERATIONAL), CheckResult.objects.values(
        "component", "detail"
    )

    smtp_server.stop()
    # One failure is a blip: the state holds (no flapping), but the round's row records it.
    assert services.status_check_round()[EMAILS] == State.OPERATIONAL
    assert CheckResult.objects.filter(component=EMAILS).latest("at").failed == 1
    down = services.status_check_round()
    assert down[EMAILS] == State.PARTIAL_OUTAGE  # the server fails; the queue and the batches do not
    assert "Email server" in ComponentStatus.objects.get(component=EMAILS).detail
    assert down[Component.SIGN_IN.value] == State.OPERATIONAL  # nothing else is blamed

    smtp_server.start()
    assert services.status_check_round()[EMAILS] == State.OPERATIONAL
    assert list(Transition.objects.order_by("at").values_list("component", "to_state")) == [
        (EMAILS, State.PARTIAL_OUTAGE),
        (EMAILS, State.OPERATIONAL),
    ]


class RedisProcess:
    """A redis-server this test can stop and start again on the same port."""

    def __init__(self, tmp_path):
        self.binary = shutil.which("redis-server")
        self.port, self.dir, self.process = _free_port(), tmp_path, None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_broker(tmp_path):
    redis = RedisProcess(tmp_path)
    if redis.binary is None:
        pytest.skip("redis-server is not installed")
    redis.start()
    previous = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = (
        f"redis://127.0.0.1:{redis.port}/0",
        {},
    )
    _reset_broker_connections(celery_app)
    yield redis
    if redis.process.poll() is None:
        redis.stop()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = previous
    _reset_broker_connections(celery_app)


def test_broker_stopped_takes_imports_down_within_two_rounds_and_back(status_checks, redis_broker):
    imports = Component.IMPORTS.value
    assert services.status_check_round()[imports] == State.OPERATIONAL
    redis_broker.stop()
    services.status_check_round()
    down = services.status_check_round()
    # The queue fails; the import jobs' heartbeats are still in time: partly down.
    assert down[imports] == down[EMAILS] == State.PARTIAL_OUTAGE
    assert "Task queue: no answer" in ComponentStatus.objects.get(component=imports).detail
    redis_broker.start()
    _reset_broker_connections(celery_app)
    assert services.status_check_round()[imports] == State.OPERATIONAL


def test_a_round_through_the_real_worker_records_writes_the_snapshot_and_emails_subscribers(
    status_checks, smtp_server, celery_worker, anytown
):
    secretary = anytown.user(services.Role.CLP_SECRETARY)
    StatusSubscriber.objects.create(user=secretary)
    # A transition left unsent (say the SMTP server was down when it happened): the next round sends it.
    Transition.objects.create(
        component=EMAILS, from_state=State.OPERATIONAL, to_state=State.MAJOR_OUTAGE, at=timezone.now()
    )
    status_check_round_task.apply_async(expires=ROUND_EXPIRES_SECONDS)
    celery_worker.wait_for(lambda: not Transition.objects.filter(notified_at=None).exists(), timeout=90)
    assert CheckResult.objects.filter(component=Component.SYNC).get().state == State.OPERATIONAL
    summary = json.loads((status_checks / "summary.json").read_text())
    assert {c["id"]: c["status"] for c in summary["components"]} == dict.fromkeys(
        Component.values, "operational"
    ), summary
    subjects = [message_from_bytes(m["data"])["Subject"] for m in smtp_server.messages]
    assert subjects == ["LabourHub: Member emails is down"]
    assert secretary.email in smtp_server.messages[0]["rcpt_tos"]
    # Sent once: a second run finds nothing to send.
    assert services.status_transitions_notify() == 0
