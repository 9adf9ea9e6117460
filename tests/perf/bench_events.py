"""Benchmark: a region's 500 events with 50,000 sign-ups (issue 17).

    .venv/bin/python tests/perf/bench_events.py [--events 500] [--signups 50000] [--repeat 40] [--keep]

1. makes a throwaway database (not timed): a region of 5 CLPs, each with 100 events (two shifts
   each, all tomorrow between 09:00 and 21:00) and its own pool of sign-up contacts; `--signups`
   bookings spread over the shifts (most booked, some waiting, cancelled or declined), by
   bulk_create in batches (so it follows the models whatever columns other work adds);
2. times, as an organiser with ORGANISE in all 5 CLPs, through the Django test client (the whole
   request: middleware, scoping, audit row, template):
   - the events list (upcoming, counts of booked/confirmed/attended/waiting per event),
   - an event's page (a random event, its shifts' fill and its ~100 sign-ups);
   and counts their queries with few and with all events (the same number is the target);
3. times planning the day-before reminders at 11:00 today for every booking tomorrow
   (`campaigns.events.due(now)` evaluated to the ids the sweep would send to);
4. times, in the same run and the same way, the trivial view (`campaigns:ping`).
The last line printed is one JSON object; targets: p95 < 100 ms for the pages, planning < 10 s.
"""

import argparse
import datetime
import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import analyze, percentile, setup_django  # noqa: E402

setup_django("bench_events", DEBUG="true")  # DEBUG: static files without a manifest

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

CLPS = 5
BATCH = 5000


def _tomorrow_at(hour):
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def seed(n_events, n_signups):
    """The region, its events and sign-ups. -> the organiser."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from campaigns.models import Event, EventContact, Shift, Signup
    from labourhub.models import Constituency, Grant, Region, Role, User

    with connection.cursor() as cursor:  # --keep with other sizes: the events go, the people stay
        for table in ("eventmessage", "signup", "eventcontact", "shift", "event"):
            cursor.execute(f"DELETE FROM campaigns_{table}")  # noqa: S608 (fixed table names)
    region, _ = Region.objects.get_or_create(code="E15099917", defaults={"name": "Eventland"})
    organiser = User.objects.filter(email="organiser@events.example").first()
    if organiser is None:
        organiser = User.objects.create_user(
            email="organiser@events.example", password=None, full_name="Organiser"
        )
        TOTP.activate(organiser, generate_totp_secret())  # officers and organisers must have MFA set up
    clps = []
    for i in range(CLPS):
        clp, _ = Constituency.objects.get_or_create(
            gss_code=f"E140999{i:02d}", defaults={"name": f"Event CLP {i}", "region": region}
        )
        Grant.all_objects.get_or_create(user=organiser, role=Role.ORGANISER, constituency=clp)
        clps.append(clp)
    rng = random.Random(17)
    kinds = [Event.Kind.CANVASS, Event.Kind.PHONE_BANK, Event.Kind.LEAFLETING, Event.Kind.TELLING]
    events = Event.unscoped.bulk_create(
        Event(
            constituency=clps[i % CLPS],
            kind=kinds[i % len(kinds)],
            title=f"Session {i} in {clps[i % CLPS].name}",
            meeting_area="Near the station",
            meeting_point=f"{i} Event Road",
            contact=organiser,
            created_by=organiser,
        )
        for i in range(n_events)
    )
    shifts = Shift.unscoped.bulk_create(
        Shift(
            event=event,
            starts_at=_tomorrow_at(9 + (i % 5) * 2 + half * 2),
            ends_at=_tomorrow_at(11 + (i % 5) * 2 + half * 2),
            role="canvasser",
            minimum=20,
            maximum=80,
        )
        for i, event in enumerate(events)
        for half in (0, 1)
    )
    per_clp = max(n_signups // CLPS, 1)
    contacts = {}
    for clp in clps:
        made = EventContact.unscoped.bulk_create(
            (
                EventContact(
                    constituency=clp,
                    name=f"Volunteer {n}",
                    email=f"v{n}.{clp.pk}@events.example",
                    consent_email=True,
                )
                for n in range(per_clp)
            ),
            batch_size=BATCH,
        )
        contacts[clp.pk] = made
    now = timezone.now()
    statuses = [Signup.Status.BOOKED] * 16 + [Signup.Status.WAITING, Signup.Status.CANCELLED,
                                                Signup.Status.DECLINED, Signup.Status.REQUESTED]  # fmt: skip
    signups, used = [], {}
    for n in range(n_signups):
        shift = shifts[n % len(shifts)]
        pool = contacts[shift.event.constituency_id]
        index = used.get(shift.pk, rng.randrange(len(pool)))
        used[shift.pk] = (index + 1) % len(pool)  # each shift takes contacts in turn: never twice
        status = statuses[n % len(statuses)]
        at = now - datetime.timedelta(days=1 + n % 20)
        signups.append(
            Signup(
                shift=shift,
                contact=pool[index],
                status=status,
                status_at=at,
                booked_at=at if status == Signup.Status.BOOKED else None,
                confirmed_at=now if n % 5 == 0 and status == Signup.Status.BOOKED else None,
                created_at=at,
            )
        )
        if len(signups) == BATCH:
            Signup.unscoped.bulk_create(signups)
            signups = []
    Signup.unscoped.bulk_create(signups)
    analyze()
    return organiser


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--signups", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database and reuse it next time")
    args = parser.parse_args()

    from campaigns import events as event_reads
    from campaigns.models import Event, EventMessage, Shift, Signup
    from labourhub.models import User

    settings.ALLOWED_HOSTS = ["*"]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep, serialize=False)
    try:
        organiser = User.objects.filter(email="organiser@events.example").first() if args.keep else None
        seeded_s = None
        same = (
            Event.unscoped.count() == args.events
            and Signup.unscoped.count() == args.signups
            and not Shift.unscoped.exclude(
                starts_at__date=timezone.localdate() + datetime.timedelta(days=1)
            ).exists()
        )  # kept data is reused only while its shifts are still tomorrow
        if organiser is None or not same:
            started = time.perf_counter()
            organiser = seed(args.events, args.signups)
            seeded_s = round(time.perf_counter() - started, 1)
        n_events = Event.unscoped.count()
        n_signups = Signup.unscoped.count()
        n_booked = Signup.unscoped.filter(status=Signup.Status.BOOKED).count()
        client = Client(secure=True)
        client.force_login(organiser)
        rng = random.Random(17)
        event_ids = list(Event.unscoped.values_list("pk", flat=True))
        list_url = reverse("campaigns:events")
        ping_url = reverse("campaigns:ping")

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        cpu = {}  # kind -> [requests, Django's CPU ms, Postgres backend's CPU ms]: load-independent

        def backend_ms():
            fields = backend_stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) * tick_ms  # utime + stime

        def get(url, kind=None):
            started, cpu_started, pg_started = time.perf_counter(), time.process_time(), backend_ms()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if kind:
                used = cpu.setdefault(kind, [0, 0.0, 0.0])
                used[0] += 1
                used[1] += (time.process_time() - cpu_started) * 1000
                used[2] += backend_ms() - pg_started
            return elapsed

        def queries(url):
            with CaptureQueriesContext(connection) as captured:
                get(url)
            return len(captured.captured_queries)

        get(list_url)  # warm
        get(ping_url)
        # As labourhub/wsgi.py does after start-up: what is loaded so far is frozen, out of the
        # collector's sight (a full collection walking it cost ~150 ms of one request in ten).
        gc.freeze()
        full_collections = gc.get_stats()[2]["collections"]
        times = {"list": [], "event": [], "ping": []}
        for _ in range(args.repeat):
            times["ping"].append(get(ping_url, "ping"))
            times["list"].append(get(list_url, "list"))
            times["event"].append(get(reverse("campaigns:event", args=[rng.choice(event_ids)]), "event"))
            times["event"].append(get(reverse("campaigns:event", args=[rng.choice(event_ids)]), "event"))

        # Planning the day-before reminders: at 11:00 today, for every booking tomorrow.
        now = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(11, 5)))
        plans = []
        for _ in range(3):
            started = time.perf_counter()
            due = list(event_reads.due(now)[EventMessage.Kind.DAY_BEFORE].values_list("pk", flat=True))
            plans.append(time.perf_counter() - started)
        result = {
            "events": n_events,
            "signups": n_signups,
            "bookings": n_booked,
            "seeded_s": seeded_s,
            "repeat": args.repeat,
            "p95_list_ms": percentile(times["list"], 95),
            "p95_event_ms": percentile(times["event"], 95),
            "baseline_ms": percentile(times["ping"], 95),
            "median_list_ms": round(statistics.median(times["list"]), 1),
            "median_event_ms": round(statistics.median(times["event"]), 1),
            "baseline_median_ms": round(statistics.median(times["ping"]), 1),
            # CPU per request, averaged over all of a kind (the clock ticks are 10 ms): the Django
            # process (test client: middleware, view, template) and its Postgres backend.
            "cpu_ms_per_request": {
                kind: {"django": round(django_ms / n, 1), "postgres": round(pg_ms / n, 1)}
                for kind, (n, django_ms, pg_ms) in cpu.items()
            },
            "reminder_plan_seconds": round(max(plans), 2),
            "reminder_plan_median_seconds": round(statistics.median(plans), 2),
            "reminders_planned": len(due),
            "queries": {
                "list": queries(list_url),
                "event_first": queries(reverse("campaigns:event", args=[event_ids[0]])),
                "event_last": queries(reverse("campaigns:event", args=[event_ids[-1]])),
            },
            "full_gc_collections": gc.get_stats()[2]["collections"] - full_collections,
            "load_avg": os.getloadavg()[0],
        }
    finally:
        connection.close()
        if not args.keep:
            creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
