"""Benchmark: /api/v1/ under gunicorn with a token: paging the whole register by cursor, and
contacts written through the API, against the trivial view in the same run (issue 18).

    .venv/bin/python tests/perf/bench_api.py [--rows 1000000] [--page-size 100] [--write-rate 200]
        [--write-seconds 20] [--workers 3] [--threads 1] [--worker-class sync|gthread]

1. makes a throwaway database (not timed): one constituency with 100 polling districts and N
   electors written by one set-based INSERT ... SELECT FROM generate_series (no ORM row by row), a
   campaign with a pack of 200 doors given to a canvasser; an organiser's token (electors:read) and
   the canvasser's (contacts:write). The rate limits are lifted for the run (API_RATE_LIMIT_*);
2. starts gunicorn as docker-compose does (production settings, 3 sync workers: each closes the
   connection after its answer, so every request opens one, as the proxy's would) and pages through
   every elector, `--page-size` a page, following each page's `next` cursor: every page timed;
3. offers `--write-rate` contacts a second for `--write-seconds` (20 clients, each on a steady
   interval), each a POST /api/v1/contacts/ with an Idempotency-Key, through the phone pages' service;
4. times, in the same run, the trivial view (`/campaigns/ping.json`) back to back from 20 clients.
For each of the three, the server's CPU per request (gunicorn workers + their Postgres backends, from
/proc: it does not depend on what else the machine runs); while the writes run, what Postgres's
backends wait on (pg_stat_activity, sampled every 0.2 s: a lock shows as Lock/<kind>), the load
generator's own CPU a write and how busy the machine's cores were in all.
`--canvassers N` spreads the writes over N canvassers, each with a token and a 200-door pack of their
own (1, the default: every write to one pack by one canvasser, as before).
The last line printed is one JSON object. Targets: p95_page_ms < 100, last_page_ms no more than
first_page_ms (keyset paging), p95_write_ms < 150 at 200 writes a second.
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

os.environ.setdefault("API_RATE_LIMIT_READS", "1000000")
os.environ.setdefault("API_RATE_LIMIT_WRITES", "1000000")

from tests.perf.bootstrap import (  # noqa: E402
    MachineCpu,
    Phone,
    ServerCpu,
    analyze,
    free_port,
    gunicorn,
    percentile,
    run_phones,
    setup_django,
)

setup_django("bench_api", DEBUG="true", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="false")

from django.db import connection  # noqa: E402

DISTRICTS = 100
CONNECTIONS = 20


def seed(rows, canvassers=1):
    """-> (organiser token secret, [(canvasser token secret, pack, its electors' ids)] per canvasser)."""
    from labourhub.api_v1.models import Scope
    from labourhub.api_v1.services import api_token_create
    from labourhub.models import Constituency, Grant, PollingDistrict, Region, Role, User, Ward
    from tests.campaigns.factories import campaign_with_survey, pack_with_doors
    from voters.models import Elector, Property

    region = Region.objects.create(name="Apiland", code="E15099918")
    constituency = Constituency.objects.create(name="Api", gss_code="E14099918", region=region)
    ward = Ward.objects.create(constituency=constituency, name="Api ward", code="E05099918")
    PollingDistrict.objects.bulk_create(
        PollingDistrict(constituency=constituency, ward=ward, code=f"AP{i:03d}") for i in range(DISTRICTS)
    )
    districts = list(PollingDistrict.objects.filter(constituency=constituency).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # g: 1..N, spread over the districts; constant text except the bound parameters.
        cursor.execute(
            f"""INSERT INTO {Elector._meta.db_table} (polling_district_id, elector_number, elector_suffix,
                  elector_number_raw, title, first_names, initials, surname, markers_raw, markers,
                  opted_out, on_register, first_seen_month, match_key, do_not_contact,
                  do_not_contact_reason, updated_at)
                SELECT (%s::bigint[])[1 + g %% %s], g, 0, g::text, '', 'Forename', '', 'Surname' || (g %% 5000),
                       '', '', false, true, date '2026-01-01', md5(g::text), false, '', now()
                FROM generate_series(1, %s) AS g""",  # noqa: S608  (the table name is the model's own)
            [districts, len(districts), rows],
        )
    organiser = User.objects.create_user(email="organiser@api.example", password=None)
    Grant.all_objects.create(user=organiser, role=Role.ORGANISER, constituency=constituency)
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(organiser, generate_totp_secret())
    _, read_secret = api_token_create(
        user=organiser, name="pager", scopes=[Scope.ELECTORS_READ], expires_at=None
    )
    campaign = campaign_with_survey(constituency, name="Api campaign")
    writers = []
    for n in range(canvassers):
        canvasser = User.objects.create_user(email=f"canvasser{n}@api.example", password=None)
        Grant.all_objects.create(user=canvasser, role=Role.CANVASSER, constituency=constituency)
        homes = Property.unscoped.bulk_create(
            Property(polling_district_id=districts[n % len(districts)], house_number=i, street=f"Api Street {n}",
                     address=f"{i} Api Street {n}", postcode="AP11AA", postcode_display="AP1 1AA",
                     address_key=f"{n:08x}{i:024x}")
            for i in range(1, 201)
        )  # fmt: skip
        electors = Elector.unscoped.filter(
            polling_district_id=districts[n % len(districts)], home__isnull=True
        )
        for home, elector in zip(homes, electors.order_by("pk")[:200], strict=False):
            Elector.unscoped.filter(pk=elector.pk).update(home=home)
        pack = pack_with_doors(campaign, homes)
        pack.assigned_to = canvasser
        pack.save(update_fields=["assigned_to"])
        _, write_secret = api_token_create(
            user=canvasser, name="writer", scopes=[Scope.CONTACTS_WRITE], expires_at=None
        )
        ids = list(Elector.unscoped.filter(home__in=homes).values_list("pk", flat=True))
        writers.append((write_secret, pack, ids))
    # Without statistics the planner took the 20,000-row register for ~2,000 and sorted it whole
    # for every page, first to last. VACUUM too, as autovacuum keeps a live register: left to itself
    # it vacuumed the million fresh rows (and the paging set their hint bits) while the writes ran,
    # ~8% of the machine's CPU taken from them at 1,000,000 rows (28 Nov, 13:16).
    analyze("VACUUM ANALYZE")
    return read_secret, writers


class Waits:
    """What the benchmark's Postgres backends wait on, sampled from pg_stat_activity on a connection
    of its own: {"Lock/transactionid": samples, ...}; "active" counts samples of a running query."""

    def __init__(self, interval=0.2):
        self.interval, self.counts, self.samples = interval, {}, 0
        self.stopping = threading.Event()

    def _run(self):
        from django.db import connection as own  # this thread's own connection

        try:
            while not self.stopping.wait(self.interval):
                with own.cursor() as cursor:
                    cursor.execute(
                        "SELECT wait_event_type, wait_event, state FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND state <> 'idle' AND backend_type = 'client backend'"
                    )
                    self.samples += 1
                    for kind, event, state in cursor.fetchall():
                        name = f"{kind}/{event}" if kind else state
                        self.counts[name] = self.counts.get(name, 0) + 1
        finally:
            own.close()

    def __enter__(self):
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def explain_pages(page_size):
    """EXPLAIN (ANALYZE, BUFFERS) of the electors list's query for the first page and the last, as the
    API runs it (scoped to the organiser, keyset on the primary key): [lines] for each."""
    from labourhub.models import User
    from labourhub.scoping import Action
    from voters.models import Elector

    organiser = User.objects.get(email="organiser@api.example")
    electors = Elector.objects.for_user(organiser, Action.VIEW_VOTERS).select_related(
        "polling_district", "home"
    )
    last = electors.order_by("-pk").values_list("pk", flat=True)[page_size]
    plans = {}
    for name, page in (("first", electors), ("last", electors.filter(pk__gt=last))):
        plan = page.order_by("pk")[: page_size + 1].explain(analyze=True, buffers=True)
        plans[name] = plan.splitlines()
    return plans


def with_token(port, secret):
    phone = Phone(port, {"session": "", "csrf": ""})
    phone.headers = {
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
    }
    return phone


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--write-rate", type=int, default=200)
    parser.add_argument("--write-seconds", type=int, default=20)
    # By default the site as docker-compose runs it: 3 sync workers (WEB_WORKERS), a connection a
    # request. Runs before 28 November 16:00 used `--workers 2 --threads 4 --worker-class gthread`.
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads a worker (gthread)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--canvassers", type=int, default=1, help="writers: each a token and a pack")
    args = parser.parse_args()

    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        read_secret, canvassers = seed(args.rows, args.canvassers)
        seed_s = round(time.perf_counter() - started)
        print(f"seeded {args.rows} electors in {seed_s} s", flush=True)
        plans = explain_pages(args.page_size)
        for name, plan in plans.items():
            print(f"--- {name} page\n" + "\n".join(plan), flush=True)
        port = free_port()
        with gunicorn(
            port, workers=args.workers, threads=args.threads, worker_class=args.worker_class
        ) as server:
            cpu = ServerCpu(server.pid)
            pager = with_token(port, read_secret)
            # each worker's first request imports the project: not timed
            for _ in range(args.workers * args.threads):
                with_token(port, read_secret).request("GET", "/api/v1/electors/?page_size=1")
            page_ms, seen = [], 0
            path = f"/api/v1/electors/?page_size={args.page_size}"
            cpu.start()
            while path:
                status, body, ms = pager.request("GET", path)
                assert status == 200, (status, body[:300])
                answer = json.loads(body)
                seen += len(answer["results"])
                page_ms.append(ms)
                nxt = answer["next"]
                path = nxt[nxt.index("/api/") :] if nxt else None
            page_cpu = (cpu.stop() / len(page_ms), cpu.postgres_ms / len(page_ms))
            assert seen == args.rows, (seen, args.rows)

            writers = [with_token(port, canvassers[i % len(canvassers)][0]) for i in range(CONNECTIONS)]

            def write(phone, i):
                _, pack, elector_ids = canvassers[i % len(canvassers)]
                body = {"pack": pack.pk, "elector": elector_ids[(i * 7 + int(time.time() * 1000)) % len(elector_ids)],
                        "outcome": "spoke"}  # fmt: skip
                phone.headers["Idempotency-Key"] = str(uuid.uuid4())
                status, data, ms = phone.request("POST", "/api/v1/contacts/", json.dumps(body))
                return status, ms

            cpu.start()
            machine = MachineCpu()
            machine.start()
            with Waits() as waits:
                results, seconds, errors = run_phones(
                    writers, args.write_seconds, write, interval=CONNECTIONS / args.write_rate
                )
            machine_busy, client_ms = machine.stop()
            writes = [r for per in results for r in per]
            write_cpu = (cpu.stop() / max(1, len(writes)), cpu.postgres_ms / max(1, len(writes)))
            ok = [ms for status, ms in writes if status in (200, 201)]
            bad = [status for status, ms in writes if status not in (200, 201)]

            pingers = [with_token(port, canvassers[0][0]) for _ in range(CONNECTIONS)]
            cpu.start()
            pings, ping_seconds, ping_errors = run_phones(
                pingers, 5, lambda phone, i: phone.request("GET", "/campaigns/ping.json")[0]
            )
            baseline = sum(len(p) for p in pings) / ping_seconds
            ping_cpu = (
                cpu.stop() / max(1, sum(len(p) for p in pings)),
                cpu.postgres_ms / max(1, sum(len(p) for p in pings)),
            )
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)
    result = {
        "rows": args.rows,
        "seed_s": seed_s,
        "canvassers": args.canvassers,
        "gunicorn": f"{args.workers} workers x {args.threads} threads ({args.worker_class})",
        "page_size": args.page_size,
        "pages": len(page_ms),
        "p95_page_ms": percentile(page_ms, 95),
        "first_page_ms": round(page_ms[0], 1),
        "last_page_ms": round(page_ms[-1], 1),
        "offered_writes_per_s": args.write_rate,
        "writes_per_s": round(len(ok) / seconds, 1),
        "p95_write_ms": percentile(ok, 95),
        "write_errors": len(bad) + len(errors),
        "baseline_req_per_s": round(baseline, 1),
        "server_cpu_ms_per_page": round(page_cpu[0], 2),
        "postgres_cpu_ms_per_page": round(page_cpu[1], 2),
        "server_cpu_ms_per_write": round(write_cpu[0], 2),
        "postgres_cpu_ms_per_write": round(write_cpu[1], 2),
        "server_cpu_ms_per_ping": round(ping_cpu[0], 2),
        "postgres_cpu_ms_per_ping": round(ping_cpu[1], 2),
        # while the writes ran: the load generator's (this process's) CPU a write, and how busy the
        # machine's cores were in all (1.0: every core busy, so the machine, not the server, set the rate)
        "client_cpu_ms_per_write": round(client_ms / max(1, len(writes)), 2),
        "machine_busy_during_writes": round(machine_busy, 3),
        # two cores' worth of CPU a second over a write's CPU: the most the machine could take
        "projected_writes_per_s_on_2_free_cores": round(2000 / write_cpu[0], 1) if write_cpu[0] else None,
        "page_plans_execution": {name: plan[-1] for name, plan in plans.items()},
        "wait_samples": waits.samples,
        "backend_waits": dict(sorted(waits.counts.items(), key=lambda kv: -kv[1])),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
