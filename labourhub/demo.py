"""Demo data for the core: a region, two CLPs with wards and polling districts, a user of every role."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from labourhub.areas_import import areas_load
from labourhub.models import Constituency, Grant, Region, Role
from labourhub.services import grant_create

DEMO_PASSWORD = "labour-demo-2026"  # noqa: S105 (published in the README on purpose)
REGION_CODE = "E15000006"
ANYTOWN_CODE = "E14099001"
OTHERTON_CODE = "E14099002"

_AREAS = [
    ("region", "Eastern", REGION_CODE, ""),
    ("constituency", "Anytown", ANYTOWN_CODE, REGION_CODE),
    ("constituency", "Otherton", OTHERTON_CODE, REGION_CODE),
]
_WARDS = {
    ANYTOWN_CODE: [("Castle", "AC"), ("Riverside", "AR"), ("Market", "AM"), ("Northfield", "AN")],
    OTHERTON_CODE: [("Abbey", "OA"), ("Bridge", "OB")],
}

# (email, name, role, area code); the area is a constituency or the region.
DEMO_ACCOUNTS = [
    ("secretary@anytown.demo", "Sam Secretary", Role.CLP_SECRETARY, ANYTOWN_CODE),
    ("officer@anytown.demo", "Olu Officer", Role.CLP_OFFICER, ANYTOWN_CODE),
    ("organiser@anytown.demo", "Orla Organiser", Role.ORGANISER, ANYTOWN_CODE),
    ("canvasser@anytown.demo", "Cal Canvasser", Role.CANVASSER, ANYTOWN_CODE),
    ("teller@anytown.demo", "Tess Teller", Role.TELLER, ANYTOWN_CODE),
    ("caseworker@anytown.demo", "Casey Caseworker", Role.CASEWORKER, ANYTOWN_CODE),
    ("admin@anytown.demo", "Ade Admin", Role.ADMIN, ANYTOWN_CODE),
    ("privacy@anytown.demo", "Dara Data-Protection", Role.DATA_PROTECTION_LEAD, ANYTOWN_CODE),
    ("secretary@otherton.demo", "Oona Secretary", Role.CLP_SECRETARY, OTHERTON_CODE),
    ("regional@eastern.demo", "Rhys Regional", Role.REGIONAL_STAFF, REGION_CODE),
]
OPERATOR_EMAIL = "operator@labourhub.demo"


def _areas_csv():
    lines = ["kind,name,code,parent_code"] + [",".join(row) for row in _AREAS]
    for clp_code, wards in _WARDS.items():
        for number, (ward_name, prefix) in enumerate(wards, start=1):
            ward_code = f"E05{clp_code[-3:]}{number:03d}"
            lines.append(f"ward,{ward_name},{ward_code},{clp_code}")
            lines.append(f"branch,{ward_name} branch,{prefix},{clp_code}")
            lines.extend(f"polling_district,{ward_name} {n},{prefix}{n},{ward_code}" for n in (1, 2, 3))
    return "\n".join(lines)


def demo_user(email, name, *, superuser=False):
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=name, is_superuser=superuser, is_staff=superuser
        )
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed(stdout):
    report = areas_load(text=_areas_csv())
    if report.errors:
        raise RuntimeError(str(report))
    operator = demo_user(OPERATOR_EMAIL, "Platform Operator", superuser=True)
    for email, name, role, code in DEMO_ACCOUNTS:
        user = demo_user(email, name)
        area = (
            Region.objects.get(code=code) if code == REGION_CODE else Constituency.objects.get(gss_code=code)
        )
        if not Grant.objects.filter(user=user, role=role).exists():
            grant_create(user=user, role=role, area=area, granted_by=operator, reason="Demo data")
    stdout.write(
        "Core: region Eastern, CLPs Anytown and Otherton with wards, branches, polling districts, users."
    )
    from labourhub.dataprotection import demo as dataprotection_demo

    dataprotection_demo.seed(stdout)


def logins_table(more=()):
    """Every demo login: the core's, then `more` (email, what) from the apps' demo modules."""
    rows = [(OPERATOR_EMAIL, "platform operator (superuser)")]
    rows += [
        (email, f"{role.label}, {'Eastern region' if code == REGION_CODE else _clp(code)}")
        for email, _, role, code in DEMO_ACCOUNTS
    ]
    rows += list(more)
    width = max(len(email) for email, _ in rows)
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {email.ljust(width)}  {what}" for email, what in rows]
    lines.append("  Roles beyond canvassing are asked to set up two-factor authentication at first sign-in.")
    return "\n".join(lines)


def _clp(code):
    return "Anytown" if code == ANYTOWN_CODE else "Otherton"
