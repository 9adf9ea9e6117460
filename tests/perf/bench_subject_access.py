"""Benchmark: one person's subject access export (issue 16, item 2) among a million electors.

    .venv/bin/python tests/perf/bench_subject_access.py --electors 1000000 --records 5000

1. COPYs N electors (and their homes) into 12 constituencies, then gives one of them a long history
   of about R records across the apps: contacts, canvass visits with answers, model scores, register
   entries, a member record with consents and email sends, polling-day promises, audit events
   (not timed);
2. times the export as a data protection lead gets it: the POST to the elector page's button, the
   whole request (scoped lookup, one query per section, redaction, the HTML summary, the JSON, the
   zip, the audit row): best of 3;
3. times, in the same run, the baseline: the same person's rows read with one plain SELECT per table
   and nothing else (the least any export could take).
The last line printed is one JSON object with `seconds` (the export) and `records`; the target is
seconds < 2.
"""

import argparse
import datetime
import json
import os
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import analyze, setup_django  # noqa: E402

setup_django("bench_subject_access", DEBUG="true")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

CLPS = 12
PDS_PER_CLP = 20


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def _copy(cursor, table, columns, rows):
    """COPY `rows` (any iterable: generated as they go, a million never held at once)."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608  # constant names
        for row in rows:
            copy.write_row(row)


def load_electors(total):
    """Regions, CLPs, polling districts, then `total` electors two to a home, by COPY."""
    from labourhub.models import Constituency, PollingDistrict, Region

    region = Region.objects.create(name="Benchland", code="E15099921")
    clps = [
        Constituency.objects.create(name=f"Bench {n}", gss_code=f"E14099{900 + n:03d}", region=region)
        for n in range(CLPS)
    ]
    pds = PollingDistrict.objects.bulk_create(
        PollingDistrict(constituency=clp, code=f"B{c}P{p}")
        for c, clp in enumerate(clps)
        for p in range(PDS_PER_CLP)
    )
    per_pd = total // len(pds)
    month = datetime.date(2025, 12, 1)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM voters_property")
        (first_home,) = cursor.fetchone()

        def homes():
            home_id = first_home
            for pd in pds:
                for n in range(0, per_pd, 2):
                    home_id += 1
                    yield (
                        home_id,
                        pd.pk,
                        f"{home_id:032x}",
                        f"{n // 2 + 1} Bench Street",
                        "Bench Street",
                        n // 2 + 1,
                        "BE11AA",
                        "BE1 1AA",
                        "",
                    )

        def electors():
            home_id = first_home
            for pd in pds:
                for n in range(per_pd):
                    if n % 2 == 0:
                        home_id += 1
                    yield (
                        pd.pk,
                        home_id,
                        n + 1,
                        0,
                        f"{pd.code}-{n + 1}",
                        "",
                        f"First{n % 997}",
                        "",
                        f"Surname{n % 4999}",
                        "",
                        "",
                        False,
                        True,
                        month,
                        f"{pd.pk}-{n}",
                        False,
                        "",
                        now,
                    )

        _copy(
            cursor,
            "voters_property",
            [
                "id",
                "polling_district_id",
                "address_key",
                "address",
                "street",
                "house_number",
                "postcode",
                "postcode_display",
                "uprn",
            ],
            homes(),
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('voters_property', 'id'), max(id)) FROM voters_property"
        )
        _copy(
            cursor,
            "voters_elector",
            [
                "polling_district_id",
                "home_id",
                "elector_number",
                "elector_suffix",
                "elector_number_raw",
                "title",
                "first_names",
                "initials",
                "surname",
                "markers_raw",
                "markers",
                "opted_out",
                "on_register",
                "first_seen_month",
                "match_key",
                "do_not_contact",
                "do_not_contact_reason",
                "updated_at",
            ],
            electors(),
        )
    analyze("ANALYZE voters_elector", "ANALYZE voters_property")
    return clps[0], per_pd * len(pds)


def give_history(constituency, records):
    """About `records` rows about one elector across the apps; returns (elector, their member)."""
    from campaigns.models import Answer, Campaign, DoorOutcome, Question, Visit
    from campaigns.services import survey_create
    from gotv.models import Election, PromiseAdjustment
    from labourhub.models import AuditEvent, User
    from members.models import Consent, EmailRecipient, EmailSend, Member
    from voters.models import (
        Contact,
        Elector,
        ElectorScore,
        ModelVersion,
        RegisterEntry,
        RegisterPublication,
    )

    elector = Elector.unscoped.filter(polling_district__constituency=constituency).order_by("pk")[10]
    share = records // 10
    now = timezone.now()
    canvasser = User.objects.create_user(email="canvasser@bench.example", password=None)
    contacts = Contact.unscoped.bulk_create(
        Contact(
            elector=elector,
            channel="door",
            at=now - datetime.timedelta(hours=n),
            by=canvasser,
            outcome="Spoke",
            notes=f"Visit {n}",
        )
        for n in range(3 * share)
    )
    campaign = Campaign.unscoped.create(constituency=constituency, name="Bench campaign")
    version = survey_create(campaign=campaign, name="Survey").versions.get()
    question = Question.objects.filter(version=version).first()
    spoke = DoorOutcome.objects.get(code="spoke", channel="door")
    visits = Visit.unscoped.bulk_create(
        Visit(
            client_uuid=uuid.uuid4(),
            campaign=campaign,
            elector=elector,
            canvasser=canvasser,
            outcome=spoke,
            recorded_at=now,
            contact=contacts[n],
            digest="x",
            survey_version=version,
        )
        for n in range(share)
    )
    Answer.objects.bulk_create(Answer(visit=v, question=question, value="L") for v in visits)
    models = [
        ModelVersion.unscoped.create(
            constituency=constituency,
            name=f"Model {n}",
            run_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
            score_names=["support"],
        )
        for n in range(share // 2)
    ]
    ElectorScore.unscoped.bulk_create(
        ElectorScore(model_version=m, elector=elector, name=name, value=0.5)
        for m in models
        for name in ("support", "turnout")
    )
    publications = RegisterPublication.objects.bulk_create(
        RegisterPublication(
            constituency=constituency, published_on=datetime.date(2000, 1, 1) + datetime.timedelta(days=n)
        )
        for n in range(share // 2)
    )
    RegisterEntry.unscoped.bulk_create(
        RegisterEntry(
            publication=p,
            elector=elector,
            polling_district_id=elector.polling_district_id,
            elector_number=elector.elector_number,
            elector_number_raw=elector.elector_number_raw,
        )
        for p in publications
    )
    member = Member.unscoped.create(
        constituency=constituency,
        membership_number="A1234567",
        first_name="First",
        last_name="Member",
        elector=elector,
    )
    Consent.unscoped.bulk_create(
        Consent(member=member, channel="email", granted=n % 2 == 0, wording="Email", source="import")
        for n in range(share // 2)
    )
    sends = EmailSend.unscoped.bulk_create(
        EmailSend(constituency=constituency, subject=f"News {n}", body="Hi") for n in range(share // 2)
    )
    EmailRecipient.unscoped.bulk_create(
        EmailRecipient(send=s, member=member, email="m@bench.example", batch_number=0, planned_at=now)
        for s in sends
    )
    election = Election.unscoped.create(
        constituency=constituency,
        kind="general",
        name="GE",
        poll_date=timezone.localdate(),
        publication=publications[-1],
    )
    PromiseAdjustment.unscoped.bulk_create(
        PromiseAdjustment(election=election, elector=elector, kind="promise", reason="Bench", at=now)
        for _ in range(share // 2)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="elector.view",
            user=canvasser,
            object_type="voters.elector",
            object_id=str(elector.pk),
            constituency=constituency,
        )
        for _ in range(3 * share)
    )
    return elector, member


BASELINE_TABLES = [
    ("voters_contact", "elector_id"),
    ("campaigns_visit", "elector_id"),
    ("voters_electorscore", "elector_id"),
    ("voters_registerentry", "elector_id"),
    ("gotv_promiseadjustment", "elector_id"),
    ("members_consent", "member_id"),
    ("members_emailrecipient", "member_id"),
]


def baseline(elector, member):
    """The same person's rows, one plain SELECT * per table; the audit events by object."""
    rows = 0
    with connection.cursor() as cursor:
        for table, column in BASELINE_TABLES:
            cursor.execute(
                f"SELECT * FROM {table} WHERE {column} = %s",  # noqa: S608  # constant table names
                [member.pk if column == "member_id" else elector.pk],
            )
            rows += len(cursor.fetchall())
        cursor.execute(
            "SELECT * FROM labourhub_auditevent WHERE object_type = 'voters.elector' AND object_id = %s",
            [str(elector.pk)],
        )
        rows += len(cursor.fetchall())
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electors", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="print where one export's time goes")
    args = parser.parse_args()

    from labourhub.models import Grant, Role, User

    settings.ALLOWED_HOSTS = ["*"]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        constituency, electors = load_electors(args.electors)
        elector, member = give_history(constituency, args.records)
        analyze()
        print(f"loaded {electors} electors and the history in {time.perf_counter() - started:.1f} s")
        lead = User.objects.create_user(email="dpl@bench.example", password=None)
        Grant.all_objects.create(user=lead, role=Role.DATA_PROTECTION_LEAD, constituency=constituency)
        from tests.factories import with_totp

        with_totp(lead)  # the role signs in with MFA
        client = Client(secure=True)
        client.force_login(lead)
        url = f"/voters/electors/{elector.pk}/subject-access/"

        def export():
            response = client.post(url)
            assert response.status_code == 200, response.status_code
            return len(response.content)

        seconds, size = best(export)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(export)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        from labourhub.models import AuditEvent

        records = AuditEvent.objects.filter(action="privacy.subject_access").latest("at").detail["records"]
        baseline_seconds, baseline_rows = best(lambda: baseline(elector, member))
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"export: {seconds:.3f} s for {records} records ({size / 1e6:.1f} MB zip); baseline {baseline_seconds:.3f} s for {baseline_rows} rows"
    )
    print(
        json.dumps(
            {
                "electors": electors,
                "records": records,
                "seconds": round(seconds, 3),
                "zip_bytes": size,
                "baseline_seconds": round(baseline_seconds, 3),
                "baseline_rows": baseline_rows,
            }
        )
    )


if __name__ == "__main__":
    main()
