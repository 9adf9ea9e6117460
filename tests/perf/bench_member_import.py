"""Benchmark: a 500k-row membership export imported end to end, against raw COPY in the same run.

    .venv/bin/python tests/perf/bench_member_import.py [--rows 500000]

1. writes a membership export CSV of N members (not timed);
2. imports it with the real importer: read, COPY to staging in chunks (progress saved after each),
   type and check every line in one pass, one set-based upsert with the new members' consents, and
   matching to the register (timed; peak memory of the process taken);
3. imports the same file again: nothing may change (timed);
4. COPYs the same file straight into a plain table with the member table's columns and indexes (the
   baseline, timed), then as many consent rows as the import recorded into a table indexed like the
   consent table: the least an import storing both must write.
The last line printed is one JSON object; ratio_vs_copy is COPY's time over the import's (1.0 = as
fast as raw COPY; the target is at least 0.5).
"""

import argparse
import csv
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

from tests.perf.bootstrap import setup_django  # noqa: E402

setup_django("bench_member_import")

from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

from labourhub.models import Branch, Constituency, Region  # noqa: E402
from members import importers  # noqa: E402
from members.models import Consent, ImportMapping, Member, MemberImport  # noqa: E402

HEADERS = [
    "Membership Number", "Title", "Forename", "Surname", "Email", "Mobile", "Address1", "Town", "Postcode",
    "DOB", "Joined", "Status", "Membership Type", "Branch", "Trade Union", "Email Opt-in",
]  # fmt: skip
COLUMNS = [
    "membership_number", "title", "first_name", "last_name", "email", "mobile", "address_line1", "town",
    "postcode", "date_of_birth", "joined_on", "status", "membership_type", "branch", "trade_union",
    "consent_email",
]  # fmt: skip


def write_export(path, rows):
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            writer.writerow(
                [
                    f"A{n + 1:07d}",
                    rng.choice(["", "Mr", "Ms", "Dr"]),
                    f"First{n % 5000}",
                    f"Surname{n % 20011}",
                    f"m{n}@bench.example" if n % 5 else "",
                    "07700 900123" if n % 3 else "",
                    f"{n % 300} Long Road",
                    "Benchton",
                    f"BE{n % 9 + 1} {n % 10}AB",
                    f"{1940 + n % 60}-0{n % 9 + 1}-1{n % 9}",
                    f"{2000 + n % 25}-0{n % 9 + 1}-0{n % 9 + 1}",
                    ("current", "current", "current", "arrears", "lapsed")[n % 5],
                    "standard",
                    ("North", "South", "")[n % 3],
                    ("", "Unite", "UNISON")[n % 3],
                    "yes" if n % 2 else "no",
                ]
            )


def run_import(constituency, mapping, path):
    with path.open("rb") as handle:
        member_import = MemberImport.unscoped.create(
            constituency=constituency, mapping=mapping, file=File(handle, name=path.name), file_name=path.name
        )
    started = time.perf_counter()
    member_import = importers.member_import_run(import_id=member_import.pk)
    return time.perf_counter() - started, member_import


def raw_copy(path, constituency):
    """COPY the file as it is into a plain table with the member table's columns and all its indexes:
    the physical limit for loading these rows."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (LIKE members_member INCLUDING INDEXES)")
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'bench_plain'::regclass AND attnum > 0 "
            "AND attnotnull AND attname <> 'id'"
        )
        for (column,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE bench_plain ALTER COLUMN "{column}" DROP NOT NULL')
        cursor.execute(f"ALTER TABLE bench_plain ALTER COLUMN constituency_id SET DEFAULT {constituency.pk}")
        cursor.execute(
            "ALTER TABLE bench_plain ADD COLUMN branch text, ADD COLUMN consent text, "
            "ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY"
        )
        columns = [{"consent_email": "consent"}.get(c, c) for c in COLUMNS]
        started = time.perf_counter()
        with (
            cursor.copy(
                f"COPY bench_plain ({', '.join(columns)}) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_plain")
    return elapsed


def raw_copy_consents(count):
    """COPY as many consent rows as the import recorded into a plain table indexed like the consent
    table: with the member COPY, the least an import that stores both must write."""
    row = "email\tt\t2026-11-22 00:00:00+00\tAgreed to email, as recorded in the membership export.\timport\n"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_consent (LIKE members_consent INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        cursor.execute("ALTER TABLE bench_consent ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY")
        started = time.perf_counter()
        with cursor.copy(
            "COPY bench_consent (member_id, channel, granted, recorded_at, wording, source) FROM STDIN"
        ) as copy:
            for start in range(1, count + 1, 10_000):
                copy.write("".join(f"{n}\t{row}" for n in range(start, min(start + 10_000, count + 1))))
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_consent")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    region = Region.objects.create(name="Bench region", code="E15999998")
    constituency = Constituency.objects.create(name="Benchton", gss_code="E14999998", region=region)
    for name in ("North", "South"):
        Branch.objects.create(constituency=constituency, name=name, code=name[0])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "members.csv"
        write_export(path, args.rows)
        mapping = ImportMapping.unscoped.create(
            constituency=constituency, name="Bench", columns=importers.guess_mapping(HEADERS)
        )
        first_seconds, first = run_import(constituency, mapping, path)
        print(f"import: {first_seconds:.1f}s {first.report}", file=sys.stderr)
        again_seconds, again = run_import(constituency, mapping, path)
        print(f"again: {again_seconds:.1f}s {again.report}", file=sys.stderr)
        copy_seconds = raw_copy(path, constituency)
        consents = Consent.unscoped.count()
        copy_all_seconds = copy_seconds + raw_copy_consents(consents)
        print(
            f"raw COPY: {copy_seconds:.1f}s; with {consents} consent rows {copy_all_seconds:.1f}s",
            file=sys.stderr,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": args.rows,
        "imported": Member.unscoped.count(),
        "added": first.report.get("added"),
        "import_seconds": round(first_seconds, 2),
        "rows_per_s": round(args.rows / first_seconds),
        "reimport_seconds": round(again_seconds, 2),
        "reimport_changed": again.report.get("added", 0) + again.report.get("changed", 0),
        "raw_copy_seconds": round(copy_seconds, 2),
        "ratio_vs_copy": round(copy_seconds / first_seconds, 2),
        "copy_all_tables_seconds": round(copy_all_seconds, 2),
        "ratio_vs_copy_all_tables": round(copy_all_seconds / first_seconds, 2),
        "peak_rss_mb": round(peak_mb, 1),
    }
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
