"""Demo data for access: the catalogue, a regional director, and requests in every state."""

from datetime import timedelta

from django.utils import timezone

from access.models import AccessRequest, EscalationContact, Level, Tool, TrainingRecord
from access.services import (
    holding_revoke,
    request_decide,
    request_submit,
    request_withdraw,
    requests_escalate_overdue,
)
from labourhub.demo import ANYTOWN_CODE, OTHERTON_CODE, REGION_CODE, demo_user
from labourhub.models import Constituency, Region, Role
from members.models import Member
from members.models import Status as MemberStatus

# (slug, name, role, level, description, rules)
CATALOGUE = [
    (
        "canvassing",
        "Canvassing",
        Role.CANVASSER,
        Level.CONSTITUENCY,
        "Knock doors and make calls for your CLP, with walk lists on your phone.",
        {"training_months": 24, "auto_approve": False},
    ),
    (
        "telling",
        "Telling on polling day",
        Role.TELLER,
        Level.CONSTITUENCY,
        "Take elector numbers outside polling stations and help knock up.",
        {"training_months": 24, "decision_hours": 24, "default_days": 60, "max_days": 90},
    ),
    (
        "organising",
        "Organising",
        Role.ORGANISER,
        Level.CONSTITUENCY,
        "Plan canvassing, build walk lists and read canvass reports.",
        {"training_months": 12, "requires_role": Role.CANVASSER},
    ),
    (
        "contact-creator",
        "Contact Creator",
        "",
        Level.CONSTITUENCY,
        "The party's voter contact tool (an account is made by the region).",
        {"training_months": 12},
    ),
    (
        "insight",
        "Insight",
        "",
        Level.REGION,
        "Regional data and targeting reports.",
        {"training_months": 12, "max_days": 365, "default_days": 180},
    ),
    (
        "organise",
        "Organise",
        "",
        Level.CONSTITUENCY,
        "Event and volunteer organising tool.",
        {"training_months": None},
    ),
    (
        "membersnet",
        "MembersNet",
        "",
        Level.CONSTITUENCY,
        "Membership records for CLP officers.",
        # Officers ask for it, so only the secretary endorses.
        {"training_months": 12, "decision_hours": 72, "endorser_roles": [Role.CLP_SECRETARY]},
    ),
    (
        "dialogue",
        "Dialogue",
        "",
        Level.WARD,
        "Phone banking for one ward.",
        {"training_months": 24, "needs_endorsement": False},
    ),
]

# (email, name, CLP code, membership status, trained days ago or None, membership number)
PEOPLE = [
    ("alex@anytown.demo", "Alex Ahmed", ANYTOWN_CODE, MemberStatus.CURRENT, 40, "Z900001"),
    ("bea@anytown.demo", "Bea Brown", ANYTOWN_CODE, MemberStatus.CURRENT, 100, "Z900002"),
    ("cai@anytown.demo", "Cai Collins", ANYTOWN_CODE, MemberStatus.ARREARS, None, "Z900003"),
    ("dee@anytown.demo", "Dee Desai", ANYTOWN_CODE, MemberStatus.CURRENT, 200, "Z900004"),
    ("eli@otherton.demo", "Eli Evans", OTHERTON_CODE, MemberStatus.CURRENT, 10, "Z900005"),
]
DIRECTOR = ("director@eastern.demo", "Dara Director")
NATIONAL = ("access@national.demo", "Nat Lastresort")


def logins():
    """(email, what to try it for) for the logins this part of the demo makes: printed by seed_demo."""
    rows = [
        (
            email,
            f"member in {'Anytown' if code == ANYTOWN_CODE else 'Otherton'} ({status.label.lower()}): asks for access",
        )
        for email, _, code, status, _, _ in PEOPLE
    ]
    rows.append((DIRECTOR[0], "regional director: escalated access requests"))
    rows.append((NATIONAL[0], "national access officer: the last resort for escalations"))
    return rows


def seed(stdout):
    for slug, name, role, level, description, rules in CATALOGUE:
        Tool.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "role": role, "level": level, "description": description, **rules},
        )
    region = Region.objects.get(code=REGION_CODE)
    EscalationContact.objects.get_or_create(region=region, user=demo_user(*DIRECTOR))
    EscalationContact.objects.get_or_create(
        level=EscalationContact.Level.NATIONAL,
        user=demo_user(*NATIONAL),
        defaults={"title": "National access officer (last resort)"},
    )
    people = {}
    for email, name, code, status, trained, number in PEOPLE:
        user = demo_user(email, name)
        clp = Constituency.objects.get(gss_code=code)
        if not Member.unscoped.filter(user=user).exists():
            first, last = name.split()
            Member.unscoped.create(
                constituency=clp,
                membership_number=number,
                first_name=first,
                last_name=last,
                email=email,
                status=status,
                user=user,
            )
        if trained is not None and not TrainingRecord.objects.filter(user=user).exists():
            TrainingRecord.objects.create(
                user=user, completed_on=timezone.localdate() - timedelta(days=trained)
            )
        people[email.split("@")[0]] = (user, clp)
    if AccessRequest.objects.filter(requester=people["alex"][0]).exists():
        stdout.write("Access: demo requests already there.")
        return
    _requests_in_every_state(people)
    stdout.write(
        "Access: 8 tools with rules, a regional director, and requests waiting, endorsed, "
        "asked for information, approved, refused, withdrawn, escalated and revoked."
    )


def _requests_in_every_state(people):
    secretary = demo_user("secretary@anytown.demo", "Sam Secretary")
    regional = demo_user("regional@eastern.demo", "Rhys Regional")
    now = timezone.now()
    tools = {tool.slug: tool for tool in Tool.objects.all()}

    def ask(person, slug, hours_ago, reason):
        user, clp = people[person]
        return request_submit(
            tool=tools[slug],
            requester=user,
            submitted_by=user,
            constituency=clp,
            reason=reason,
            needed_by=timezone.localdate() + timedelta(days=10),
            now=now - timedelta(hours=hours_ago),
        )

    def decide(access_request, user, decision, note="", days=None):
        return request_decide(
            access_request_id=access_request.pk,
            user=user,
            decision=decision,
            expected_status=access_request.status,
            note=note,
            duration_days=days,
        )

    ask("alex", "canvassing", 5, "Saturday doorstep sessions in Castle ward")  # waiting for endorsement
    contact = ask("bea", "contact-creator", 30, "Running the Riverside phone bank")
    decide(contact, secretary, "endorse")  # waiting for review
    membersnet = ask("bea", "membersnet", 20, "Helping the membership secretary")
    decide(membersnet, secretary, "info", note="Which officer asked you to help?")
    refused = ask("cai", "canvassing", 50, "Helping out in Market ward")
    decide(refused, secretary, "refuse", note="Membership is in arrears: pay it up and ask again.")
    withdrawn = ask("alex", "insight", 8, "Curious about the targeting")
    request_withdraw(access_request_id=withdrawn.pk, user=people["alex"][0])
    approved = ask("dee", "canvassing", 70, "Northfield canvassing team")
    decide(approved, secretary, "endorse")
    decide(AccessRequest.objects.get(pk=approved.pk), regional, "approve", days=10)  # reminder due soon
    revoked = ask("dee", "contact-creator", 90, "Data entry for Northfield")
    decide(revoked, secretary, "endorse")
    decide(AccessRequest.objects.get(pk=revoked.pk), regional, "approve", days=90)
    holding_revoke(holding_id=revoked.holding.pk, user=regional, reason="Northfield data entry finished")
    ask("eli", "telling", 30, "Polling day in Abbey ward")  # past its 24-hour deadline
    requests_escalate_overdue(now=now)
