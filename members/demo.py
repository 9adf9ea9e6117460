"""Demo data for members: about 3,000 Anytown members (and 300 in Otherton) loaded through the real
importer, with realistic statuses, a fifth without email, volunteers, one email sent through the real
sending service (to Django's in-memory mail box, so no SMTP server is needed) and one draft."""

import csv
import random
import re
import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from labourhub.demo import ANYTOWN_CODE, OTHERTON_CODE
from labourhub.models import Constituency, Grant, Role
from members import importers, services
from members.importers import guess_mapping
from members.models import (
    AVAILABILITY,
    SKILLS,
    BounceEvent,
    EmailBatch,
    ImportMapping,
    Member,
    MemberImport,
)
from members.models import Status as MemberStatus
from voters.models import Elector

FIRST = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Farid",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Nia",
    "Owen",
    "Priya",
    "Rhys",
    "Sara",
    "Tom",
    "Zoe",
]
LAST = [
    "Ahmed",
    "Baker",
    "Clarke",
    "Davies",
    "Evans",
    "Fisher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Patel",
    "Roberts",
    "Smith",
    "Taylor",
    "Walsh",
    "Young",
]
UNIONS = ["", "", "", "UNISON", "Unite", "GMB", "CWU", "NEU", "USDAW", "FBU"]
SOCIETIES = ["", "", "", "", "Fabian Society", "Co-operative Party", "SERA", "Labour Women's Network"]
HEADERS = [
    "Membership Number", "Title", "Forename", "Surname", "Email", "Mobile", "Address1", "Address2", "Town",
    "Postcode", "DOB", "Joined", "Status", "Arrears Since", "Lapsed", "Membership Type", "Branch",
    "Trade Union", "Socialist Societies", "Email Opt-in",
]  # fmt: skip


def seed(stdout):
    anytown = Constituency.objects.get(gss_code=ANYTOWN_CODE)
    if Member.unscoped.filter(constituency=anytown).exists():
        stdout.write("Members: already loaded.")
        return
    rng = random.Random(5)
    secretary = Grant.objects.filter(role=Role.CLP_SECRETARY, constituency=anytown).first().user
    for code, count, prefix in ((ANYTOWN_CODE, 3000, "A"), (OTHERTON_CODE, 300, "O")):
        clp = Constituency.objects.get(gss_code=code)
        people = _people(clp, count, rng)
        member_import = _import(clp, secretary if clp == anytown else None, people, prefix, rng)
        _volunteers(clp, rng)
        stdout.write(f"Members: {clp}: {member_import.report}")
    _link_demo_accounts(anytown)
    send = _sent_email(anytown, secretary, rng)
    services.email_send_save(
        constituency=anytown,
        user=secretary,
        subject="Can you help on Saturday, {{first_name}}?",
        body="Dear {{first_name}},\n\nWe are out in **{{ward}}** on Saturday from 10am. Reply to join us.",
        audience={"status": "current"},
        frequency_cap=3,
    )
    stdout.write(f"Members: email “{send.subject}”: {send.report()}; one draft to send.")


def _people(clp, count, rng):
    """Names and addresses: from the register where the voters demo has loaded it (so the importer's
    matching links them to their electors), else made up."""
    electors = list(
        Elector.unscoped.filter(polling_district__constituency=clp, home__isnull=False)
        .select_related("home")
        .order_by("?")[:count]
    )
    people = [
        {
            "first": (e.first_names.split() or ["Sam"])[0],
            "last": e.surname or "Smith",
            "address": e.home.address.split(", "),
            "postcode": e.home.postcode_display or e.home.postcode,
        }
        for e in electors
    ]
    while len(people) < count:
        people.append(
            {
                "first": rng.choice(FIRST),
                "last": rng.choice(LAST),
                "address": [f"{rng.randint(1, 200)} {rng.choice(LAST)} Road"],
                "postcode": f"AN{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}",
            }
        )
    return people


def _email(person, n, clp):
    local = re.sub(r"[^a-z0-9.]", "", f"{person['first']}.{person['last']}".lower())
    return f"{local}.{n}@{clp.name.lower()}.example"


def _import(clp, user, people, prefix, rng):
    today = timezone.localdate()
    branches = list(clp.branches.values_list("name", flat=True)) or [""]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{clp.name.lower()}-members.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            for n, person in enumerate(people):
                joined = today - timedelta(days=int(rng.expovariate(1 / 1500)))
                roll = rng.random()
                status, arrears, lapsed = "current", "", ""
                if roll < 0.1:
                    status, arrears = "arrears", (today - timedelta(days=rng.randint(20, 300))).isoformat()
                elif roll < 0.2:
                    status, lapsed = "lapsed", (today - timedelta(days=rng.randint(10, 700))).isoformat()
                has_email = rng.random() > 0.2
                address = person["address"] + ["", ""]
                writer.writerow(
                    [
                        f"{prefix}{100000 + n}",
                        rng.choice(["", "Mr", "Ms", "Mx", "Dr"]),
                        person["first"],
                        person["last"],
                        _email(person, n, clp) if has_email else "",
                        f"07700 9{n:05d}" if rng.random() > 0.4 else "",
                        address[0],
                        address[1],
                        clp.name,
                        person["postcode"],
                        (today - timedelta(days=rng.randint(16 * 365, 85 * 365))).strftime("%d/%m/%Y"),
                        min(joined, max(today, joined)).isoformat(),
                        status,
                        arrears,
                        lapsed,
                        rng.choice(["standard", "standard", "standard", "reduced", "youth", "unwaged"]),
                        rng.choice(branches),
                        rng.choice(UNIONS),
                        rng.choice(SOCIETIES),
                        "yes" if has_email and rng.random() < 0.85 else "no",
                    ]
                )
        mapping, _ = ImportMapping.unscoped.get_or_create(
            constituency=clp, name="Membership export", defaults={"columns": guess_mapping(HEADERS)}
        )
        with path.open("rb") as handle:
            member_import = MemberImport.unscoped.create(
                constituency=clp,
                mapping=mapping,
                file=File(handle, name=path.name),
                file_name=path.name,
                uploaded_by=user,
            )
    return importers.member_import_run(import_id=member_import.pk)


def _volunteers(clp, rng):
    skills = [value for value, _ in SKILLS]
    slots = [value for value, _ in AVAILABILITY]
    for member in Member.unscoped.filter(constituency=clp).in_good_standing().order_by("?")[:150]:
        services.volunteer_save(
            member=member,
            skills=rng.sample(skills, rng.randint(1, 3)),
            other_skills=rng.choice(["", "", "Polish", "Urdu", "BSL", "Welsh", "printing"]),
            availability=rng.sample(slots, rng.randint(1, 4)),
            help_other_clps=rng.random() < 0.3,
        )


def _link_demo_accounts(anytown):
    """The demo canvasser is also a member, so "My membership" has something to show: their own
    record, never another person's (issue 14, item 8: Cal once saw Aisha Adams's address)."""
    canvasser = Grant.objects.filter(role=Role.CANVASSER, constituency=anytown).first().user
    if Member.unscoped.filter(user=canvasser).exists():
        return
    first, last = canvasser.full_name.split(maxsplit=1)
    Member.unscoped.create(
        constituency=anytown,
        membership_number="A099001",
        first_name=first,
        last_name=last,
        email=canvasser.email,
        address_line1="14 Castle Street",
        town="Anytown",
        postcode="AN1 4CS",
        joined_on=timezone.localdate() - timedelta(days=400),
        status=MemberStatus.CURRENT,
        consent_email=True,
        branch=anytown.branches.order_by("name").first(),
        user=canvasser,
    )


def _sent_email(anytown, secretary, rng):
    send = services.email_send_save(
        constituency=anytown,
        user=secretary,
        subject="{{first_name}}, our AGM is on 12 March",
        body=(
            "Dear {{first_name}},\n\nThe **Annual General Meeting** of {{constituency}} CLP is on 12 March at "
            "7pm in the Community Centre.\n\n- elect the officers\n- agree our campaign plan\n\n"
            "See you there, from the {{branch}}."
        ),
        audience={"status": "current"},
        frequency_cap=3,
    )
    services.email_send_start(send=send, user=secretary, when=None)
    services.email_send_plan(send_id=send.pk)
    for batch_id in EmailBatch.objects.filter(send=send).values_list("id", flat=True):
        services.email_batch_send(batch_id=batch_id, backend=EmailBackend(), rate_per_second=0)
    recipients = list(send.recipients.select_related("member", "send").order_by("?")[:12])
    for recipient in recipients[:8]:
        services.email_unsubscribe(recipient=recipient)
    for recipient in recipients[8:]:
        services.bounce_record(
            recipient=recipient,
            kind=BounceEvent.Kind.HARD,
            reason="550 5.1.1 mailbox unavailable",
            source="webhook",
        )
    send.refresh_from_db()
    return send
