"""Benchmark: a synthetic Xpress register imported end to end, against raw COPY in the same run.

    .venv/bin/python tests/perf/bench_register_import.py --rows 80000

1. writes an Xpress 14-column file of N electors (not timed);
2. imports it as a separate worker process would: `manage.py import_register` stores the file,
   streams, validates, COPYs to staging and applies the set-based upsert (timed, peak RSS taken);
3. imports the same file again: nothing may change (timed);
4. COPYs the same electors straight into a plain table with the elector table's indexes
   (the baseline, timed), then the register's properties and entries into tables indexed like
   theirs: the least any import that stores all three could take.
The last line printed is one JSON object.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import database_url, setup_django  # noqa: E402

setup_django("bench_voters")


from django.db import connection  # noqa: E402

GSS = "E14099901"


def make_constituency(pds):
    from labourhub.models import Constituency, PollingDistrict, Region

    region = Region.objects.create(name="Benchland", code="E15099901")
    constituency = Constituency.objects.create(name="Bench", gss_code=GSS, region=region)
    PollingDistrict.objects.bulk_create(PollingDistrict(constituency=constituency, code=pd) for pd in pds)
    return constituency


def run_worker(command, media_root):
    """The import `manage.py *command` in a process of its own, as a worker runs it. Returns (seconds
    from the upload being stored to the upsert committed, as the import record shows them; the report)."""
    from voters.models import RegisterImport

    env = {**os.environ, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(media_root), "DEBUG": "false"}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"import failed:\n{done.stdout}\n{done.stderr}")
    record = RegisterImport.unscoped.latest("created_at")
    print(f"worker process: {time.perf_counter() - started:.1f} s including Python and Django start-up")
    return (record.finished_at - record.created_at).total_seconds(), done.stdout


def copy_file(cursor, table, columns, rows, workdir, text_columns=()):
    """Seconds to COPY `rows` into a new plain table shaped and indexed like `table`."""
    path = workdir / f"{table}.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    cursor.execute(
        f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
    )
    options = f"FORMAT csv, FORCE_NOT_NULL ({', '.join(text_columns)})" if text_columns else "FORMAT csv"
    started = time.perf_counter()
    with path.open() as f, cursor.copy(f"COPY bench_{table} ({columns}) FROM STDIN ({options})") as copy:
        while chunk := f.read(1 << 20):
            copy.write(chunk)
    seconds = time.perf_counter() - started
    cursor.execute(f"DROP TABLE bench_{table}")
    return seconds


def raw_copy(people, pd_ids, workdir):
    """COPY the same electors into a plain table with the elector table's indexes (the baseline the
    issue names); and, to show the floor of what an import must write, the same register's
    properties and register entries into plain tables indexed like theirs. Returns both times."""
    from voters.importers.fields import md5

    electors, homes, entries = [], {}, []
    for n, p in enumerate(people, start=1):
        address = ", ".join(p.lines)
        key = md5(f"{address.upper()}|{p.postcode}")
        electors.append(
            [
                pd_ids[p.pd], p.number, p.suffix, p.elector_number, p.title, p.first_names, "", p.surname,
                p.markers, p.markers, p.attainment or "", p.opted_out, True, "2026-01-01",
                md5(f"{p.surname}|{p.first_names}|{p.lines}"), False, "", "2026-01-01T00:00:00Z",
            ]
        )  # fmt: skip
        if p.lines:
            homes.setdefault(key, [pd_ids[p.pd], key, address, p.lines[0], "", p.postcode, p.postcode, ""])
        entries.append([1, n, pd_ids[p.pd], p.number, p.suffix, p.elector_number])
    with connection.cursor() as cursor:
        elector_seconds = copy_file(
            cursor,
            "voters_elector",
            "polling_district_id, elector_number, elector_suffix, elector_number_raw, title, first_names, "
            "initials, surname, markers_raw, markers, attainment_date, opted_out, on_register, "
            "first_seen_month, match_key, do_not_contact, do_not_contact_reason, updated_at",
            electors,
            workdir,
            ("title", "initials", "markers_raw", "markers", "do_not_contact_reason"),
        )
        others = copy_file(
            cursor,
            "voters_property",
            "polling_district_id, address_key, address, street, house_number, postcode, postcode_display, uprn",
            homes.values(),
            workdir,
            ("uprn",),
        ) + copy_file(
            cursor,
            "voters_registerentry",
            "publication_id, elector_id, polling_district_id, elector_number, elector_suffix, elector_number_raw",
            entries,
            workdir,
        )
    return elector_seconds, elector_seconds + others


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=80_000)
    args = parser.parse_args()

    from voters.models import Elector
    from voters.register_files import synthetic_people, write_register

    pds = [f"B{n}" for n in range(1, max(2, args.rows // 4000) + 1)]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        constituency = make_constituency(pds)
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            path = write_register(workdir / "register.csv", synthetic_people(args.rows, pds=pds), "xpress14")
            command = ["import_register", str(path), "--constituency", GSS]
            seconds, report = run_worker(command, workdir / "media")
            peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(report)
            assert Elector.unscoped.count() == args.rows, Elector.unscoped.count()
            reimport_seconds, report = run_worker(command, workdir / "media")
            print(report)
            reimport_changed = "Added 0, changed 0, removed 0" in report
            pd_ids = dict(constituency.polling_districts.values_list("code", "pk"))
            copy_seconds, copy_all_seconds = raw_copy(synthetic_people(args.rows, pds=pds), pd_ids, workdir)
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)
    result = {
        "rows": args.rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(args.rows / seconds),
        "copy_seconds": round(copy_seconds, 2),
        "copy_rows_per_s": round(args.rows / copy_seconds),
        "ratio_vs_copy": round(copy_seconds / seconds, 3),
        "copy_all_tables_seconds": round(copy_all_seconds, 2),
        "ratio_vs_copy_all_tables": round(copy_all_seconds / seconds, 3),
        "reimport_seconds": round(reimport_seconds, 2),
        "reimport_changed_nothing": reimport_changed,
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
