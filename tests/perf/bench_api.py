"""Benchmark: /api/v1/ under gunicorn with a token: paging the whole register by cursor, and
contacts written through the API, against the trivial view in the same run (issue 18).

    .venv/bin/python tests/perf/bench_api.py [--rows 1000000] [--page-size 100] [--write-rate 200]
        [--write-seconds 20] [--workers 2]

1. makes a throwaway database (not timed): one constituency with 100 polling districts and N
   electors written by one set-based INSERT ... SELECT FROM generate_series (no ORM row by row), a
   campaign with a pack of 200 doors given to a canvasser; an organiser's token (electors:read) and
   the canvasser's (contacts:write). The rate limits are lifted for the run (API_RATE_LIMIT_*);
2. starts gunicorn (production settings) and pages through every elector, `--page-size` a page,
   following each page's `next` cursor on one keep-alive connection: every page timed;
3. offers `--write-rate` contacts a second for `--write-seconds` (20 connections, each on a steady
   interval), each a POST /api/v1/contacts/ with an Idempotency-Key, through the phone pages' service;
4. times, in the same run, the trivial view (`/campaigns/ping.json`) back to back on 20 connections.
The last line printed is one JSON object. Targets: p95_page_ms < 100, last_page_ms no more than
first_page_ms (keyset paging), p95_write_ms < 150 at 200 writes a second.
"""

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

os.environ.setdefault("API_RATE_LIMIT_READS", "1000000")
os.environ.setdefault("API_RATE_LIMIT_WRITES", "1000000")

from tests.perf.bootstrap import Phone, free_port, gunicorn, percentile, run_phones, setup_django  # noqa: E402

setup_django("bench_api", DEBUG="true", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="false")

from django.db import connection  # noqa: E402

DISTRICTS = 100
CONNECTIONS = 20


def seed(rows):
    """-> (organiser token secret, canvasser token secret, pack, its electors' ids)."""
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
        cursor.execute(f"ANALYZE {Elector._meta.db_table}")  # noqa: S608
    organiser = User.objects.create_user(email="organiser@api.example", password=None)
    canvasser = User.objects.create_user(email="canvasser@api.example", password=None)
    Grant.all_objects.create(user=organiser, role=Role.ORGANISER, constituency=constituency)
    Grant.all_objects.create(user=canvasser, role=Role.CANVASSER, constituency=constituency)
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(organiser, generate_totp_secret())
    homes = Property.unscoped.bulk_create(
        Property(polling_district_id=districts[0], house_number=i, street="Api Street", address=f"{i} Api Street",
                 postcode="AP11AA", postcode_display="AP1 1AA", address_key=f"{i:032x}")
        for i in range(1, 201)
    )  # fmt: skip
    electors = Elector.unscoped.filter(polling_district_id=districts[0]).order_by("pk")[:200]
    for home, elector in zip(homes, electors, strict=False):
        Elector.unscoped.filter(pk=elector.pk).update(home=home)
    campaign = campaign_with_survey(constituency, name="Api campaign")
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = canvasser
    pack.save(update_fields=["assigned_to"])
    _, read_secret = api_token_create(
        user=organiser, name="pager", scopes=[Scope.ELECTORS_READ], expires_at=None
    )
    _, write_secret = api_token_create(
        user=canvasser, name="writer", scopes=[Scope.CONTACTS_WRITE], expires_at=None
    )
    ids = list(Elector.unscoped.filter(home__in=homes).values_list("pk", flat=True))
    return read_secret, write_secret, pack, ids


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
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        read_secret, write_secret, pack, elector_ids = seed(args.rows)
        print(f"seeded {args.rows} electors in {time.perf_counter() - started:.0f} s", flush=True)
        port = free_port()
        with gunicorn(port, workers=args.workers, threads=4):
            pager = with_token(port, read_secret)
            for _ in range(args.workers * 4):  # each worker's first request imports the project: not timed
                with_token(port, read_secret).request("GET", "/api/v1/electors/?page_size=1")
            page_ms, seen = [], 0
            path = f"/api/v1/electors/?page_size={args.page_size}"
            while path:
                status, body, ms = pager.request("GET", path)
                assert status == 200, (status, body[:300])
                answer = json.loads(body)
                seen += len(answer["results"])
                page_ms.append(ms)
                nxt = answer["next"]
                path = nxt[nxt.index("/api/") :] if nxt else None
            assert seen == args.rows, (seen, args.rows)

            writers = [with_token(port, write_secret) for _ in range(CONNECTIONS)]

            def write(phone, i):
                body = {"pack": pack.pk, "elector": elector_ids[(i * 7 + int(time.time() * 1000)) % len(elector_ids)],
                        "outcome": "spoke"}  # fmt: skip
                phone.headers["Idempotency-Key"] = str(uuid.uuid4())
                status, data, ms = phone.request("POST", "/api/v1/contacts/", json.dumps(body))
                return status, ms

            results, seconds, errors = run_phones(
                writers, args.write_seconds, write, interval=CONNECTIONS / args.write_rate
            )
            writes = [r for per in results for r in per]
            ok = [ms for status, ms in writes if status in (200, 201)]
            bad = [status for status, ms in writes if status not in (200, 201)]

            pingers = [with_token(port, write_secret) for _ in range(CONNECTIONS)]
            pings, ping_seconds, ping_errors = run_phones(
                pingers, 5, lambda phone, i: phone.request("GET", "/campaigns/ping.json")[0]
            )
            baseline = sum(len(p) for p in pings) / ping_seconds
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)
    result = {
        "rows": args.rows,
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
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
