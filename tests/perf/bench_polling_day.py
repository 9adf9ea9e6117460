"""Benchmark: a polling-day peak against the app under gunicorn (production settings, DEBUG off).

    .venv/bin/python tests/perf/bench_polling_day.py [--seconds 120] [--small]

1. makes a throwaway database: one constituency, an election today with 60 boxes (one polling
   district each, 1,000 electors per box on the election's register publication), 300 tellers,
   100 knockers each with a 300-door pack, 10 organisers watching boards (not timed);
2. starts gunicorn on the project (the same settings and middleware as production);
3. baseline: every simulated user hammers the trivial view (`campaigns:ping`, as the other
   benchmarks; /healthz also probes the broker) for a few seconds, back to back: requests/s; then the
   tellers alone, back to back, for as long: the server CPU (gunicorn workers + their Postgres
   backends, from /proc) per request of each, which does not depend on what else the machine runs;
4. capacity (--capacity-seconds): the tellers post numbers back to back (one telling per request,
   as a phone with signal sends it; numbers drawn at random from the box's register, so some are
   already told; one in fifty re-sent as after a lost reply) while the knockers refresh their
   300-door pack and post an outcome every --knocker-interval s and the boards refresh every
   --board-interval s: the most tellings/s the server takes with the rest running (tellings_per_s;
   ratio_vs_baseline compares its request rate with the baseline's);
5. steady peak (--seconds): the same, with the tellers paced to --target tellings/s in all
   (staggered; or 90% of capacity if lower): the p95 latencies as tellers, knockers and boards see
   them;
6. counts what arrived: every acknowledged telling UUID must be in Postgres exactly once
   (lost / duplicated), and the VoteRecords must equal the distinct electors told.
The last line printed is one JSON object.

Load generator: threads with http.client (keep-alive, one connection per simulated user), as
bench_canvass_sync: no async HTTP client is installed. It runs on the same 2 cores as the server, so
its CPU share (reported as client_cpu_s) is taken from the server.

Knock-up packs and the board: the knock-up and board pages are being built on another branch
(gotv-board). Until they exist, `--knockup-pack-url`/`--knockup-post-url`/`--board-url` default to
stand-ins that do comparable work: the canvassing pack download of the same 300 doors
(campaigns:pack_data), the canvassing sync for the outcome (campaigns:sync, outcome not_in), and the
agents' counts page (gotv:telling_counts) for the board. The JSON says which were used.
"""

import argparse
import http.client
import json
import os
import random
import resource
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import database_url, setup_django  # noqa: E402

setup_django("bench_polling_day", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="false")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

# The canvass benchmark's simulated phone (one keep-alive connection, a session) and its thread loop.
from tests.perf.bench_canvass_sync import Phone, free_port, percentile, run_phones  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PACK_DOORS = 300


def _session(user):
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return {"session": session.session_key, "csrf": _get_new_csrf_string()}


class ServerCpu:
    """CPU seconds used by the gunicorn workers under `master` and the Postgres backends serving the
    benchmark's database (both from /proc), between start() and stop() (returns milliseconds)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master):
        self.master = master

    def _pids(self):
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [str(row[0]) for row in cursor.fetchall()]
        self.backends = set(backends)
        return children + backends

    def _ticks(self):
        ticks = {}
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
        return ticks

    def start(self):
        self.before = self._ticks()

    def stop(self):
        """Total milliseconds; `self.postgres_ms` is the Postgres backends' share."""
        after = self._ticks()
        used = {pid: t - self.before.get(pid, 0) for pid, t in after.items()}
        self.postgres_ms = sum(t for pid, t in used.items() if pid in self.backends) * 1000 / self.TICK
        return sum(used.values()) * 1000 / self.TICK


def seed(*, boxes, electors_per_box, tellers, knockers, boards):
    """The election, its boxes and register, and the simulated users (see the module docstring)."""
    import datetime
    import importlib

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.apps import apps

    from campaigns.models import Pack, PackDoor, WalkList
    from campaigns.services import survey_create
    from gotv.models import BallotBox, BallotBoxDistrict, PollingStation
    from gotv.offline import download_token_issue
    from gotv.services import election_create
    from labourhub.models import Constituency, PollingDistrict, Region, Role, User
    from labourhub.services import grant_create
    from voters.models import Elector, Property, RegisterEntry, RegisterPublication

    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)
    region = Region.objects.create(name="Benchland", code="E15099903")
    constituency = Constituency.objects.create(name="Bench", gss_code="E14099903", region=region)
    publication = RegisterPublication.objects.create(
        constituency=constituency, published_on=timezone.localdate() - datetime.timedelta(days=150)
    )
    election = election_create(
        constituency=constituency,
        kind="general",
        name="Bench general election",
        poll_date=timezone.localdate(),
        publication=publication,
        polls_open=datetime.time(0, 0),
        polls_close=datetime.time(23, 59, 59),
    )
    survey_create(campaign=election.campaign, name="Knock-up")
    month = timezone.localdate().replace(day=1)
    box_rows, homes_all = [], []
    for b in range(boxes):
        pd = PollingDistrict.objects.create(constituency=constituency, code=f"BX{b:02d}")
        station = PollingStation.unscoped.create(election=election, name=f"Station {b}")
        box = BallotBox.unscoped.create(election=election, station=station, label=f"Box {b}")
        BallotBoxDistrict.objects.create(box=box, polling_district=pd)
        homes = Property.unscoped.bulk_create(
            Property(
                polling_district=pd,
                address_key=f"{n} BENCH ROAD {b}|BE11AA",
                address=f"{n} Bench Road {b}",
                street=f"Bench Road {b}",
                house_number=n,
                postcode="BE11AA",
                postcode_display="BE1 1AA",
            )
            for n in range(1, electors_per_box // 2 + 1)
        )
        homes_all.extend(homes)
        electors = Elector.unscoped.bulk_create(
            Elector(
                polling_district=pd,
                home=homes[i // 2],
                elector_number=i + 1,
                elector_number_raw=f"BX{b:02d}-{i + 1}",
                first_names="Bench",
                surname=f"Voter{b}x{i}",
                first_seen_month=month,
                match_key=f"bench{b}-{i}",
            )
            for i in range(len(homes) * 2)
        )
        RegisterEntry.unscoped.bulk_create(
            RegisterEntry(
                publication=publication,
                elector=e,
                polling_district=pd,
                elector_number=e.elector_number,
                elector_suffix=0,
                elector_number_raw=e.elector_number_raw,
            )
            for e in electors
        )
        box_rows.append({"box": box.pk, "numbers": len(electors)})

    def user(kind, n, role):
        person = User.objects.create_user(f"{kind}{n}@bench.example", None, full_name=f"{kind} {n}")
        grant_create(user=person, role=role, area=constituency)
        return person

    teller_ids = []
    for t in range(tellers):
        person = user("teller", t, Role.TELLER)
        teller_ids.append(
            {
                **_session(person),
                **box_rows[t % boxes],
                "download": download_token_issue(user=person, election=election),
            }
        )
    walk_list = WalkList.unscoped.create(campaign=election.campaign, name="Knock-up round 1")
    version = election.campaign.current_survey_version()
    knocker_ids = []
    for k in range(knockers):
        person = user("knocker", k, Role.CANVASSER)
        doors = [homes_all[(k * PACK_DOORS + i) % len(homes_all)] for i in range(PACK_DOORS)]
        pack = Pack.unscoped.create(
            walk_list=walk_list, number=k + 1, name=f"Pack {k}", sheet_id=f"K{k}", assigned_to=person
        )
        PackDoor.objects.bulk_create(
            PackDoor(pack=pack, property=h, position=i) for i, h in enumerate(dict.fromkeys(doors))
        )
        electors = list(Elector.unscoped.filter(home__in=doors).values_list("pk", flat=True)[:PACK_DOORS])
        knocker_ids.append({**_session(person), "pack": pack.pk, "electors": electors, "version": version.pk})
    board_ids = []
    for o in range(boards):
        person = user("board", o, Role.ORGANISER)
        TOTP.activate(person, generate_totp_secret())  # organisers must have MFA set up
        board_ids.append(_session(person))
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("ANALYZE")
    return election, teller_ids, knocker_ids, board_ids


def queries_per_telling(identity, election):
    """The SQL statements one single-number sync request runs (in process, on the same data)."""
    from django.db import connection as db
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = identity["session"]
    entry = {"uuid": str(uuid.uuid4()), "kind": "telling", "election": election.pk, "box": identity["box"],
             "number": "1", "download": identity["download"]}  # fmt: skip
    with CaptureQueriesContext(db) as queries:
        response = client.post(
            "/polling-day/telling/sync/", json.dumps({"entries": [entry]}), content_type="application/json"
        )
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--small", action="store_true", help="a quick check: 10%% of the users, 20 s")
    parser.add_argument("--boxes", type=int, default=60)
    parser.add_argument("--electors-per-box", type=int, default=1000)
    parser.add_argument("--tellers", type=int, default=300)
    parser.add_argument("--knockers", type=int, default=100)
    parser.add_argument("--boards", type=int, default=10)
    parser.add_argument(
        "--target",
        type=float,
        default=150,
        help="tellings/s offered in the steady phase (p95s measured there)",
    )
    parser.add_argument("--capacity-seconds", type=float, default=30, help="the back-to-back phase")
    parser.add_argument(
        "--knocker-interval", type=float, default=10, help="seconds between a knocker's rounds"
    )
    parser.add_argument("--board-interval", type=float, default=5, help="seconds between board refreshes")
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    parser.add_argument("--board-url", default="", help="a board URL (default: the stand-in, see above)")
    parser.add_argument("--knockup-pack-url", default="", help="a pack refresh URL with {pack}")
    args = parser.parse_args()
    if args.small:
        args.boxes, args.tellers, args.knockers, args.boards = 6, 30, 10, 2
        args.seconds, args.baseline_seconds, args.electors_per_box = min(args.seconds, 20), 4, 700
        args.capacity_seconds, args.target = 8, 30

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    seed_started = time.perf_counter()
    election, teller_ids, knocker_ids, board_ids = seed(
        boxes=args.boxes,
        electors_per_box=args.electors_per_box,
        tellers=args.tellers,
        knockers=args.knockers,
        boards=args.boards,
    )
    seed_s = round(time.perf_counter() - seed_started, 1)
    board_url = args.board_url or f"/polling-day/telling/{election.pk}/counts/"
    pack_url = args.knockup_pack_url or "/campaigns/packs/{pack}/data.json"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_MANIFEST": "false",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "labourhub.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--keep-alive", "30", "--log-level", "warning", "--backlog", "2048"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    lock = threading.Lock()
    sent, acknowledged, statuses = set(), set(), {}
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        tellers = [Phone(port, identity) for identity in teller_ids]
        knockers = [Phone(port, identity) for identity in knocker_ids]
        boards = [Phone(port, identity) for identity in board_ids]
        everyone = tellers + knockers + boards
        for phone in everyone:  # warm every worker (imports, connections) before timing anything
            phone.request("GET", "/healthz")

        server_cpu = ServerCpu(server.pid)
        server_cpu.start()
        base_results, base_seconds, base_errors = run_phones(
            everyone, args.baseline_seconds, lambda phone, i: phone.request("GET", "/campaigns/ping.json")
        )
        baseline = [r for per in base_results for r in per]
        ping_cpu_ms = server_cpu.stop() / max(1, len(baseline))
        ping_pg_ms = server_cpu.postgres_ms / max(1, len(baseline))

        election_pk = election.pk
        rng = random.Random(13)
        failures = {}

        def survive(work, shape):
            """A timed-out or refused request is counted (client_errors) and the user carries on."""

            def wrapped(phone, i):
                started = time.perf_counter()
                try:
                    return work(phone, i)
                except (OSError, http.client.HTTPException) as error:
                    with lock:
                        failures[repr(error)] = failures.get(repr(error), 0) + 1
                    return shape((time.perf_counter() - started) * 1000)

            return wrapped

        def tell(phone, i):
            identity = phone.identity
            with lock:
                roll = rng.random()
                number = rng.randint(1, identity["numbers"])
                resend = roll < 0.02 and identity.get("last")
            if resend:
                body = identity["last"]
            else:
                client_uuid = str(uuid.uuid4())
                entry = {"uuid": client_uuid, "kind": "telling", "election": election_pk, "box": identity["box"],
                         "number": str(number), "recorded_at": timezone.now().isoformat(),
                         "download": identity["download"]}  # fmt: skip
                body = json.dumps({"entries": [entry]})
                identity["last"] = body
                with lock:
                    sent.add(client_uuid)
            status, data, ms = phone.request("POST", "/polling-day/telling/sync/", body)
            fresh = 0
            if status == 200:
                with lock:
                    for result in json.loads(data)["results"]:
                        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
                        if result["status"] in ("found", "already_told", "duplicate"):
                            acknowledged.add(result["uuid"])
                        if result["status"] in ("found", "already_told"):
                            fresh += 1
            return status, ms, fresh

        def knock(phone, i):
            identity = phone.identity
            status, _, pack_ms = phone.request("GET", pack_url.format(pack=identity["pack"]))
            with lock:
                elector = rng.choice(identity["electors"])
            answer = {"uuid": str(uuid.uuid4()), "pack": identity["pack"], "elector": elector,
                      "survey_version": identity["version"], "outcome": "not_in", "answers": {},
                      "notes": "", "recorded_at": timezone.now().isoformat()}  # fmt: skip
            post_status, _, post_ms = phone.request(
                "POST", "/campaigns/sync/", json.dumps({"answers": [answer]})
            )
            return status, pack_ms, post_status, post_ms

        def board(phone, i):
            return phone.request("GET", board_url)

        tell = survive(tell, lambda ms: (0, ms, 0))
        knock = survive(knock, lambda ms: (0, ms, 0, ms))
        board = survive(board, lambda ms: (0, b"", ms))

        def peak(teller_interval, seconds):
            """Tellers, knockers and boards at once; tellers back to back when teller_interval is None."""
            outcome = {}

            def group(name, phones, work, interval):
                outcome[name] = run_phones(phones, seconds, work, interval=interval)

            threads = [
                threading.Thread(target=group, args=("tell", tellers, tell, teller_interval)),
                threading.Thread(target=group, args=("knock", knockers, knock, args.knocker_interval)),
                threading.Thread(target=group, args=("board", boards, board, args.board_interval)),
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return outcome, time.perf_counter() - started

        server_cpu.start()
        alone_results, alone_seconds, _ = run_phones(tellers, args.baseline_seconds, tell)
        alone = [r for per in alone_results for r in per]
        telling_cpu_ms = server_cpu.stop() / max(1, len(alone))
        telling_pg_ms = server_cpu.postgres_ms / max(1, len(alone))

        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        full, full_seconds = peak(None, args.capacity_seconds)
        full_calls = [r for per in full["tell"][0] for r in per]
        capacity = sum(n for status, _, n in full_calls if status == 200) / full_seconds
        steady_rate = min(args.target, 0.9 * capacity)
        outcome, load_seconds = peak(args.tellers / steady_rate, args.seconds)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        server.terminate()
        server.wait(timeout=30)

    tell_calls = [r for per in outcome["tell"][0] for r in per]
    knock_calls = [r for per in outcome["knock"][0] for r in per]
    board_calls = [r for per in outcome["board"][0] for r in per]
    tell_ms = sorted(ms for _, ms, _ in tell_calls)
    pack_ms = sorted(r[1] for r in knock_calls)
    outcome_ms = sorted(r[3] for r in knock_calls)
    board_ms = sorted(ms for _, _, ms in board_calls)
    tellings_told = sum(n for status, _, n in tell_calls if status == 200)

    from gotv.models import Telling, VoteRecord

    stored = [str(u) for u in Telling.unscoped.values_list("client_uuid", flat=True)]
    stored_set = set(stored)
    distinct_told = Telling.unscoped.values("elector").distinct().count()
    voted = VoteRecord.unscoped.count()
    report = {
        "boxes": args.boxes,
        "tellers": args.tellers,
        "knockers": args.knockers,
        "boards": args.boards,
        "electors": args.boxes * (args.electors_per_box // 2) * 2,
        "gunicorn_workers": args.workers,
        "load_generator": "threads + http.client keep-alive, same machine",
        "seed_s": seed_s,
        "seconds": round(load_seconds, 1),
        "capacity_seconds": round(full_seconds, 1),
        "tellings_per_s": round(capacity, 1),
        "telling_requests_per_s": round(len(full_calls) / full_seconds, 1),
        "p95_telling_ms_back_to_back": percentile(sorted(ms for _, ms, _ in full_calls), 95),
        "steady_offered_tellings_per_s": round(steady_rate, 1),
        "steady_tellings_per_s": round(tellings_told / load_seconds, 1),
        "all_requests_per_s": round(
            (len(tell_calls) + 2 * len(knock_calls) + len(board_calls)) / load_seconds, 1
        ),
        "baseline_req_per_s": round(len(baseline) / base_seconds, 1),
        "baseline_p95_ms": percentile(sorted(ms for _, _, ms in baseline), 95),
        "server_cpu_ms_per_ping": round(ping_cpu_ms, 2),
        "server_cpu_ms_per_telling": round(telling_cpu_ms, 2),
        "postgres_cpu_ms_per_ping": round(ping_pg_ms, 2),
        "postgres_cpu_ms_per_telling": round(telling_pg_ms, 2),
        "queries_per_telling_request": queries_per_telling(teller_ids[0], election),
        "tellings_alone_per_s": round(len(alone) / alone_seconds, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "p50_telling_ms": percentile(tell_ms, 50),
        "p95_telling_ms": percentile(tell_ms, 95),
        "p95_board_ms": percentile(board_ms, 95),
        "p95_knockup_ms": percentile(pack_ms, 95),
        "p95_knockup_outcome_ms": percentile(outcome_ms, 95),
        "board_refreshes": len(board_calls),
        "pack_refreshes": len(knock_calls) + sum(len(per) for per in full["knock"][0]),
        "board_endpoint": board_url if args.board_url else "stand-in: gotv:telling_counts",
        "knockup_endpoints": (
            pack_url
            if args.knockup_pack_url
            else "stand-in: campaigns:pack_data (300 doors) + campaigns:sync"
        ),
        "statuses": statuses,
        "http_errors": sum(1 for s, _, _ in tell_calls + full_calls if s != 200)
        + sum(1 for r in knock_calls if r[0] != 200 or r[2] != 200)
        + sum(1 for s, _, _ in board_calls if s != 200)
        + sum(1 for s, _, _ in baseline if s != 200),
        "client_errors": failures,
        "client_errors_fatal": [e for phase in (full, outcome) for g in phase.values() for e in g[2]]
        + base_errors,
        "client_cpu_s": round(
            (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime), 1
        ),
        "sent": len(sent),
        "acknowledged": len(acknowledged),
        "stored": len(stored_set),
        "lost": len(acknowledged - stored_set),
        "duplicated": (len(stored) - len(stored_set)) + (voted - distinct_told),
        "voted": voted,
    }
    report["ratio_vs_baseline"] = round(report["telling_requests_per_s"] / report["baseline_req_per_s"], 2)
    # What the server's own CPU cost says, independent of the other load on the machine.
    report["cpu_ratio_ping_vs_telling"] = round(ping_cpu_ms / telling_cpu_ms, 2) if telling_cpu_ms else None
    report["projected_tellings_per_s_on_2_free_cores"] = (
        round(2000 / telling_cpu_ms, 1) if telling_cpu_ms else None
    )
    connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
