"""Benchmark: the canvass sync endpoint under gunicorn, fed by many simulated phones.

    .venv/bin/python tests/perf/bench_canvass_sync.py [--phones 16] [--seconds 20] [--batch 10]

1. makes a throwaway database with a campaign, a survey and one pack of doors per phone (not timed);
2. starts gunicorn on the project (the same settings and middleware as production);
3. baseline: the phones hammer a trivial view (`campaigns:ping`) for a few seconds: requests/s;
4. full load: each phone sends batches of new answers (fresh client UUIDs) back to back, and
   re-sends one batch in ten as a phone would after a lost reply: the most answers/s it takes;
5. steady load: the phones send small batches at a fixed total rate (the target, or half the
   full-load rate if that is lower): p50/p95 latency as canvassers would see it;
6. counts what arrived: every acknowledged UUID must be in the database exactly once;
7. in process: builds a walk list over a 3,000-door polling district (ms) and gzips a 300-door
   pack download (KB).
The last line printed is one JSON object.
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
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import (  # noqa: E402
    Phone,
    free_port,
    gunicorn,
    percentile,
    run_phones,
    session_for,
    setup_django,
)

setup_django("bench_canvass", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="false")


from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOORS_PER_PHONE = 60


def seed(phones):
    """One CLP, a campaign with the standard survey, and for each phone a canvasser and a pack."""
    import importlib

    from django.apps import apps

    from campaigns.models import Campaign, Pack, PackDoor, WalkList
    from campaigns.services import survey_create
    from labourhub.models import Constituency, PollingDistrict, Region, Role, User
    from labourhub.services import grant_create
    from voters.models import Elector, Property

    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)
    region = Region.objects.create(name="Benchland", code="E15099902")
    constituency = Constituency.objects.create(name="Bench", gss_code="E14099902", region=region)
    pd = PollingDistrict.objects.create(constituency=constituency, code="BE1")
    campaign = Campaign.unscoped.create(constituency=constituency, name="Bench campaign")
    version = survey_create(campaign=campaign, name="Doorstep").current_version
    walk_list = WalkList.unscoped.create(campaign=campaign, name="Bench list")
    month = timezone.localdate().replace(day=1)
    out = []
    for phone in range(phones):
        user = User.objects.create_user(f"phone{phone}@bench.example", None, full_name=f"Phone {phone}")
        grant_create(user=user, role=Role.CANVASSER, area=constituency)
        homes = Property.unscoped.bulk_create(
            Property(
                polling_district=pd,
                address_key=f"{n} BENCH ROAD {phone}|BE11AA",
                address=f"{n} Bench Road {phone}",
                street=f"Bench Road {phone}",
                house_number=n,
                postcode="BE11AA",
                postcode_display="BE1 1AA",
            )
            for n in range(1, DOORS_PER_PHONE + 1)
        )
        electors = Elector.unscoped.bulk_create(
            Elector(
                polling_district=pd,
                home=home,
                elector_number=phone * 1000 + i,
                elector_number_raw=f"BE1-{phone * 1000 + i}",
                first_names="Bench",
                surname=f"Voter{i}",
                first_seen_month=month,
                match_key=f"bench{phone}-{i}",
            )
            for i, home in enumerate(homes)
        )
        pack = Pack.unscoped.create(
            walk_list=walk_list,
            number=phone + 1,
            name=f"Pack {phone}",
            sheet_id=f"B{phone}",
            assigned_to=user,
        )  # a canvasser sends answers only for the packs given to them
        PackDoor.objects.bulk_create(PackDoor(pack=pack, property=h, position=i) for i, h in enumerate(homes))
        out.append({"pack": pack.pk, "electors": [e.pk for e in electors], **session_for(user)})
    return out, version.pk


def walk_list_and_pack_figures():
    """Build a walk list over a 3,000-door polling district (ms), and the size of a 300-door
    pack download gzipped (KB). In process, on the same database."""
    import gzip

    from campaigns.models import Campaign, Pack
    from campaigns.packs import pack_download
    from campaigns.services import walk_list_create
    from labourhub.models import PollingDistrict
    from voters.models import Elector, Property

    campaign = Campaign.unscoped.get(name="Bench campaign")
    pd = PollingDistrict.objects.create(constituency=campaign.constituency, code="BE2")
    month = timezone.localdate().replace(day=1)
    homes = Property.unscoped.bulk_create(
        Property(
            polling_district=pd,
            address_key=f"{n} LONG ROAD {s}|BE21AA",
            address=f"{n} Long Road {s}",
            street=f"Long Road {s}",
            house_number=n,
            postcode="BE21AA",
            postcode_display="BE2 1AA",
            latitude=52.2 + n / 10000,
            longitude=0.1 + s / 1000,
        )
        for s in range(30)
        for n in range(1, 101)
    )
    Elector.unscoped.bulk_create(
        Elector(
            polling_district=pd,
            home=home,
            elector_number=i + 1,
            elector_number_raw=f"BE2-{i + 1}",
            first_names="Bench",
            surname=f"Walker{i}",
            first_seen_month=month,
            match_key=f"walk{i}",
        )
        for i, home in enumerate(homes)
        for _ in range(2)
    )
    started = time.perf_counter()
    walk_list = walk_list_create(
        campaign=campaign, name="BE2", criteria={"polling_districts": [pd.pk]}, pack_size=300
    )
    walk_list_ms = round((time.perf_counter() - started) * 1000, 1)
    pack = Pack.unscoped.filter(walk_list=walk_list, door_count=300).first()
    body = json.dumps(pack_download(pack=pack, token="x" * 32), separators=(",", ":")).encode()
    return walk_list_ms, round(len(gzip.compress(body)) / 1024, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=10, help="answers per request at full load")
    parser.add_argument("--paced-batch", type=int, default=5, help="answers per request at the steady load")
    parser.add_argument("--target", type=float, default=200, help="steady load to measure p95 at (answers/s)")
    parser.add_argument(
        "--steady-fraction", type=float, default=0.5, help="steady load as a share of full load"
    )
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)"
    )
    args = parser.parse_args()

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    identities, version_id = seed(args.phones)
    port = free_port()
    with gunicorn(port, workers=args.workers, threads=args.threads, backlog=2048):
        phones = [Phone(port, identity) for identity in identities]
        # Warm every worker (imports, connections) before timing anything.
        for phone in phones:
            phone.request("GET", "/campaigns/ping.json")

        ping_results, ping_seconds, ping_errors = run_phones(
            phones, min(8.0, args.seconds), lambda phone, i: phone.request("GET", "/campaigns/ping.json")
        )
        baseline = [r for per in ping_results for r in per]
        bad_ping = sum(1 for status, _, _ in baseline if status != 200)

        sent = set()
        acknowledged = set()
        statuses = {}
        counter = {"n": 0}
        lock = threading.Lock()

        def send(phone, i, size):
            electors = phone.identity["electors"]
            with lock:
                counter["n"] += 1
                resend = counter["n"] % 10 == 0 and phone.identity.get("last")
            if resend:
                body = phone.identity["last"]
            else:
                items = []
                for _ in range(size):
                    client_uuid = str(uuid.uuid4())
                    items.append(
                        {
                            "uuid": client_uuid,
                            "pack": phone.identity["pack"],
                            "elector": electors[len(sent) % len(electors)],
                            "survey_version": version_id,
                            "outcome": "spoke",
                            "answers": {
                                "vi": {"code": "L", "strength": "soft"},
                                "issues": ["housing"],
                                "postal": False,
                            },
                            "notes": "",
                            "recorded_at": timezone.now().isoformat(),
                        }
                    )
                    with lock:
                        sent.add(client_uuid)
                body = json.dumps({"answers": items})
                phone.identity["last"] = body
            status, data, ms = phone.request("POST", "/campaigns/sync/", body)
            if status == 200:
                with lock:
                    for result in json.loads(data)["results"]:
                        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
                        if result["status"] in ("recorded", "duplicate"):
                            acknowledged.add(result["uuid"])
            return status, ms, 0 if resend else size

        sync_results, sync_seconds, sync_errors = run_phones(
            phones, args.seconds, lambda phone, i: send(phone, i, args.batch)
        )
        full_rate = sum(n for per in sync_results for status, _, n in per if status == 200) / sync_seconds
        steady_rate = min(args.target, args.steady_fraction * full_rate)
        interval = args.phones * args.paced_batch / steady_rate
        paced_results, paced_seconds, paced_errors = run_phones(
            phones, args.seconds, lambda phone, i: send(phone, i, args.paced_batch), interval=interval
        )

    calls = [r for per in sync_results for r in per]
    latencies = sorted(ms for _, ms, _ in calls)
    new_answers = sum(n for status, _, n in calls if status == 200)
    paced = [r for per in paced_results for r in per]
    paced_latencies = sorted(ms for _, ms, _ in paced)
    paced_answers = sum(n for status, _, n in paced if status == 200)
    walk_list_ms, pack_gzip_kb = walk_list_and_pack_figures()

    from campaigns.models import Visit
    from voters.models import Contact

    stored = list(Visit.unscoped.values_list("client_uuid", flat=True))
    stored_set = {str(u) for u in stored}
    contacts = Contact.unscoped.filter(source="canvass").count()
    lost = len(acknowledged - stored_set)
    duplicated = (len(stored) - len(stored_set)) + (contacts - len(stored))
    connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)

    report = {
        "phones": args.phones,
        "batch": args.batch,
        "gunicorn_workers": args.workers,
        "gunicorn_threads": args.threads,
        "seconds": round(sync_seconds, 2),
        "answers_per_s": round(new_answers / sync_seconds, 1),
        "sync_requests_per_s": round(len(calls) / sync_seconds, 1),
        "p95_ms_at_full_load": percentile(latencies, 95),
        "steady_answers_per_s": round(paced_answers / paced_seconds, 1),
        "steady_batch": args.paced_batch,
        "p50_ms": percentile(paced_latencies, 50),
        "p95_ms": percentile(paced_latencies, 95),
        "baseline_req_per_s": round(len(baseline) / ping_seconds, 1),
        "baseline_p95_ms": round(sorted(ms for _, _, ms in baseline)[int(0.95 * (len(baseline) - 1))], 1),
        "statuses": statuses,
        "http_errors": sum(1 for status, _, _ in calls + paced if status != 200) + bad_ping,
        "client_errors": sync_errors + paced_errors + ping_errors,
        "sent": len(sent),
        "acknowledged": len(acknowledged),
        "stored": len(stored_set),
        "lost": lost,
        "duplicated": duplicated,
        "walk_list_3000_doors_ms": walk_list_ms,
        "pack_300_doors_gzip_kb": pack_gzip_kb,
    }
    print(
        f"sync: {report['answers_per_s']} answers/s at full load; at a steady {report['steady_answers_per_s']} "
        f"answers/s p95 is {report['p95_ms']} ms; baseline ping {report['baseline_req_per_s']} req/s; "
        f"lost {lost}, duplicated {duplicated}; walk list of 3,000 doors {walk_list_ms} ms; "
        f"300-door pack {pack_gzip_kb} KB gzipped"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
