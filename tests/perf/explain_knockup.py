"""The knock-up pack's statement (gotv/knockup_sql.py) planned for its values against its generic plan,
on the polling-day benchmark's data (issue 13: with prepared statements on, its Postgres CPU a refresh
went 23 -> 108 ms).

    .venv/bin/python tests/perf/explain_knockup.py [--boxes 60] [--electors-per-box 1000] [--runs 20]

1. seeds the polling day as bench_polling_day does (the same seed: 60 boxes of 1,000 electors, 40%
   promises, 10% told, knock-up rounds in packs of 300 doors), in a throwaway database;
2. EXPLAIN (ANALYZE, BUFFERS) of the statement for one 300-door pack, PREPAREd, with
   plan_cache_mode = force_custom_plan (the plan for these values) and force_generic_plan (the plan
   a prepared statement may keep after five runs), and of the statement as the app sends it (an
   unnamed server-bound statement, never prepared);
3. times `--runs` runs of each on one connection, with the Postgres backend's CPU (from /proc, which
   does not depend on the machine's load): the app's pack_rows under DATABASE_PREPARE_THRESHOLD (the
   settings' default), and the same statement run through a prepared cursor as it was before it
   opted out (psycopg prepare=True, plan_cache_mode auto: Postgres's own choice after five runs).
The last line is one JSON object.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

os.environ.setdefault("TEST_DB", "explain_knockup")  # not bench_polling_day's database

from django.db import connection  # noqa: E402
from django.db.backends.postgresql.base import ServerBindingCursor  # noqa: E402

from tests.perf.bench_polling_day import seed  # noqa: E402  (sets Django up)

TICK = os.sysconf("SC_CLK_TCK")
# What one run measures or how a value is spelt ($3, '1'::bigint, '1'::smallint), not the plan's shape.
MEASURED = re.compile(r"\s*\(actual[^)]*\)|cost=\S+ |rows=\d+ ")
NOT_SHAPE = re.compile(
    r"^\s*(Buffers|Planning|Execution Time|Heap Fetches|Full-sort|Rows Removed|Sort Method)"
)
VALUE = re.compile(r"'[^']*'::\w+|\$\d+|\(kind\)::text")


class _Prepared(ServerBindingCursor):
    """The statement as it ran before it opted out: prepared once the threshold is reached
    (prepare=True: at once)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _backend_ms(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICK


def _numbered(sql, params):
    """The statement with $1.. for its %(name)s, and the values in that order (for PREPARE)."""
    names = []

    def number(match):
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql), [params[name] for name in names]


def _literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _plan(cursor, sql, params=None):
    cursor.execute(sql, params)
    return [row[0] for row in cursor.fetchall()]


def _shape(plan):
    """The plan's nodes, conditions and order, without what one run measures (times, rows, buffers,
    estimated costs) or how a value is spelt (a generic plan's $3 is the custom plan's '1'::bigint)."""
    return [VALUE.sub("?", MEASURED.sub("", line)) for line in plan if not NOT_SHAPE.match(line)]


def _timed(run, runs, pid):
    """Median wall ms of `runs` runs, and the backend's CPU ms a run."""
    walls, cpu_before = [], _backend_ms(pid)
    for _ in range(runs):
        started = time.perf_counter()
        run()
        walls.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(walls), 1), round((_backend_ms(pid) - cpu_before) / runs, 1)


def main():
    from campaigns.models import Pack
    from gotv import knockup_sql
    from labourhub.sql_rows import unprepared_cursor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=60)
    parser.add_argument("--electors-per-box", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        election, *_ = seed(boxes=args.boxes, electors_per_box=args.electors_per_box, rooms=3,
                            tellers=1, knockers=1, boards=1)  # fmt: skip
        seed_s = round(time.perf_counter() - started, 1)
        pack = (
            Pack.unscoped.filter(door_count=300, walk_list__knock_up_round__isnull=False)
            .order_by("pk")
            .first()
        )
        sql, params = knockup_sql.pack_statement(pack_id=pack.pk, election=election)
        numbered, values = _numbered(sql, params)
        execute = f"EXECUTE knockup({', '.join(_literal(v) for v in values)})"
        connection.ensure_connection()
        options = connection.settings_dict.get("OPTIONS", {})
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            cursor.execute(f"PREPARE knockup AS {numbered}")
            plans = {}
            for mode in ("force_custom_plan", "force_generic_plan"):
                cursor.execute(f"SET plan_cache_mode = {mode}")
                plans[mode] = _plan(cursor, f"EXPLAIN (ANALYZE, BUFFERS) {execute}")
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("DEALLOCATE knockup")
        with unprepared_cursor() as cursor:  # as the app sends it: bound, unnamed
            plans["app"] = _plan(cursor, f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        for name, plan in plans.items():
            print(f"--- {name}\n" + "\n".join(plan), flush=True)

        def app():
            knockup_sql.pack_rows(pack_id=pack.pk, election=election)

        def prepared():
            with connection._prepare_cursor(_Prepared(connection.connection)) as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        app()  # warm the caches once
        app_ms, app_pg_ms = _timed(app, args.runs, pid)
        prepared_ms, prepared_pg_ms = _timed(prepared, args.runs, pid)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE %s",
                ["%door.position%"],
            )
            kept = cursor.fetchall()
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)

    timing = {
        name: float(re.search(r"Execution Time: ([\d.]+)", "\n".join(plan))[1])
        for name, plan in plans.items()
    }
    result = {
        "seed_s": seed_s,
        "pack_doors": pack.door_count,
        "prepare_threshold": options.get("prepare_threshold"),
        "server_side_binding": options.get("server_side_binding", False),
        "explain_execution_ms": timing,
        "app_plan_equals_custom_plan": _shape(plans["app"]) == _shape(plans["force_custom_plan"]),
        "buffers": {
            name: re.search(r"Buffers: shared hit=(\d+)", "\n".join(plan))[1] for name, plan in plans.items()
        },
        "generic_plan_equals_custom_plan": _shape(plans["force_generic_plan"])
        == _shape(plans["force_custom_plan"]),
        "runs": args.runs,
        "app_median_ms": app_ms,
        "app_postgres_cpu_ms": app_pg_ms,
        "prepared_median_ms": prepared_ms,
        "prepared_postgres_cpu_ms": prepared_pg_ms,
        "prepared_generic_plans_custom_plans": [[row[1], row[2]] for row in kept],
        # 1: only the cursor above that prepares it on purpose; the app's runs prepared none
        "pack_statements_prepared": len(kept),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
