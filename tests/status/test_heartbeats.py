"""Heartbeats of the scheduled jobs, healthchecks.io style: up, late within the grace, then down."""

import re
from datetime import timedelta

from django.utils import timezone

from labourhub.status import probes
from labourhub.status.models import Heartbeat


def test_a_heartbeat_that_stops_turns_late_then_down(db):
    from members.tasks import member_email_sweep

    member_email_sweep()  # the real beat task: its last line pings
    beat = Heartbeat.objects.get(job="members-email-sweep")
    job = next(job for job in probes.scheduled_jobs() if job.job == "members-email-sweep")
    pinged = beat.last_ping_at
    assert job.state(beat, pinged + timedelta(seconds=60)) == "up"
    assert job.state(beat, pinged + timedelta(seconds=120)) == "late"  # past 1.5 periods, within grace
    probe = probes.heartbeat_probe(job, beat, pinged + timedelta(seconds=120))
    assert probe.ok and probe.slow  # late makes Member emails "slow", not down
    assert job.state(beat, pinged + timedelta(seconds=90 + 300 + 1)) == "down"
    assert not probes.heartbeat_probe(job, beat, pinged + timedelta(seconds=400)).ok
    member_email_sweep()
    beat.refresh_from_db()
    assert job.state(beat, timezone.now()) == "up"


def test_a_job_never_seen_is_new_then_down_when_it_never_comes(db):
    job = next(job for job in probes.scheduled_jobs() if job.job == "retention-nightly")
    assert job.state(None, timezone.now()) == "new"
    start = timezone.now()
    beat = Heartbeat.objects.create(job="retention-nightly", first_seen_at=start)
    assert job.state(beat, start + timedelta(hours=30)) == "up"  # nightly: late after 36 hours
    assert job.state(beat, start + timedelta(hours=36, minutes=30)) == "late"
    assert job.state(beat, start + timedelta(hours=37, minutes=1)) == "down"


def test_every_beat_task_pings_its_heartbeat():
    """Each scheduled job's task names its own beat entry in a heartbeat_ping (a job left out would
    show as 'not running' for ever)."""
    import importlib
    import inspect

    from django.conf import settings

    for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if key == probes.STATUS_JOB:
            continue
        module, name = entry["task"].rsplit(".", 1)
        source = inspect.getsource(getattr(importlib.import_module(module), name))
        assert re.search(rf'heartbeat_ping\(job="{re.escape(key)}"\)', source), key


def test_every_scheduled_job_has_a_plain_name_on_the_status_page():
    unnamed = [job.job for job in probes.scheduled_jobs() if job.name == job.job]
    assert not unnamed, f"add these beat jobs to labourhub.status.probes.JOB_NAMES: {unnamed}"
