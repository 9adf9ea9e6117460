"""In process: one contact written through POST /api/v1/contacts/ as bench_api.py writes it: the SQL
statements it runs, their time, and a cProfile of N writes (issue 18's write path).

    .venv/bin/python tests/perf/profile_api_write.py [--rows 20000] [--writes 200] [--top 25]
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

os.environ.setdefault("TEST_DB", "profile_api_write")
ROOT = Path(__file__).resolve().parents[2]

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tests.perf.bench_api import seed  # noqa: E402  (sets Django up)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", help="write the profile to this file too")
    args = parser.parse_args()
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        _, ((write_secret, pack, ids), *_) = seed(args.rows)
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {write_secret}")

        def write(i):
            body = {"pack": pack.pk, "elector": ids[i % len(ids)], "outcome": "spoke"}
            response = client.post("/api/v1/contacts/", json.dumps(body), content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))  # fmt: skip
            assert response.status_code == 201, response.content
            return response

        for i in range(20):  # warm: imports, caches, the token's last-used write
            write(i)
        # The server runs with DEBUG off (bench_api's gunicorn); with it on, Django logs every statement
        # and formats its SQL (mogrify: 8,400 calls in 200 writes' profile), which production never does.
        # CaptureQueriesContext below logs the one write it counts whatever DEBUG says.
        settings.DEBUG = False
        with CaptureQueriesContext(connection) as queries:
            write(21)
        # Counted here: the test client's request_started signal empties the connection's log.
        statements = list(queries.captured_queries)
        for q in statements:
            print(f"{q['time']:>7} {q['sql'][:220]}")
        print(f"-- {len(statements)} statements", flush=True)
        # Without the profiler first (cProfile's own overhead is ~2x on ORM-heavy code): this process's
        # CPU per write is the Python a worker spends (Django, DRF, psycopg's client side).
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(args.writes):
            write(100 + i)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        # The project's trivial view in the same process, same moment: the machine's speed varies by
        # a quarter from run to run on a shared host, the ratio much less.
        ping = time.process_time()
        for _ in range(args.writes):
            assert client.get("/campaigns/ping.json").status_code == 200
        ping = time.process_time() - ping
        profile = cProfile.Profile(
            time.process_time
        )  # CPU, so waiting on Postgres or a busy host is not counted
        profile.enable()
        for i in range(args.writes):
            write(100 + args.writes + i)
        profile.disable()
        stats = pstats.Stats(profile)
        if args.dump:
            stats.dump_stats(args.dump)  # for pstats' own browser: python -m pstats <file>
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(re.escape(f"{ROOT}/") + r"(?!\.venv)", args.top)  # ours
        print(json.dumps({"writes": args.writes, "python_cpu_ms_per_write": round(cpu * 1000 / args.writes, 2),
                          "wall_ms_per_write": round(wall * 1000 / args.writes, 2),
                          "ping_cpu_ms": round(ping * 1000 / args.writes, 3),
                          "write_to_ping_cpu": round(cpu / ping, 1),
                          "statements_per_write": len(statements),
                          "load_average": os.getloadavg()[0]}))  # fmt: skip
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
