"""Stored answers of idempotent POSTs are forgotten after IDEMPOTENCY_KEEP_HOURS by a beat job."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from labourhub.api_v1.models import IdempotentRequest
from labourhub.models import Role
from labourhub.status.models import Heartbeat


def test_the_beat_job_forgets_old_answers_keeps_fresh_ones_and_pings(anytown):
    from labourhub.api_v1.tasks import idempotent_requests_forget_task
    from labourhub.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["api-idempotency-prune"]
    app.loader.import_default_modules()  # what the worker does: the beat's task name must be found
    assert entry["task"] in app.tasks
    user = anytown.user(Role.CANVASSER)
    keep = timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    old = IdempotentRequest.objects.create(
        user=user, key="old", request_hash="x", created_at=timezone.now() - keep - timedelta(minutes=1)
    )
    fresh = IdempotentRequest.objects.create(
        user=user, key="fresh", request_hash="x", created_at=timezone.now() - keep + timedelta(minutes=5)
    )
    idempotent_requests_forget_task()
    assert list(IdempotentRequest.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotentRequest.objects.filter(pk=old.pk).exists()
    assert Heartbeat.objects.get(job="api-idempotency-prune").last_ping_at is not None
