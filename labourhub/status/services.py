"""The status page's writes: a check round, heartbeats, subscriptions, incidents' state, emails."""

import datetime
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from labourhub.apps import app_modules
from labourhub.models import Grant, Role
from labourhub.status import probes, snapshot
from labourhub.status.models import (
    DOWN_STATES,
    CheckResult,
    Component,
    ComponentStatus,
    DailyUptime,
    Heartbeat,
    Incident,
    Maintenance,
    State,
    StatusSubscriber,
    Transition,
)

logger = logging.getLogger(__name__)
FAILURES_BEFORE_DOWN = 2  # two failed rounds in a row: one blip never pages anyone
ROLLUP_KEEP_DAYS = 120
# Who may ask for the emails: officers, organisers and staff (and the platform's operators).
SUBSCRIBER_ROLES = (Role.CLP_SECRETARY, Role.CLP_OFFICER, Role.ORGANISER, Role.REGIONAL_STAFF, Role.ADMIN)


def heartbeat_ping(*, job: str, now: datetime.datetime | None = None) -> None:
    """A scheduled job says it ran (the last line of each beat task)."""
    now = now or timezone.now()
    updated = Heartbeat.objects.filter(job=job).update(last_ping_at=now)
    if not updated:
        Heartbeat.objects.get_or_create(job=job, defaults={"first_seen_at": now, "last_ping_at": now})


def polling_day_mode(*, now: datetime.datetime | None = None) -> bool:
    """Within STATUS_POLLING_DAY_WINDOW_DAYS of any election's poll date."""
    today = timezone.localdate(now or timezone.now())
    window = timedelta(days=settings.STATUS_POLLING_DAY_WINDOW_DAYS)
    return any(
        module.poll_dates(start=today - window, end=today + window)
        for module in app_modules("health")
        if hasattr(module, "poll_dates")
    )


def polling_days_between(*, start: datetime.datetime, end: datetime.datetime) -> list[datetime.date]:
    """Poll dates whose window (STATUS_POLLING_DAY_WINDOW_DAYS either side) meets [start, end]."""
    window = timedelta(days=settings.STATUS_POLLING_DAY_WINDOW_DAYS)
    first, last = timezone.localdate(start) - window, timezone.localdate(end) + window
    return sorted(
        {
            day
            for module in app_modules("health")
            if hasattr(module, "poll_dates")
            for day in module.poll_dates(start=first, end=last)
        }
    )


def status_check_round_if_due(*, queued_at: datetime.datetime | None = None) -> dict | None:
    """Beat queues a round every 30 s; outside polling-day mode every other one is skipped."""
    now = timezone.now()
    last = ComponentStatus.objects.aggregate(last=Max("checked_at"))["last"]
    if last is not None and (now - last).total_seconds() < 50 and not polling_day_mode(now=now):
        return None
    return status_check_round(queued_at=queued_at)


def status_check_round(
    *, now: datetime.datetime | None = None, queued_at: datetime.datetime | None = None
) -> dict[str, str]:
    """Run every probe, record a row per component, move states (two failures before down), roll the
    day up, record transitions (emailed by the worker) and write the static snapshot."""
    now = now or timezone.now()
    jobs = probes.scheduled_jobs()
    for job in jobs:  # a job is expected from the first round that knows it (healthchecks' "new")
        Heartbeat.objects.get_or_create(job=job.job, defaults={"first_seen_at": now})
    beats = {beat.job: beat for beat in Heartbeat.objects.all()}
    results = probes.run_probes(now=now, queued_at=queued_at, beats=beats)
    maintenance = _under_maintenance(now)
    states = {}
    with transaction.atomic():
        for component in Component:
            states[component.value] = _component_record(
                component=component, found=results[component], now=now, maintenance=component in maintenance
            )
        CheckResult.objects.filter(at__lt=now - timedelta(days=settings.STATUS_RAW_RETENTION_DAYS)).delete()
        DailyUptime.objects.filter(
            day__lt=timezone.localdate(now) - timedelta(days=ROLLUP_KEEP_DAYS)
        ).delete()
        if Transition.objects.filter(notified_at=None).exists():
            transaction.on_commit(_notify_queue)
    snapshot.snapshot_write(now=now)
    return states


def _notify_queue() -> None:
    """Queue the emails; with the broker down they wait for a round after it is back (the rows stay)."""
    from labourhub.status.tasks import status_notify_task

    try:
        status_notify_task.delay()
    except Exception:  # noqa: BLE001 - the broker being down is what the page is reporting
        logger.warning("status: the broker refused the notification task; the next round tries again")


def _under_maintenance(now: datetime.datetime) -> set[str]:
    return {
        key
        for components in Maintenance.objects.filter(starts_at__lte=now, ends_at__gt=now).values_list(
            "components", flat=True
        )
        for key in components
    }


def _component_record(*, component: Component, found: list, now: datetime.datetime, maintenance: bool) -> str:
    status, _ = ComponentStatus.objects.select_for_update().get_or_create(
        component=component, defaults={"since": now, "checked_at": now}
    )
    failed = [probe for probe in found if not probe.ok]
    slow = [probe for probe in found if probe.ok and probe.slow]
    status.failures_in_a_row = status.failures_in_a_row + 1 if failed else 0
    previous = status.state
    if maintenance:
        state = State.MAINTENANCE
    elif failed and status.failures_in_a_row >= FAILURES_BEFORE_DOWN:
        state = State.MAJOR_OUTAGE if len(failed) == len(found) else State.PARTIAL_OUTAGE
    elif failed:  # the first failure: keep the state it had (no flapping), but say what is wrong
        state = State(previous) if previous != State.MAINTENANCE else State.OPERATIONAL
    else:
        state = State.DEGRADED if slow else State.OPERATIONAL
    detail = "; ".join(probe.detail for probe in failed + slow if probe.detail)[:300]
    CheckResult.objects.create(
        component=component,
        at=now,
        state=state,
        failed=len(failed),
        probes=len(found),
        slowest_ms=max((probe.ms for probe in found), default=0),
        detail=detail,
    )
    column = (
        "maintenance_rounds"
        if state == State.MAINTENANCE
        else "down_rounds"
        if state in DOWN_STATES
        else "up_rounds"
    )
    day, _ = DailyUptime.objects.get_or_create(component=component, day=timezone.localdate(now))
    DailyUptime.objects.filter(pk=day.pk).update(**{column: F(column) + 1})
    if (previous in DOWN_STATES) != (state in DOWN_STATES):
        Transition.objects.create(component=component, from_state=previous, to_state=state, at=now)
    fields = ["failures_in_a_row", "checked_at", "detail"]
    if state != previous:
        status.state, status.since = state, now
        fields += ["state", "since"]
    status.checked_at, status.detail = now, detail
    status.save(update_fields=fields)
    return state


def status_transitions_notify() -> int:
    """Email subscribers each transition not yet sent, once: a transition is marked in the same
    transaction its email was handed to the SMTP server (a failed send is tried after the next round)."""
    sent = 0
    connection = None
    while True:
        with transaction.atomic():
            transition = (
                Transition.objects.select_for_update(skip_locked=True)
                .filter(notified_at=None)
                .order_by("at")
                .first()
            )
            if transition is None:
                break
            recipients = list(
                StatusSubscriber.objects.filter(user__is_active=True).values_list("user__email", flat=True)
            )
            if recipients:
                connection = connection or get_connection()
                _transition_message(transition, recipients, connection).send()
            transition.notified_at = timezone.now()
            transition.save(update_fields=["notified_at"])
            sent += 1
    if connection is not None:
        connection.close()
    return sent


def _transition_message(transition: Transition, recipients: list[str], connection: Any) -> EmailMessage:
    name = Component(transition.component).label
    down = transition.to_state in DOWN_STATES
    when = timezone.localtime(transition.at).strftime("%H:%M on %d %B %Y")
    subject = f"LabourHub: {name} is {'down' if down else 'working again'}"
    body = (
        f"{name} {'stopped working' if down else 'is working again'} at {when} "
        f"({State(transition.to_state).label.lower()}).\n\n"
        f"See {settings.SITE_URL}/status for the latest.\n\n"
        "You get these emails because you asked for them on the status page; turn them off there."
    )
    return EmailMessage(subject=subject, body=body, bcc=recipients, connection=connection)


def status_subscriber_may(*, user: Any) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or Grant.objects.filter(user=user, role__in=SUBSCRIBER_ROLES).exists()


def status_subscription_set(*, user: Any, subscribed: bool) -> bool:
    """Turn the down/recovered emails on or off for an officer; returns whether they are on."""
    if not status_subscriber_may(user=user):
        raise PermissionError("Only officers, organisers and staff can get status emails.")
    if subscribed:
        StatusSubscriber.objects.get_or_create(user=user)
    else:
        StatusSubscriber.objects.filter(user=user).delete()
    return subscribed


def incident_status_refresh(*, incident: Incident) -> Incident:
    """An incident's status is its latest update's; resolved_at is set when it is resolved."""
    latest = incident.updates.order_by("-at").first()
    if latest is not None:
        incident.status = latest.status
    resolved = incident.status == Incident.Status.RESOLVED
    incident.resolved_at = (
        (incident.resolved_at or (latest.at if latest else timezone.now())) if resolved else None
    )
    incident.save(update_fields=["status", "resolved_at", "updated_at"])
    return incident
