"""Benchmark: the Find a voter page on an 80k-elector constituency, against a plain search in the same run.

    .venv/bin/python tests/perf/bench_voter_search.py --rows 80000

1. imports a synthetic Xpress register of N electors (not timed);
2. for each kind of search (surname, first name + surname, postcode, outward code, house + street,
   street prefix, one letter, elector number) times the whole page as a canvasser of the constituency
   sees it (scoped, audited, rendered): best of 5;
3. times the page's own queries alone (the first page of 50 in name order and the capped count);
4. times, in the same run, the plain way: the first 50 ordered by surname with an exact count().
The last line printed is one JSON object; the target is page_ms_max < 100.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import setup_django  # noqa: E402

setup_django("bench_voter_search", DEBUG="true")  # DEBUG: static files without a manifest

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

GSS = "E14099911"


def best_ms(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=80_000)
    args = parser.parse_args()

    from labourhub.models import Constituency, Grant, PollingDistrict, Region, Role, User
    from voters.models import Elector
    from voters.register_files import synthetic_people, write_register
    from voters.search import NAME_ORDER, CappedPaginator, search_electors

    settings.ALLOWED_HOSTS = ["*"]
    pds = [f"S{n}" for n in range(1, max(2, args.rows // 4000) + 1)]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        region = Region.objects.create(name="Searchland", code="E15099911")
        constituency = Constituency.objects.create(name="Search", gss_code=GSS, region=region)
        PollingDistrict.objects.bulk_create(PollingDistrict(constituency=constituency, code=pd) for pd in pds)
        with tempfile.TemporaryDirectory() as tmp:
            settings.MEDIA_ROOT = tmp
            path = write_register(
                Path(tmp) / "register.csv", synthetic_people(args.rows, pds=pds), "xpress14"
            )
            call_command("import_register", str(path), "--constituency", GSS, stdout=open(os.devnull, "w"))  # noqa: SIM115
        person = next(p for p in synthetic_people(50, pds=pds) if p.lines)
        street = person.lines[0].split(" ", 1)[1]
        queries = [
            person.surname,
            f"{person.first_names} {person.surname}",
            person.postcode,
            person.postcode[:3],
            f"1 {street}",
            street[:5],
            person.surname[:1],
            person.elector_number,
        ]
        canvasser = User.objects.create_user(email="canvasser@search.example", password=None)
        Grant.all_objects.create(user=canvasser, role=Role.CANVASSER, constituency=constituency)
        client = Client(secure=True)
        client.force_login(canvasser)
        electors = Elector.unscoped.filter(polling_district__constituency=constituency)

        def page(q):
            response = client.get("/voters/", {"q": q})
            assert response.status_code == 200, response.status_code

        def search(q):
            found = search_electors(electors, q).select_related("home", "polling_district")
            list(CappedPaginator(found.order_by(*NAME_ORDER), 50).get_page(1))

        def plain(q):
            found = search_electors(electors, q).select_related("home", "polling_district")
            list(found.order_by("surname", "first_names", "pk")[:50])
            found.count()

        page_ms = {q: best_ms(lambda q=q: page(q)) for q in queries}
        search_ms = {q: best_ms(lambda q=q: search(q)) for q in queries}
        plain_ms = {q: best_ms(lambda q=q: plain(q)) for q in queries}
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)
    for q in queries:
        print(
            f"{q!r:>20}: page {page_ms[q]:6.1f} ms, its queries {search_ms[q]:6.1f} ms;"
            f" plain first 50 by surname + count() {plain_ms[q]:6.1f} ms"
        )
    result = {
        "rows": args.rows,
        "page_ms": page_ms,
        "search_ms": search_ms,
        "plain_ms": plain_ms,
        "page_ms_max": max(page_ms.values()),
        "search_ms_max": max(search_ms.values()),
        "plain_ms_max": max(plain_ms.values()),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
