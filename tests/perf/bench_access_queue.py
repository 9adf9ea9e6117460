"""Benchmark: a regional reviewer's queue with 5,000 open requests, against a trivial view in the same run.

    .venv/bin/python tests/perf/bench_access_queue.py [--requests 5000] [--rounds 60]

1. makes a throwaway database and seeds N open requests waiting for review in one region, each
   from a different member with a membership, training and a role (not timed);
2. fetches the reviewer queue (first page, soonest deadline first) --rounds times through the full
   middleware stack with Django's test client, signed in as regional staff (timed);
3. fetches a trivial view (an HttpResponse, same middleware, same signed-in user) as many times;
4. counts the queries of one queue fetch.
The last line printed is one JSON object.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import analyze, setup_django  # noqa: E402

setup_django(
    "bench_access_queue", SECURE_SSL_REDIRECT="false", STATIC_MANIFEST="false", ALLOWED_HOSTS="testserver"
)

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from access import deciders  # noqa: E402
from access.models import AccessRequest, Status, Step, Tool, TrainingRecord  # noqa: E402
from labourhub.models import Constituency, Grant, Region, Role, User  # noqa: E402
from members.models import Member  # noqa: E402


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), path("", include("labourhub.urls"))]


def seed(count):
    region = Region.objects.create(name="Benchland", code="E15000999")
    clps = [
        Constituency.objects.create(name=f"Bench CLP {n}", gss_code=f"E14{n:06d}", region=region)
        for n in range(20)
    ]
    tool = Tool.objects.create(name="Canvassing", slug="canvassing", role=Role.CANVASSER, training_months=24)
    users = User.objects.bulk_create(
        User(email=f"requester{n}@bench.example", full_name=f"Requester {n}", password="!")
        for n in range(count)
    )
    Member.unscoped.bulk_create(
        Member(
            constituency=clps[n % len(clps)],
            membership_number=f"A{100000 + n}",
            first_name="Requester",
            last_name=str(n),
            status="current" if n % 7 else "arrears",
            user=user,
        )
        for n, user in enumerate(users)
    )
    today = timezone.localdate()
    TrainingRecord.objects.bulk_create(
        TrainingRecord(user=user, completed_on=today - timedelta(days=n % 900))
        for n, user in enumerate(users)
    )
    now = timezone.now()
    Grant.all_objects.bulk_create(
        Grant(
            user=user, role=Role.TELLER, constituency=clps[n % len(clps)], starts_at=now - timedelta(days=1)
        )
        for n, user in enumerate(users)
        if n % 3 == 0
    )
    AccessRequest.objects.bulk_create(
        AccessRequest(
            tool=tool,
            requester=user,
            submitted_by=user,
            constituency=clps[n % len(clps)],
            region=region,
            reason="Saturday sessions",
            needed_by=today + timedelta(days=7),
            status=Status.REVIEW,
            step=Step.REVIEW,
            step_due_at=now + timedelta(minutes=(n * 37) % 5000 - 600),
            submitted_at=now - timedelta(hours=1),
        )
        for n, user in enumerate(users)
    )
    reviewer = User.objects.create_user(
        "reviewer@bench.example", "bench-password-not-secret", full_name="Reviewer"
    )
    Grant.all_objects.create(
        user=reviewer, role=Role.REGIONAL_STAFF, region=region, starts_at=now - timedelta(days=1)
    )
    TOTP.activate(reviewer, generate_totp_secret())
    analyze()
    return reviewer


def _timed_query(log):
    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append(((time.perf_counter() - start) * 1000, sql))

    return wrapper


def timed(client, url, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def p(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument(
        "--verbose", action="store_true", help="print each query of one queue fetch and its time"
    )
    args = parser.parse_args()

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        reviewer = seed(args.requests)
        with override_settings(ROOT_URLCONF=__name__):
            client = Client()
            client.force_login(reviewer)
            queue_url, trivial_url = reverse("access:reviewer_queue"), reverse("bench_trivial")
            timed(client, queue_url, 5)  # warm up
            timed(client, trivial_url, 5)
            queries = []
            with connection.execute_wrapper(_timed_query(queries)):
                response = client.get(queue_url)
            if args.verbose:
                for ms, sql in queries:
                    print(f"{ms:8.1f} ms  {sql[:300]}")
            open_count = deciders.reviewer_queue(reviewer).count()
            rows = response.content.count(b'href="/access/requests/')
            queue = timed(client, queue_url, args.rounds)
            baseline = timed(client, trivial_url, args.rounds)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)

    result = {
        "requests": open_count,
        "rounds": args.rounds,
        "queue_ms_p50": round(statistics.median(queue), 1),
        "queue_ms_p95": round(p(queue, 0.95), 1),
        "trivial_ms_p50": round(statistics.median(baseline), 1),
        "trivial_ms_p95": round(p(baseline, 0.95), 1),
        "queries": len(queries),
        "rows_per_page": rows,
        "target_ms": 200,
    }
    print(f"Reviewer queue over {open_count} open requests, {args.rounds} rounds each:")
    print(
        f"  queue   p50 {result['queue_ms_p50']} ms, p95 {result['queue_ms_p95']} ms, {len(queries)} queries"
    )
    print(f"  trivial p50 {result['trivial_ms_p50']} ms, p95 {result['trivial_ms_p95']} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
