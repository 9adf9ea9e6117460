"""In process: one telling POST (/polling-day/telling/sync/, one number, as bench_polling_day.py
sends it) and the trivial view on the bench's seeded data: SQL statements, Python CPU per request
and a cProfile of N tellings (issue 13's telling path).

    .venv/bin/python tests/perf/profile_telling.py [--boxes 6] [--tellings 300] [--top 25] [--profile]
    .venv/bin/python tests/perf/profile_telling.py --board [--boxes 60]

--board: instead, the board's live part (a committee room's, as bench_polling_day's organisers
fetch it): Python CPU per refresh, and EXPLAIN (ANALYZE, BUFFERS) of each statement it runs,
slowest first.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

os.environ.setdefault("TEST_DB", "profile_telling")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tests.perf.bench_polling_day import seed  # noqa: E402  (sets Django up)


def _client(identity):
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_CSRFTOKEN=identity["csrf"])
    client.cookies[settings.SESSION_COOKIE_NAME] = identity["session"]
    client.cookies["csrftoken"] = identity["csrf"]
    return client


def _timed(label, n, call, top, profile_it):
    profile = cProfile.Profile(time.process_time) if profile_it else None  # CPU, not waits on Postgres
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for i in range(n):
        call(i)
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profile:
        stats = pstats.Stats(profile)
        if os.environ.get("PROFILE_DUMP"):  # a file to read with pstats (print_callees ...)
            stats.dump_stats(os.environ["PROFILE_DUMP"])
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    return {f"{label}_python_cpu_ms": round(cpu * 1000 / n, 2), f"{label}_wall_ms": round(wall * 1000 / n, 2)}


def _board(election, board_ids, args):
    identity = board_ids[1]  # a committee room's board (board_ids[0] is the overview)
    client = _client(identity)

    def refresh(i):
        response = client.get(identity["url"])
        assert response.status_code == 200 and b"board-totals" in response.content, response.status_code

    for i in range(3):
        refresh(i)
    with CaptureQueriesContext(connection) as queries:
        refresh(0)
    plans = []
    with connection.cursor() as cursor:
        for q in queries.captured_queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0][0]
            plans.append((plan["Execution Time"], plan["Planning Time"], sql, plan))
    plans.sort(key=lambda p: -p[0])
    for execution, planning, sql, _ in plans:
        print(f"{execution:8.2f} ms exec {planning:6.2f} ms plan  {' '.join(sql.split())[:160]}")
    if plans:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + plans[0][2])
            print("\n".join(row[0] for row in cursor.fetchall()))
    figures = {"board_statements": len(queries.captured_queries),
               "board_pg_exec_ms": round(sum(p[0] for p in plans), 1),
               "board_pg_plan_ms": round(sum(p[1] for p in plans), 1)}  # fmt: skip
    figures |= _timed("board", 20, refresh, args.top, args.profile)
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps(figures))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=6)
    parser.add_argument("--tellings", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", action="store_true", help="print cProfile of the tellings")
    parser.add_argument("--board", action="store_true", help="the board's live part and its plans")
    args = parser.parse_args()
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        election, teller_ids, _, board_ids, _ = seed(boxes=args.boxes, electors_per_box=1000,
                                                     rooms=3 if args.board else 1, tellers=args.boxes,
                                                     knockers=1, boards=2)  # fmt: skip
        if args.board:
            return _board(election, board_ids, args)
        identity = teller_ids[0]
        client = _client(identity)

        def tell(i):
            entry = {"uuid": str(uuid.uuid4()), "kind": "telling", "election": election.pk, "box": identity["box"],
                     "number": str(1 + i % identity["numbers"]), "recorded_at": "2026-11-28T10:00:00+00:00",
                     "download": identity["download"]}  # fmt: skip
            response = client.post("/polling-day/telling/sync/", json.dumps({"entries": [entry]}),
                                   content_type="application/json")  # fmt: skip
            assert response.status_code == 200, response.content
            assert json.loads(response.content)["results"][0]["final"], response.content

        def ping(i):
            assert client.get("/campaigns/ping.json").status_code == 200

        for i in range(30):  # warm: imports, caches, prepared statements
            tell(i)
            ping(i)
        with CaptureQueriesContext(connection) as queries:
            tell(31)
        for q in queries.captured_queries:
            print(f"{q['time']:>7} {q['sql'][:200]}")
        figures = {"statements_per_telling": len(queries.captured_queries)}
        figures |= _timed("ping", args.tellings, ping, args.top, False)
        figures |= _timed("telling", args.tellings, lambda i: tell(100 + i), args.top, args.profile)
        figures["ratio_python_telling_to_ping"] = round(
            figures["telling_python_cpu_ms"] / figures["ping_python_cpu_ms"], 2
        )
        figures["load_average"] = os.getloadavg()[0]
        print(json.dumps(figures))
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
