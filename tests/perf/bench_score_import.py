"""Benchmark: a model score file imported end to end, against raw COPY in the same run.

    .venv/bin/python tests/perf/bench_score_import.py --rows 1000000

1. COPYs N electors straight into the elector table (setup, not timed);
2. writes a CSV of N rows: Elector ID, support, turnout (not timed);
3. imports it as a separate worker process would (`manage.py import_scores`: stored, streamed,
   validated, staged, one set-based upsert); timed from the upload being stored to the commit,
   peak RSS of that process taken;
4. COPYs the same 2N score values into a plain table with the score table's indexes (timed).
The last line printed is one JSON object.
"""

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import analyze, setup_django  # noqa: E402

setup_django("bench_scores")

from django.db import connection  # noqa: E402

from tests.perf.bench_register_import import GSS, make_constituency, run_worker  # noqa: E402

SCORES = ("support", "turnout")


def make_electors(rows, pd_ids, workdir):
    """N electors straight into the table (setup only); returns the range of their ids."""
    path = workdir / "electors.csv"
    with path.open("w") as f:
        for n in range(rows):
            pd = pd_ids[n % len(pd_ids)]
            f.write(
                f'{pd},{n + 1},0,B-{n + 1},Benchson,2026-01-01,{n:032x},true,false,false,2026-01-01T00:00Z,"","","","","",""\n'
            )
    columns = (
        "polling_district_id, elector_number, elector_suffix, elector_number_raw, surname, "
        "first_seen_month, match_key, on_register, opted_out, do_not_contact, updated_at, title, first_names, "
        "initials, markers_raw, markers, do_not_contact_reason"
    )
    with connection.cursor() as cursor, path.open() as f:
        with cursor.copy(f"COPY voters_elector ({columns}) FROM STDIN (FORMAT csv)") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        cursor.execute("SELECT min(id), max(id) FROM voters_elector")
        first, last = cursor.fetchone()
    analyze("ANALYZE voters_elector")
    # A range, not a list: the worker is forked from this process, and its peak RSS must be its own.
    return range(first, last + 1)


def write_scores(path, ids):
    rng = random.Random(1)
    with path.open("w") as f:
        f.write("Elector ID," + ",".join(SCORES) + "\n")
        for pk in ids:
            f.write(f"{pk}," + ",".join(f"{rng.random():.4f}" for _ in SCORES) + "\n")
    return path


def raw_copy(path):
    """The same score values COPY'd into a plain table with the score table's indexes."""
    plain = path.with_suffix(".plain.csv")
    with path.open() as source, plain.open("w") as f:
        next(source)
        for line in source:
            pk, *values = line.rstrip("\n").split(",")
            for name, value in zip(SCORES, values, strict=True):
                f.write(f"1,{pk},{name},{value}\n")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (LIKE voters_electorscore INCLUDING ALL)")
        started = time.perf_counter()
        with (
            plain.open() as f,
            cursor.copy(
                "COPY bench_plain (model_version_id, elector_id, name, value) FROM STDIN (FORMAT csv)"
            ) as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_plain")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    from voters.models import ElectorScore

    pds = [f"B{n}" for n in range(1, 21)]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        constituency = make_constituency(pds)
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            ids = make_electors(
                args.rows, list(constituency.polling_districts.values_list("pk", flat=True)), workdir
            )
            path = write_scores(workdir / "scores.csv", ids)
            seconds, report = run_worker(
                ["import_scores", str(path), "--model", "Bench", "--constituency", GSS], workdir / "media"
            )
            peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(report)
            stored = ElectorScore.unscoped.count()
            assert stored == args.rows * len(SCORES), stored
            copy_seconds = raw_copy(path)
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)
    result = {
        "rows": args.rows,
        "score_values": stored,
        "seconds": round(seconds, 2),
        "rows_per_s": round(args.rows / seconds),
        "copy_seconds": round(copy_seconds, 2),
        "copy_rows_per_s": round(args.rows / copy_seconds),
        "ratio_vs_copy": round(copy_seconds / seconds, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
