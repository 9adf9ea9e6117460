"""The public page, its arithmetic, the feeds, the snapshot, maintenance and subscriptions."""

import datetime
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labourhub.models import Role
from labourhub.status import report, services, snapshot
from labourhub.status.forms import MaintenanceForm
from labourhub.status.models import (
    Component,
    DailyUptime,
    Incident,
    IncidentUpdate,
    Maintenance,
    State,
    StatusSubscriber,
)
from labourhub.status.probes import Probe
from tests.gotv.factories import ElectionFactory

pytestmark = pytest.mark.django_db
OK, FAIL = Probe("p", True), Probe("p", False, detail="p: no answer")


def _round(component, found, at, maintenance=False):
    return services._component_record(component=component, found=found, now=at, maintenance=maintenance)


def test_ninety_day_uptime_leaves_maintenance_out():
    today = timezone.localdate()
    rows = [
        (1, 1440, 0, 0),
        (2, 1380, 60, 0),
        (3, 1000, 0, 440),
        (120, 0, 1440, 0),
    ]  # (days ago, up, down, maint)
    for ago, up, down, maint in rows:
        DailyUptime.objects.create(
            component=Component.API,
            day=today - timedelta(days=ago),
            up_rounds=up,
            down_rounds=down,
            maintenance_rounds=maint,
        )
    api = next(c for c in report.page_context()["components"] if c.key == Component.API)
    # 91 days ago and older is off the bar; maintenance rounds are in neither part of the fraction.
    assert api.uptime == round(100 * (1440 + 1380 + 1000) / (1440 + 1440 + 1000), 3) == 98.454
    days = {day.day: day for day in api.days}
    assert len(api.days) == 90 and days[today - timedelta(days=3)].percent == 100.0
    assert days[today - timedelta(days=2)].percent == pytest.approx(95.83, abs=0.01)
    assert days[today - timedelta(days=10)].level == "none"


def test_rounds_roll_up_per_day_two_failures_before_down_and_maintenance_apart():
    at = timezone.now()
    states = [
        _round(Component.API, [OK], at),
        _round(Component.API, [FAIL], at + timedelta(minutes=1)),  # a blip: still up
        _round(Component.API, [FAIL], at + timedelta(minutes=2)),  # twice: down
        _round(Component.API, [OK, FAIL], at + timedelta(minutes=3), maintenance=True),
        _round(Component.API, [OK, Probe("q", True, slow=True)], at + timedelta(minutes=4)),
    ]
    assert states == [
        State.OPERATIONAL,
        State.OPERATIONAL,
        State.MAJOR_OUTAGE,
        State.MAINTENANCE,
        State.DEGRADED,
    ]
    day = DailyUptime.objects.get(component=Component.API)
    assert (day.up_rounds, day.down_rounds, day.maintenance_rounds) == (3, 1, 1)


def test_the_page_shows_states_bars_and_the_formula(client):
    _round(Component.SYNC, [FAIL], timezone.now())
    _round(Component.SYNC, [FAIL], timezone.now())
    response = client.get("/status")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(
        r'id="name-sync">Canvassing on phones \(sync\)</span> <span class="state major_outage"', page
    )
    assert "uptime = check rounds up ÷ (check rounds run − rounds in maintenance) × 100" in page
    assert page.count('class="none" title=') == 90 * len(Component) - 1  # today has data for sync only


def test_the_public_page_shows_no_personal_data(client, anytown, otherton):
    secretary = anytown.user(Role.CLP_SECRETARY)
    StatusSubscriber.objects.create(user=secretary)
    _round(Component.SIGN_IN, [OK], timezone.now())
    client.force_login(secretary)
    for url in ("/status", "/status/summary.json", "/status/history.atom"):
        for signed_in in (True, False):
            if not signed_in:
                client.logout()
            body = client.get(url).content.decode()
            assert "@" not in body.replace("support@", ""), url  # no one's email address
            assert secretary.full_name not in body and "Anytown" not in body and "Otherton" not in body


def test_the_static_snapshot_says_what_the_live_page_says(client, settings, tmp_path):
    settings.STATUS_SNAPSHOT_DIR = str(tmp_path)
    now = timezone.now()
    _round(Component.MEMBER_EMAILS, [FAIL, OK], now)
    _round(Component.MEMBER_EMAILS, [FAIL, OK], now)
    _round(Component.API, [Probe("API", True, slow=True)], now)
    Maintenance.objects.create(
        title="Database upgrade",
        components=[Component.IMPORTS],
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    _round(Component.IMPORTS, [OK], now, maintenance=True)
    snapshot.snapshot_write(now=now)

    def states(html):
        return re.findall(r'id="name-(\w+)">[^<]*</span> <span class="state \w+" data-state="(\w+)"', html)

    live = states(client.get("/status").content.decode())
    assert live == states((tmp_path / "index.html").read_text())
    assert dict(live) == {
        **dict.fromkeys(Component.values, "operational"),
        "member_emails": "partial_outage",
        "api": "degraded",
        "imports": "maintenance",
    }
    written = json.loads((tmp_path / "summary.json").read_text())
    served = client.get("/status/summary.json").json()
    assert written["components"] == served["components"]
    assert written["scheduled_maintenances"][0]["status"] == "in_progress"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "summary.json"]  # no temporary left


def test_summary_json_has_statuspages_shape(client):
    incident = Incident.objects.create(title="Emails slow", components=[Component.MEMBER_EMAILS])
    IncidentUpdate.objects.create(
        incident=incident, status=Incident.Status.IDENTIFIED, body="A full queue.", at=timezone.now()
    )
    services.incident_status_refresh(incident=incident)
    data = client.get("/status/summary.json").json()
    assert set(data) >= {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert [c["name"] for c in data["components"]] == [
        "Signing in",
        "Canvassing on phones (sync)",
        "Phone bank",
        "Member emails",
        "Register and member imports",
        "Polling day",
        "API",
    ]
    assert data["incidents"][0]["status"] == "identified"
    assert data["incidents"][0]["components"] == [{"id": "member_emails", "name": "Member emails"}]
    assert data["status"]["indicator"] == "none"


def test_history_atom_is_valid_atom_with_incidents_and_maintenance(client):
    incident = Incident.objects.create(title="Sign-in failing", components=[Component.SIGN_IN])
    at = timezone.now()
    IncidentUpdate.objects.create(
        incident=incident, status=Incident.Status.INVESTIGATING, body="Looking.", at=at
    )
    IncidentUpdate.objects.create(
        incident=incident, status=Incident.Status.RESOLVED, body="Fixed.", at=at + timedelta(minutes=9)
    )
    services.incident_status_refresh(incident=incident)
    Maintenance.objects.create(
        title="Upgrade", components=[Component.API], starts_at=at, ends_at=at + timedelta(hours=1)
    )
    response = client.get("/status/history.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    assert feed.tag == f"{atom}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{atom}{required}") is not None
    entries = feed.findall(f"{atom}entry")
    assert {e.find(f"{atom}title").text for e in entries} == {
        "Sign-in failing (Resolved)",
        "Maintenance: Upgrade",
    }
    for entry in entries:
        assert entry.find(f"{atom}id").text and entry.find(f"{atom}updated").text
    incident.refresh_from_db()
    assert incident.resolved_at == at + timedelta(minutes=9)


def test_maintenance_cannot_be_scheduled_around_polling_day(settings):
    settings.STATUS_POLLING_DAY_WINDOW_DAYS = 1
    poll = timezone.localdate() + timedelta(days=10)
    ElectionFactory(poll_date=poll)
    starts = timezone.make_aware(datetime.datetime.combine(poll + timedelta(days=1), datetime.time(22)))
    data = {
        "title": "Upgrade",
        "components": ["api"],
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
    }
    form = MaintenanceForm(data=data)
    assert not form.is_valid()
    assert "cannot be scheduled around polling day" in str(form.errors)
    assert poll.strftime("%d %B %Y") in str(form.errors)
    data["starts_at"], data["ends_at"] = starts + timedelta(days=2), starts + timedelta(days=2, hours=2)
    assert MaintenanceForm(data=data).is_valid()


def test_polling_day_mode_around_an_election_runs_every_round(settings):
    settings.STATUS_POLLING_DAY_WINDOW_DAYS = 1
    assert not services.polling_day_mode()
    election = ElectionFactory(poll_date=timezone.localdate() + timedelta(days=1))
    assert services.polling_day_mode()
    election.poll_date = timezone.localdate() + timedelta(days=2)
    election.save(update_fields=["poll_date"])
    assert not services.polling_day_mode()


def test_officers_can_turn_status_emails_on_and_off_canvassers_cannot(client, anytown):
    secretary, canvasser = anytown.user(Role.CLP_SECRETARY), anytown.user(Role.CANVASSER)
    client.force_login(secretary)
    client.post(reverse("status:subscribe"), {"subscribed": "on"})
    assert StatusSubscriber.objects.filter(user=secretary).exists()
    client.post(reverse("status:subscribe"), {})
    assert not StatusSubscriber.objects.filter(user=secretary).exists()
    client.force_login(canvasser)
    assert client.post(reverse("status:subscribe"), {"subscribed": "on"}).status_code == 403
    assert not StatusSubscriber.objects.exists()


def test_a_fresh_install_says_no_data_and_its_figure_is_over_measured_days_only(client):
    page = client.get("/status").content.decode()
    assert "% up" not in page and page.count("no data yet") == 2 * len(Component)  # no rounds yet
    _round(Component.API, [OK], timezone.now())  # the first minute of checks
    page = client.get("/status").content.decode()
    api = page[page.index('id="component-api"') :]
    api = api[: api.index("</section>")]
    assert "100.0% up" not in api
    assert api.count("100% up over the 1 day with checks") == 2  # the figure and the bar's label
    assert "89 days no data" in api
    assert api.count(': no data"') == 89  # each empty day's bar reads "no data"
    assert "over the measured time only" in page
    data = client.get("/status/summary.json").json()
    api_json = next(c for c in data["components"] if c["id"] == Component.API)
    assert (api_json["uptime_90_days"], api_json["uptime_days_measured"]) == (100.0, 1)
