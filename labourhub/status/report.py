"""What the status page shows, read once and shared by the live page, summary.json, the Atom feed and
the static snapshot (so the snapshot can only say what the page says)."""

import datetime
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from labourhub.status import probes
from labourhub.status.models import (
    Component,
    ComponentStatus,
    DailyUptime,
    Heartbeat,
    Incident,
    Maintenance,
    State,
)

DAYS = 90
STALE_AFTER = timedelta(minutes=3)  # no round for this long: the checks themselves have stopped
# Statuspage's words for the states, for tools that read summary.json.
STATUSPAGE_STATES = {
    State.OPERATIONAL: "operational",
    State.DEGRADED: "degraded_performance",
    State.PARTIAL_OUTAGE: "partial_outage",
    State.MAJOR_OUTAGE: "major_outage",
    State.MAINTENANCE: "under_maintenance",
}


@dataclass
class Day:
    day: datetime.date
    up: int = 0
    down: int = 0
    maintenance: int = 0

    @property
    def percent(self) -> float | None:
        measured = self.up + self.down
        return round(100 * self.up / measured, 2) if measured else None

    @property
    def level(self) -> str:
        if self.percent is None:
            return "maintenance" if self.maintenance else "none"
        return "up" if self.percent >= 99.9 else "partial" if self.percent >= 95 else "down"

    @property
    def label(self) -> str:
        text = f"{self.day:%d %b}: " + ("no data" if self.percent is None else f"{self.percent:g}% up")
        return text + (", maintenance" if self.maintenance else "")


@dataclass
class ComponentView:
    key: str
    name: str
    state: str
    since: datetime.datetime | None
    detail: str
    days: list[Day] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def uptime(self) -> float | None:
        return uptime_percent(self.days)

    @property
    def days_measured(self) -> int:
        """Days with a check round that counted (up or down): the figure is over these only."""
        return sum(1 for day in self.days if day.percent is not None)

    @property
    def uptime_text(self) -> str:
        """The figure in words, saying what it is over: a fresh install's first hour of checks is
        "100% up over 1 day with checks", not "100.0% up" under a 90-day bar."""
        if self.uptime is None:
            return "no data yet"
        days = self.days_measured
        return f"{self.uptime:g}% up over the {days} day{'s' if days != 1 else ''} with checks"

    @property
    def days_without_data(self) -> int:
        return len(self.days) - self.days_measured


def uptime_percent(days: list[Day]) -> float | None:
    """Rounds up ÷ (rounds measured − rounds in maintenance), over the days given."""
    up = sum(day.up for day in days)
    measured = up + sum(day.down for day in days)
    return round(100 * up / measured, 3) if measured else None


def page_context(*, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=DAYS - 1)
    statuses = {row.component: row for row in ComponentStatus.objects.all()}
    rollups: dict[tuple[str, datetime.date], DailyUptime] = {
        (row.component, row.day): row for row in DailyUptime.objects.filter(day__gte=first, day__lte=today)
    }
    components = []
    for component in Component:
        status = statuses.get(component.value)
        view = ComponentView(
            key=component.value,
            name=component.label,
            state=status.state if status else State.OPERATIONAL,
            since=status.since if status else None,
            detail=status.detail if status else "",
        )
        for offset in range(DAYS):
            day = first + timedelta(days=offset)
            row = rollups.get((component.value, day))
            view.days.append(
                Day(day, row.up_rounds, row.down_rounds, row.maintenance_rounds) if row else Day(day)
            )
        components.append(view)
    last_round = ComponentStatus.objects.aggregate(last=Max("checked_at"))["last"]
    beats = {beat.job: beat for beat in Heartbeat.objects.all()}
    jobs = [
        {"name": job.name, "state": job.state(beats.get(job.job), now)} for job in probes.scheduled_jobs()
    ]
    recent = now - timedelta(days=14)
    incidents = list(Incident.objects.filter(resolved_at=None).prefetch_related("updates")) + list(
        Incident.objects.filter(resolved_at__gte=recent).prefetch_related("updates")
    )
    maintenance = list(Maintenance.objects.filter(ends_at__gt=now).order_by("starts_at"))
    from labourhub.status.services import polling_day_mode

    return {
        "now": now,
        "components": components,
        "overall": _overall(components),
        "last_round": last_round,
        "stale": last_round is None or now - last_round > STALE_AFTER,
        "jobs": jobs,
        "incidents": incidents,
        "maintenance": [(item, item.starts_at <= now) for item in maintenance],
        "polling_day_mode": polling_day_mode(now=now),
        "component_names": dict(Component.choices),
    }


def _overall(components: list[ComponentView]) -> dict:
    states = {view.state for view in components}
    if State.MAJOR_OUTAGE in states:
        return {"indicator": "major", "description": "Some tools are down"}
    if State.PARTIAL_OUTAGE in states:
        return {"indicator": "major", "description": "Some tools are partly down"}
    if State.DEGRADED in states:
        return {"indicator": "minor", "description": "Some tools are slow"}
    if State.MAINTENANCE in states:
        return {"indicator": "maintenance", "description": "Maintenance in progress"}
    return {"indicator": "none", "description": "All tools working"}


def summary(context: dict) -> dict:
    """Statuspage's summary.json shape (page, status, components, incidents, scheduled_maintenances)."""
    names = context["component_names"]

    def iso(value):
        return value.isoformat() if value else None

    return {
        "page": {
            "name": "LabourHub",
            "url": f"{settings.SITE_URL}/status",
            "updated_at": iso(context["now"]),
        },
        "status": context["overall"],
        "last_check_at": iso(context["last_round"]),
        "checks_stopped": context["stale"],
        "polling_day_mode": context["polling_day_mode"],
        "components": [
            {
                "id": view.key,
                "name": view.name,
                "status": STATUSPAGE_STATES[State(view.state)],
                "updated_at": iso(view.since),
                "uptime_90_days": view.uptime,  # over the days with checks only (None: no data yet)
                "uptime_days_measured": view.days_measured,
            }
            for view in context["components"]
        ],
        "incidents": [
            {
                "id": incident.pk,
                "name": incident.title,
                "status": incident.status,
                "impact": incident.impact,
                "created_at": iso(incident.created_at),
                "updated_at": iso(incident.updated_at),
                "resolved_at": iso(incident.resolved_at),
                "components": [{"id": key, "name": names.get(key, key)} for key in incident.components],
                "incident_updates": [
                    {"status": update.status, "body": update.body, "created_at": iso(update.at)}
                    for update in incident.updates.all()
                ],
            }
            for incident in context["incidents"]
            if incident.resolved_at is None
        ],
        "scheduled_maintenances": [
            {
                "id": item.pk,
                "name": item.title,
                "status": "in_progress" if running else "scheduled",
                "scheduled_for": iso(item.starts_at),
                "scheduled_until": iso(item.ends_at),
                "components": [{"id": key, "name": names.get(key, key)} for key in item.components],
            }
            for item, running in context["maintenance"]
        ],
    }
