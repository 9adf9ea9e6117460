"""Benchmark: a polling-day peak against the app under gunicorn (production settings, DEBUG off).

    .venv/bin/python tests/perf/bench_polling_day.py [--seconds 120] [--small]

1. makes a throwaway database (tests/perf/bootstrap.seed_polling_day, as bench_board): one
   constituency, an election today with 60 boxes (one polling district each, 1,000 electors per box
   on the election's register publication) run from 3 committee rooms, 40% of the electors
   promises, 10% already told; a knock-up round per room in packs of 300 doors (the real
   gotv.services.knock_up_round_create); 300 tellers, 100 knockers (each holding a 300-door pack;
   there are fewer packs than knockers, so two or three share one), 10 organisers with MFA
   watching boards (not timed);
2. starts gunicorn on the project (the same settings and middleware as production);
3. baseline: every simulated user hammers the trivial view (`campaigns:ping`) for a few seconds,
   back to back: requests/s; then the tellers alone, back to back, for as long: the server CPU
   (gunicorn workers + their Postgres backends, from /proc) per request of each, which does not
   depend on what else the machine runs;
4. capacity (--capacity-seconds): the tellers post numbers back to back (one telling per request,
   as a phone with signal sends it; numbers drawn at random from the box's register, so some are
   already told; one in fifty re-sent as after a lost reply) while the knockers refresh their pack
   and post an outcome every --knocker-interval s (60) and the boards refresh every --board-interval s
   (20, as the board page does):
   the most tellings/s the server takes with the rest running (tellings_per_s; ratio_vs_baseline
   compares its request rate with the baseline's);
5. steady peak (--seconds): the same, with the tellers paced to --target tellings/s in all
   (staggered; or 90% of capacity if lower): the p95 latencies as tellers, knockers and boards see
   them;
6. counts what arrived: every acknowledged telling UUID must be in Postgres exactly once
   (lost / duplicated), and the VoteRecords must equal the distinct electors told.
The last line printed is one JSON object.

What is timed is what the pages really fetch:
- a board refresh is the board's live part as htmx fetches it every 20 s (`gotv:board_live` for a
  committee room's organiser; the first board is the agent's constituency overview,
  `gotv:board_overview_live`): p95_board_ms over all of them, and each kind on its own;
- a pack refresh is the knocker's pack page (`gotv:knockup_pack`, 300 doors, the knock-up list read
  now), which the phone loads on Refresh, then the page's start-up: a HEAD of the same page to ask
  whether the pack is still the knocker's (static/gotv/knockup.js `checkPage`; the service worker
  has kept the page itself) and the server's clock (`gotv:telling_ping`); p95_knockup_ms is the page
  (what the knocker waits for); an outcome ("not in") goes to `gotv:knockup_sync` as the queue
  sends it. Every --knocker-interval s (60: see KNOCKER_INTERVAL);
- alone, before the peak, each kind's server CPU is measured as the tellings' is (tellings, pack
  refreshes, board refreshes back to back): server_cpu_ms_per_*; knockers_cpu_ms_per_s and
  boards_cpu_ms_per_s are what they take at their intervals, and
  projected_tellings_per_s_beside_knockers_and_boards what two free cores leave for tellings.
"""

import argparse
import http.client
import json
import os
import random
import resource
import sys
import threading
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import (  # noqa: E402
    Phone,
    ServerCpu,
    analyze,
    free_port,
    gunicorn,
    percentile,
    run_phones,
    seed_polling_day,
    session_for,
    setup_django,
)

setup_django("bench_polling_day", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="false")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from gotv.views_board import REFRESH_SECONDS  # noqa: E402

PACK_DOORS = 300
# How often a knocker's phone fetches the pack page. static/gotv/knockup.js has no timer: the page
# is fetched when the knocker taps Refresh or opens the pack again coming back to the list, and an
# outcome tapped at a door is queued and sent without fetching the page. A door takes a knocker a
# minute or two (walk up, knock, wait, talk, walk on), so a refresh and an outcome a minute each
# is the busy end of what a phone really does (--knocker-interval to try others; it was 10 s).
KNOCKER_INTERVAL = 60


def seed(*, boxes, electors_per_box, rooms, tellers, knockers, boards):
    """The polling day (bootstrap.seed_polling_day), its knock-up rounds, and the simulated users'
    identities: tellers at their boxes, knockers with their packs, organisers at their boards."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from campaigns.models import Pack
    from gotv import knockup
    from gotv.offline import download_token_issue
    from gotv.services import knock_up_round_create
    from labourhub.models import Role, User
    from labourhub.services import grant_create

    electors = boxes * electors_per_box
    day = seed_polling_day(name="Bench general election", code=3, electors=electors, boxes=boxes, rooms=rooms,
                           promises=electors * 2 // 5, tellings=electors // 10)  # fmt: skip
    election = day.election

    def user(kind, n, role):
        person = User.objects.create_user(f"{kind}{n}@bench.example", None, full_name=f"{kind} {n}")
        grant_create(user=person, role=role, area=day.constituency)
        return person

    teller_ids = []
    for t in range(tellers):
        person = user("teller", t, Role.TELLER)
        box, numbers = day.boxes[t % boxes]
        teller_ids.append({**session_for(person), "box": box.pk, "numbers": numbers,
                           "download": download_token_issue(user=person, election=election)})  # fmt: skip
    packs = []
    for room in day.rooms:
        knock_up_round = knock_up_round_create(committee_room=room, user=day.organiser, pack_size=PACK_DOORS)
        packs += Pack.unscoped.filter(walk_list=knock_up_round.walk_list, door_count=PACK_DOORS).order_by(
            "pk"
        )
    if not packs:
        raise SystemExit("No knock-up pack of 300 doors: more electors per box, please.")
    on_pack = {pack.pk: [e.pk for door in knockup.pack_doors_now(pack, election) for e in door.electors]
               for pack in packs}  # fmt: skip
    knocker_ids = []
    for k in range(knockers):
        person = user("knocker", k, Role.CANVASSER)
        pack = packs[k % len(packs)]
        knocker_ids.append({**session_for(person), "pack": pack.pk, "electors": on_pack[pack.pk],
                            "download": download_token_issue(user=person, election=election)})  # fmt: skip
    board_ids = []
    for o in range(boards):
        person = user("board", o, Role.ORGANISER)
        TOTP.activate(person, generate_totp_secret())  # organisers must have MFA set up
        room = day.rooms[(o - 1) % len(day.rooms)]
        url = (f"/polling-day/{election.pk}/board/live/" if o == 0
               else f"/polling-day/{election.pk}/board/{room.pk}/live/")  # fmt: skip
        board_ids.append({**session_for(person), "url": url, "kind": "overview" if o == 0 else "room"})
    analyze()
    return election, teller_ids, knocker_ids, board_ids, len(packs)


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
        "--knocker-interval",
        type=float,
        default=KNOCKER_INTERVAL,
        help="seconds between a knocker's refreshes (each with one outcome sent)",
    )
    parser.add_argument(
        "--board-interval",
        type=float,
        default=REFRESH_SECONDS,
        help="seconds between board refreshes (the board's own: gotv.views_board.REFRESH_SECONDS)",
    )
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    parser.add_argument("--rooms", type=int, default=3)
    args = parser.parse_args()
    if args.small:
        args.boxes, args.tellers, args.knockers, args.boards = 6, 30, 10, 2
        args.seconds, args.baseline_seconds, args.electors_per_box = min(args.seconds, 20), 4, 700
        args.capacity_seconds, args.target = 8, 30

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    seed_started = time.perf_counter()
    election, teller_ids, knocker_ids, board_ids, n_packs = seed(
        boxes=args.boxes,
        electors_per_box=args.electors_per_box,
        rooms=args.rooms,
        tellers=args.tellers,
        knockers=args.knockers,
        boards=args.boards,
    )
    seed_s = round(time.perf_counter() - seed_started, 1)
    port = free_port()
    lock = threading.Lock()
    sent, acknowledged, statuses = set(), set(), {}
    with gunicorn(port, workers=args.workers) as server:
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

        def refresh_pack(phone, i=0):
            """Refresh the pack as the phone does once the service worker keeps the page: the page,
            then static/gotv/knockup.js asks whether the pack is still ours (checkPage: a HEAD
            request) and the server's clock (clockNote: gotv:telling_ping)."""
            page = f"/polling-day/knockup/pack/{phone.identity['pack']}/"
            status, body, pack_ms = phone.request("GET", page)
            if status == 200 and b"knockup-doors" not in body:
                status = 590  # not the pack page (a sign-in page, say): counted as an error
            check, _, _ = phone.request("HEAD", page)
            if status == 200 and check != 200:
                status = 592  # the check refused a pack the page showed: counted as an error
            phone.request("GET", "/polling-day/telling/ping.json")
            return status, pack_ms

        def knock(phone, i):
            """Refresh the pack as the phone does, then send one outcome as the queue does."""
            identity = phone.identity
            status, pack_ms = refresh_pack(phone)
            with lock:
                elector = rng.choice(identity["electors"]) if identity["electors"] else 0
            outcome = {"uuid": str(uuid.uuid4()), "pack": identity["pack"], "elector": elector,
                       "outcome": "not_in", "notes": "", "recorded_at": timezone.now().isoformat(),
                       "token": identity["download"]}  # fmt: skip
            post_status, data, post_ms = phone.request(
                "POST", "/polling-day/knockup/sync/", json.dumps({"outcomes": [outcome]})
            )
            if post_status == 200 and json.loads(data)["results"][0]["status"] not in (
                "recorded",
                "duplicate",
            ):
                post_status = 591  # refused: counted as an error
            return status, pack_ms, post_status, post_ms

        def board(phone, i):
            status, body, ms = phone.request("GET", phone.identity["url"])
            if status == 200 and b"board-totals" not in body:
                status = 590  # not the board (a sign-in or MFA page, say): counted as an error
            return status, phone.identity["kind"], ms

        tell = survive(tell, lambda ms: (0, ms, 0))
        knock = survive(knock, lambda ms: (0, ms, 0, ms))
        board = survive(board, lambda ms: (0, "", ms))

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

        server_cpu.start()
        packs_results, packs_seconds, _ = run_phones(knockers, args.baseline_seconds, refresh_pack)
        packs_alone = [r for per in packs_results for r in per]
        pack_cpu_ms = server_cpu.stop() / max(1, len(packs_alone))
        pack_pg_ms = server_cpu.postgres_ms / max(1, len(packs_alone))
        server_cpu.start()
        boards_results, _, _ = run_phones(boards, args.baseline_seconds, board)
        boards_alone = [r for per in boards_results for r in per]
        board_cpu_ms = server_cpu.stop() / max(1, len(boards_alone))
        board_pg_ms = server_cpu.postgres_ms / max(1, len(boards_alone))

        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        full, full_seconds = peak(None, args.capacity_seconds)
        full_calls = [r for per in full["tell"][0] for r in per]
        tell_seconds = full["tell"][1]  # the tellers' own run, not the wall time of the slowest group
        capacity = sum(n for status, _, n in full_calls if status == 200) / tell_seconds
        steady_rate = min(args.target, 0.9 * capacity)
        outcome, load_seconds = peak(args.tellers / steady_rate, args.seconds)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)

    tell_calls = [r for per in outcome["tell"][0] for r in per]
    knock_calls = [r for per in outcome["knock"][0] for r in per]
    board_calls = [r for per in outcome["board"][0] for r in per]
    tell_ms = sorted(ms for _, ms, _ in tell_calls)
    pack_ms = sorted(r[1] for r in knock_calls)
    outcome_ms = sorted(r[3] for r in knock_calls)
    board_ms = sorted(ms for _, _, ms in board_calls)
    room_ms = sorted(ms for _, kind, ms in board_calls if kind == "room")
    overview_ms = sorted(ms for _, kind, ms in board_calls if kind == "overview")
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
        "telling_requests_per_s": round(len(full_calls) / tell_seconds, 1),
        "p95_telling_ms_back_to_back": percentile(sorted(ms for _, ms, _ in full_calls), 95),
        "steady_offered_tellings_per_s": round(steady_rate, 1),
        "steady_tellings_per_s": round(tellings_told / outcome["tell"][1], 1),
        "all_requests_per_s": round(
            (len(tell_calls) + 4 * len(knock_calls) + len(board_calls)) / load_seconds, 1
        ),
        "baseline_req_per_s": round(len(baseline) / base_seconds, 1),
        "baseline_p95_ms": percentile(sorted(ms for _, _, ms in baseline), 95),
        "server_cpu_ms_per_ping": round(ping_cpu_ms, 2),
        "server_cpu_ms_per_telling": round(telling_cpu_ms, 2),
        "postgres_cpu_ms_per_ping": round(ping_pg_ms, 2),
        "postgres_cpu_ms_per_telling": round(telling_pg_ms, 2),
        "queries_per_telling_request": queries_per_telling(teller_ids[0], election),
        "tellings_alone_per_s": round(len(alone) / alone_seconds, 1),
        "server_cpu_ms_per_pack_refresh": round(pack_cpu_ms, 1),
        "postgres_cpu_ms_per_pack_refresh": round(pack_pg_ms, 1),
        "pack_refreshes_alone_per_s": round(len(packs_alone) / packs_seconds, 1),
        "p50_knockup_ms_alone": percentile([ms for _, ms in packs_alone], 50),
        "server_cpu_ms_per_board_refresh": round(board_cpu_ms, 1),
        "postgres_cpu_ms_per_board_refresh": round(board_pg_ms, 1),
        "knocker_interval_s": args.knocker_interval,
        "board_interval_s": args.board_interval,
        # The server CPU the knockers' and boards' refreshes take at their intervals (ms per second
        # of the 2,000 two cores give), from the CPU each costs measured alone above.
        "knockers_cpu_ms_per_s": round(args.knockers / args.knocker_interval * pack_cpu_ms, 1),
        "boards_cpu_ms_per_s": round(args.boards / args.board_interval * board_cpu_ms, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "p50_telling_ms": percentile(tell_ms, 50),
        "p95_telling_ms": percentile(tell_ms, 95),
        "p50_board_ms": percentile(board_ms, 50),
        "p95_board_ms": percentile(board_ms, 95),
        "p50_board_room_ms": percentile(room_ms, 50),
        "p95_board_room_ms": percentile(room_ms, 95),
        "p50_board_overview_ms": percentile(overview_ms, 50),
        "p95_board_overview_ms": percentile(overview_ms, 95),
        "p50_knockup_ms": percentile(pack_ms, 50),
        "p95_knockup_ms": percentile(pack_ms, 95),
        "p95_knockup_outcome_ms": percentile(outcome_ms, 95),
        "board_refreshes": len(board_calls),
        "pack_refreshes": len(knock_calls) + sum(len(per) for per in full["knock"][0]),
        "knockup_packs": n_packs,
        "board_endpoint": "gotv:board_live (rooms) and gotv:board_overview_live (the first board)",
        "knockup_endpoints": "gotv:knockup_pack (300 doors; then HEAD + ping as the phone does) + gotv:knockup_sync",
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
    left = 2000 - report["knockers_cpu_ms_per_s"] - report["boards_cpu_ms_per_s"]
    report["projected_tellings_per_s_beside_knockers_and_boards"] = (
        round(left / telling_cpu_ms, 1) if telling_cpu_ms else None
    )
    connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
