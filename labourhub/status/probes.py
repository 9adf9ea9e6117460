"""The synthetic checks: each component's real path, tried the way its users reach it.

A probe returns a Probe and never raises: a failure is a result, written in plain words (no personal
data: the probe account has no grants and sends an empty batch). The worker runs them
(labourhub.status.services.status_check_round); HTTP probes go through STATUS_CHECK_BASE_URL, so the
web server, the application and the database are all on the path."""

import json
import secrets
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.urls import reverse

from labourhub.apps import app_modules
from labourhub.status.models import Component, Heartbeat


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    ms: int = 0
    slow: bool = False
    detail: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the probe judges the redirect itself


_OPENER = urllib.request.build_opener(_NoRedirect)


class ProbeSession:
    """A signed-in session of the probe account (no grants, no password) for one round, deleted after."""

    def __init__(self) -> None:
        self.store = None

    def __enter__(self) -> "ProbeSession":
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            email=settings.STATUS_PROBE_EMAIL, defaults={"full_name": "Status check"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(300)
        store.save()
        self.store = store
        self.csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        return self

    def __exit__(self, *exc) -> None:
        if self.store is not None:
            self.store.delete()

    def cookie(self) -> str:
        return f"{settings.SESSION_COOKIE_NAME}={self.store.session_key}; {settings.CSRF_COOKIE_NAME}={self.csrf}"


def http_probe(
    name: str,
    path: str,
    *,
    expect: int,
    session: ProbeSession | None = None,
    body: dict | None = None,
    check: Callable[[bytes], bool] | None = None,
) -> Probe:
    url = settings.STATUS_CHECK_BASE_URL + path
    headers = {"User-Agent": "LabourHub status check", "Accept": "text/html,application/json"}
    if session is not None:
        headers["Cookie"] = session.cookie()
        headers["X-CSRFToken"] = session.csrf
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    # STATUS_CHECK_BASE_URL is from settings (http or https), never from a request.
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")  # noqa: S310
    started = time.monotonic()
    try:
        with _OPENER.open(request, timeout=settings.STATUS_CHECK_TIMEOUT_SECONDS) as response:  # noqa: S310
            code, content = response.status, response.read()
    except urllib.error.HTTPError as error:
        code, content = error.code, error.read()
    except (OSError, ValueError) as error:
        return Probe(name, False, _ms(started), detail=f"{name}: no answer ({error.__class__.__name__})")
    ms = _ms(started)
    if code != expect:
        return Probe(name, False, ms, detail=f"{name}: answered {code}, expected {expect}")
    if check is not None and not check(content):
        return Probe(name, False, ms, detail=f"{name}: answered, but not as expected")
    return Probe(
        name,
        True,
        ms,
        slow=ms > settings.STATUS_SLOW_MS,
        detail=f"{name}: slow ({ms} ms)" if ms > settings.STATUS_SLOW_MS else "",
    )


def _sync_answered(content: bytes) -> bool:
    try:
        return json.loads(content).get("results") == []
    except (ValueError, AttributeError):
        return False


def smtp_probe() -> Probe:
    """The SMTP server's answer to EHLO and NOOP (nothing is sent)."""
    name = "Email server"
    if not settings.EMAIL_HOST:
        return Probe(name, True, detail="no email server configured (development: emails are printed)")
    started = time.monotonic()
    try:
        with smtplib.SMTP(
            settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.STATUS_CHECK_TIMEOUT_SECONDS
        ) as smtp:
            smtp.ehlo()
            code, _ = smtp.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Probe(name, False, _ms(started), detail=f"{name}: no answer ({error.__class__.__name__})")
    ms = _ms(started)
    if code != 250:
        return Probe(name, False, ms, detail=f"{name}: answered {code} to NOOP")
    return Probe(name, True, ms, slow=ms > settings.STATUS_SLOW_MS)


def email_lag_probe(now: datetime) -> Probe:
    name = "Email sending"
    lag = max((module.email_batch_lag(now=now) for module in _health("email_batch_lag")), default=0.0)
    limit = settings.STATUS_EMAIL_LAG_SECONDS
    if lag > 3 * limit:
        return Probe(
            name, False, detail=f"{name}: the oldest waiting batch has waited {int(lag // 60)} minutes"
        )
    if lag > limit:
        return Probe(name, True, slow=True, detail=f"{name}: emails waiting {int(lag // 60)} minutes")
    return Probe(name, True)


def broker_probe(queued_at: datetime | None, now: datetime) -> Probe:
    """The broker answers; its queue's depth, and how long this round's own task waited in it."""
    from labourhub.celery import app as celery_app

    name = "Task queue"
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            depth = _queue_depth(conn)
    except Exception as error:  # noqa: BLE001 - any failure to reach the broker is the finding
        return Probe(name, False, _ms(started), detail=f"{name}: no answer ({error.__class__.__name__})")
    ms = _ms(started)
    waited = (now - queued_at).total_seconds() if queued_at else 0.0
    notes = []
    if depth > settings.STATUS_QUEUE_DEPTH_SLOW:
        notes.append(f"{depth} tasks waiting")
    if waited > settings.STATUS_QUEUE_AGE_SECONDS:
        notes.append(f"tasks wait {int(waited)} s")
    return Probe(name, True, ms, slow=bool(notes), detail=f"{name}: " + ", ".join(notes) if notes else "")


def _queue_depth(conn) -> int:
    if conn.transport.driver_type == "filesystem":
        folder = Path(conn.transport_options.get("data_folder_in", "."))
        return sum(1 for _ in folder.glob("*.msg"))
    return conn.default_channel.client.llen("celery")


# --- Heartbeats of the scheduled jobs (healthchecks.io's dead-man's switch) -----------------------

STATUS_JOB = "status-check-round"
JOB_NAMES = {
    "access-sweep": "Access requests: escalations, reminders and expiries",
    "members-email-sweep": "Member emails: scheduled sends and retries",
    "voters-import-sweep": "Register imports: clearing up stopped imports",
    "members-import-sweep": "Member imports: clearing up stopped imports",
    "casework-mailbox-poll": "Casework: reading the offices' mailboxes",
    "dataprotection-remind": "Data-subject requests: deadline reminders",
    "retention-nightly": "Retention: removing expired records (nightly)",
    "casework-chasers": "Casework: chasing overdue replies",
    "casework-retention": "Casework: anonymising old cases (nightly)",
    "campaigns-event-reminders": "Event reminders",
    "webhooks-due": "Webhooks: delivering and retrying",
    "api-idempotency-prune": "API: forgetting old repeat-safe answers",
}
JOB_COMPONENTS = {
    "members-email-sweep": Component.MEMBER_EMAILS,
    "voters-import-sweep": Component.IMPORTS,
    "members-import-sweep": Component.IMPORTS,
}


@dataclass(frozen=True)
class Job:
    job: str
    name: str
    period: float
    grace: float

    @property
    def late_after(self) -> float:
        return self.period * 1.5  # a beat interval plus the task's own run time

    def state(self, beat: Heartbeat | None, now: datetime) -> str:
        """ "up", "late" (past its period, within the grace) or "down"; "new" before it was expected."""
        if beat is None:
            return "new"
        age = (now - (beat.last_ping_at or beat.first_seen_at)).total_seconds()
        if age <= self.late_after:
            return "up"
        return "late" if age <= self.late_after + self.grace else "down"


def scheduled_jobs() -> list[Job]:
    jobs = []
    for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if key == STATUS_JOB:
            continue
        schedule = entry["schedule"]
        if isinstance(schedule, int | float):
            period = float(schedule)
        elif isinstance(schedule, timedelta):
            period = schedule.total_seconds()
        else:
            period = 24 * 3600.0  # our crontab entries are nightly
        grace = min(max(period, 300.0), 3600.0)
        jobs.append(Job(key, JOB_NAMES.get(key, key), period, grace))
    return jobs


def heartbeat_probe(job: Job, beat: Heartbeat | None, now: datetime) -> Probe:
    state = job.state(beat, now)
    if state == "down":
        return Probe(job.name, False, detail=f"{job.name}: has not run when due")
    return Probe(job.name, True, slow=state == "late", detail=f"{job.name}: late" if state == "late" else "")


def _health(function: str):
    return [module for module in app_modules("health") if hasattr(module, function)]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def run_probes(
    *, now: datetime, queued_at: datetime | None, beats: dict[str, Heartbeat]
) -> dict[str, list[Probe]]:
    """Every component's probes for one round."""
    jobs = {job.job: job for job in scheduled_jobs()}
    broker = broker_probe(queued_at, now)
    with ProbeSession() as session:
        results = {
            Component.SIGN_IN: [http_probe("Sign-in page", reverse("account_login"), expect=200)],
            Component.SYNC: [
                http_probe(
                    "Phone sync",
                    reverse("campaigns:sync"),
                    expect=200,
                    session=session,
                    body={"answers": []},
                    check=_sync_answered,
                )
            ],
            Component.PHONE_BANK: [
                http_probe(
                    "Call lists", reverse("campaigns:calllist", kwargs={"pk": 0}), expect=404, session=session
                )
            ],
            Component.MEMBER_EMAILS: [smtp_probe(), email_lag_probe(now), broker],
            Component.IMPORTS: [broker],
            Component.POLLING_DAY: [
                http_probe(
                    "Tellers' numbers",
                    reverse("gotv:telling_sync"),
                    expect=200,
                    session=session,
                    body={"entries": []},
                    check=_sync_answered,
                )
            ],
            Component.API: [http_probe("API", reverse("api-root"), expect=200, session=session)],
        }
    for key, component in JOB_COMPONENTS.items():
        if key in jobs:
            results[component].append(heartbeat_probe(jobs[key], beats.get(key), now))
    return results
