"""Demo casework: the MP's office for Anytown with its lead caseworker (Casey, the core's caseworker
login) and a second caseworker who sees only their own cases, the agency directory, a topic list, and
about 200 cases over the last months across topics and statuses, with timelines, some linked to
electors of the register, and some awaiting an agency past its deadline, so the overdue lists show."""

import datetime
import random

from django.utils import timezone

from casework import services
from casework.models import Agency, Case, Office, OfficeMembership, Status, Topic
from labourhub.demo import ANYTOWN_CODE, demo_user
from labourhub.models import Constituency, Grant, Role
from labourhub.services import grant_create
from voters.models import Elector

OFFICE_NAME = "Office of Alex Anytown MP"
CASES = 200
SECOND_CASEWORKER = ("caseworker2@anytown.demo", "Kit Caseworker")

# The office's own agency directory, with the examples and their published targets: the
# government's for replying to MPs' letters is 20 working days; councils often 7-10 (Anytown's 10).
# Contact routes are made-up addresses (.example): the demo sends nothing anywhere real.
AGENCIES = [
    (
        "DWP (MPs' hotline)",
        Agency.Kind.GOVERNMENT,
        "MPs' hotline and email account",
        20,
        {"email": "mps.hotline@dwp.example", "phone": "0800 000 0001"},
    ),
    (
        "HM Passport Office",
        Agency.Kind.GOVERNMENT,
        "MPs' account",
        20,
        {"email": "mp.enquiries@passports.example", "phone": "0800 000 0002"},
    ),
    (
        "Home Office (UKVI MP account)",
        Agency.Kind.GOVERNMENT,
        "UKVI MP enquiries account",
        20,
        {"portal_url": "https://ukvi-mp-account.example/", "email": "mpaccount@ukvi.example"},
    ),
    (
        "HMRC",
        Agency.Kind.GOVERNMENT,
        "MPs' correspondence unit",
        20,
        {"postal_address": "MPs' correspondence unit\nHMRC\nBX0 0XX"},
    ),
    (
        "Anytown Council housing",
        Agency.Kind.COUNCIL,
        "Members' enquiries team",
        10,
        {"email": "housing.members@anytown.gov.example", "phone": "01632 960001"},
    ),
    (
        "Anytown Council highways",
        Agency.Kind.COUNCIL,
        "Highways members' portal",
        10,
        {"portal_url": "https://anytown.gov.example/members/highways"},
    ),
    (
        "Anytown Hospitals NHS Trust",
        Agency.Kind.NHS,
        "PALS",
        20,
        {"email": "pals@anytown-hospitals.nhs.example", "phone": "01632 960002"},
    ),
    (
        "Anytown Homes housing association",
        Agency.Kind.HOUSING,
        "MP enquiries line",
        10,
        {"phone": "01632 960003", "postal_address": "Anytown Homes\n1 High Street\nAnytown AT1 1AA"},
    ),
]
TOPICS = {
    "Housing": ["Repairs", "Homelessness", "Allocations"],
    "Benefits": ["Universal Credit", "PIP", "Child maintenance"],
    "Immigration": ["Visas", "Asylum", "Passports"],
    "Health": ["GP access", "Hospital waiting times"],
    "Local": ["Roads", "Planning", "Antisocial behaviour"],
    "Tax": [],
}
# A sub-topic's likely agency.
AGENCY_FOR = {
    "Repairs": "Anytown Homes housing association",
    "Homelessness": "Anytown Council housing",
    "Allocations": "Anytown Council housing",
    "Universal Credit": "DWP (MPs' hotline)",
    "PIP": "DWP (MPs' hotline)",
    "Child maintenance": "DWP (MPs' hotline)",
    "Visas": "Home Office (UKVI MP account)",
    "Asylum": "Home Office (UKVI MP account)",
    "Passports": "HM Passport Office",
    "Hospital waiting times": "Anytown Hospitals NHS Trust",
    "Roads": "Anytown Council highways",
    "Tax": "HMRC",
}
SPECIAL = {"Health", "Immigration", "Benefits"}
FIRST = ["Amira", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Harry", "Isla", "Jack", "Kemi", "Liam"]
LAST = ["Patel", "Smith", "Jones", "Okafor", "Brown", "Khan", "Taylor", "Wilson", "Evans", "Ahmed", "Walsh"]
STREETS = ["Mill Lane", "Station Road", "Church Street", "Victoria Avenue", "Park Road", "The Crescent"]
NOTES = [
    "Constituent came to the Friday surgery.",
    "Called the constituent back to take details.",
    "Letter of authority received.",
    "Chased by email.",
    "Constituent sent copies of the letters.",
]


def seed(stdout):
    anytown = Constituency.objects.get(gss_code=ANYTOWN_CODE)
    if Office.objects.filter(name=OFFICE_NAME).exists():
        stdout.write("Casework: already seeded.")
        return
    rng = random.Random(15)
    operator = demo_user("operator@labourhub.demo", "Platform Operator", superuser=True)
    lead = demo_user("caseworker@anytown.demo", "Casey Caseworker")
    second = demo_user(*SECOND_CASEWORKER)
    if not Grant.objects.filter(user=second, role=Role.CASEWORKER).exists():
        grant_create(user=second, role=Role.CASEWORKER, area=anytown, granted_by=operator, reason="Demo data")
    office = Office.objects.create(
        name=OFFICE_NAME,
        kind=Office.Kind.MP,
        representative="Alex Anytown MP",
        constituency=anytown,
        reference_prefix="ANY",
    )
    office.covers_constituencies.add(anytown)
    OfficeMembership.objects.create(office=office, user=lead, role=OfficeMembership.Role.LEAD)
    OfficeMembership.objects.create(office=office, user=second, sees=OfficeMembership.Sees.MINE)
    agencies = {}
    for name, kind, route, days, contacts in AGENCIES:
        agencies[name] = Agency.objects.create(
            office=office, name=name, kind=kind, contact_route=route, response_working_days=days, **contacts
        )
    subtopics = []
    for name, subs in TOPICS.items():
        parent = Topic.objects.create(office=office, name=name)
        subtopics += [Topic.objects.create(office=office, parent=parent, name=sub) for sub in subs] or [
            parent
        ]
    electors = list(
        Elector.unscoped.filter(polling_district__constituency=anytown, home__isnull=False).order_by("pk")[
            :2000
        ]
    )
    today = timezone.localdate()
    cases = [
        _one_case(rng, n, office, lead, second, subtopics, agencies, electors, today) for n in range(CASES)
    ]
    _others_on_cases(rng, lead, [c for c in cases if c.is_open and not c.sensitive], electors, today)
    overdue = Case.unscoped.filter(office=office).overdue(today).count()
    chasers = services.chasers_create(today=today)  # what the worker's hourly check would set
    stdout.write(
        f"Casework: {OFFICE_NAME} with {CASES} cases ({overdue} overdue, {chasers} chasers to send), caseworkers "
        f"caseworker@anytown.demo (office lead) and {SECOND_CASEWORKER[0]} (own cases)."
    )


def _one_case(rng, n, office, lead, second, subtopics, agencies, electors, today):
    worker = lead if n % 3 else second
    topic = rng.choice(subtopics)
    opened = today - datetime.timedelta(days=rng.randint(0, 150))
    elector = rng.choice(electors) if electors and rng.random() < 0.6 else None
    fresh = {}
    if elector is None:
        fresh = {
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}, Anytown",
            "postcode": f"AT{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
            "email": f"constituent{n}@example.org",
        }
    family = topic.parent.name if topic.parent_id else topic.name
    special = family in SPECIAL and rng.random() < 0.7
    case = services.case_open(
        user=worker,
        office=office,
        channel=rng.choice(Case.Channel.values),
        summary=f"{topic}: {rng.choice(['help needed', 'no reply for weeks', 'decision appealed', 'urgent'])}",
        elector=elector,
        topic=topic,
        urgency=rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]),
        special_category=special,
        article9_condition=Case.Article9.ELECTED_REPRESENTATIVES if special else "",
        sensitive=rng.random() < 0.05,
        opened_on=opened,
        note=rng.choice(NOTES),
        **fresh,
    )
    stage = rng.random()
    if stage < 0.15:
        return case  # still new
    services.case_move(user=worker, case=case, status=Status.TRIAGE, on=opened)
    if stage < 0.3:
        return case
    agency = agencies.get(AGENCY_FOR.get(topic.name) or AGENCY_FOR.get(family, ""))
    if agency is None or stage < 0.4:
        services.case_move(user=worker, case=case, status=Status.AWAITING_CONSTITUENT, on=opened)
    else:
        referred = opened + datetime.timedelta(days=rng.randint(0, 5))
        services.case_move(
            user=worker, case=case, status=Status.AWAITING_AGENCY, agency=agency, on=min(referred, today)
        )
        services.timeline_add(
            user=worker,
            case=case,
            kind="letter_out",
            text=f"Referred to {agency} with the constituent's authority.",
        )
    if stage > 0.75 and opened < today - datetime.timedelta(days=30):
        outcome = rng.choice(["resolved", "resolved", "partly", "not_resolved", "advice"])
        services.timeline_add(user=worker, case=case, kind="email_in", text="Reply received.")
        case = services.case_move(user=worker, case=case, status=Status.CLOSED, outcome=outcome, on=today)
    return case


# A signed authority form as an office would scan it (a minimal PDF; stored through the attachment path).
AUTHORITY_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _others_on_cases(rng, lead, cases, electors, today):
    """Issue 15 item 2 in the demo: joint cases with a second constituent, cases with someone acting
    for the constituent (a signed authority form attached), and linked pairs."""
    for case in cases[:4]:
        partner = rng.choice(electors) if electors else None
        fresh = {} if partner else {"name": f"{rng.choice(FIRST)} {case.name.split()[-1]}"}
        services.case_constituent_add(user=lead, case=case, elector=partner, **fresh)
    for n, case in enumerate(cases[4:7]):
        relationship, name = [("relative", "Jordan Relative"), ("advocate", "Anytown Advocacy Service"),
                              ("solicitor", "Morgan Solicitor")][n]  # fmt: skip
        services.third_party_add(
            user=lead,
            case=case,
            name=name,
            relationship=relationship,
            email=f"{relationship}@thirdparty.example",
            authority_signed_on=max(case.opened_on, today - datetime.timedelta(days=10)),
            authority_held="signed_form",
            form_upload=(f"authority-{case.reference_seq}.pdf", AUTHORITY_PDF),
            authority_expires_on=today + datetime.timedelta(days=365),
        )
    pairs = [(cases[7], cases[8], "family", "Siblings, same landlord"),
             (cases[9], cases[10], "duplicate", "The same letter came by email and by post")]  # fmt: skip
    for first, second, kind, reason in pairs:
        services.case_link(user=lead, case=first, other=second, kind=kind, reason=reason)


def logins():
    return [
        ("caseworker@anytown.demo", "also: lead caseworker of the Anytown MP's office (casework demo)"),
        (SECOND_CASEWORKER[0], "Caseworker, Anytown MP's office: own cases only"),
    ]
