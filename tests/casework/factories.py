"""Factories for casework. Anytown's records carry "Anytown" in a personal field (see conftest)."""

import datetime

import factory
from django.utils import timezone

from casework.models import (
    Agency,
    Case,
    CaseAssignment,
    Office,
    OfficeMembership,
    Status,
    TimelineEntry,
    Topic,
)
from labourhub.models import Role
from tests.factories import GrantFactory, ModelFactory, UserFactory, with_totp


class OfficeFactory(ModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"Office {n}")
    kind = Office.Kind.MP
    representative = factory.Sequence(lambda n: f"Representative {n}")
    reference_prefix = factory.Sequence(lambda n: "OF" + "".join(chr(65 + int(d)) for d in f"{n:03d}"))


class MembershipFactory(ModelFactory):
    class Meta:
        model = OfficeMembership

    office = factory.SubFactory(OfficeFactory)
    user = factory.SubFactory(UserFactory)


class TopicFactory(ModelFactory):
    class Meta:
        model = Topic

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")


class AgencyFactory(ModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = Agency.Kind.GOVERNMENT
    response_working_days = 20


class CaseFactory(ModelFactory):
    """A case straight into the table (the service's rules are tested through the service)."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    office = factory.SubFactory(OfficeFactory)
    reference_prefix = factory.SelfAttribute("office.reference_prefix")
    reference_year = 2026
    reference_seq = factory.Sequence(lambda n: n + 1)
    name = factory.Faker("name", locale="en_GB")
    channel = Case.Channel.EMAIL
    summary = "Housing repair"
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def assignees(self, create, extracted, **kwargs):
        for user in [self.owner, *(extracted or [])]:
            CaseAssignment.unscoped.get_or_create(case=self, user=user)


class TimelineEntryFactory(ModelFactory):
    class Meta:
        model = TimelineEntry

    case = factory.SubFactory(CaseFactory)
    kind = TimelineEntry.Kind.NOTE
    author = factory.SelfAttribute("case.owner")
    text = "Called the council"


def caseworker(email, name, constituency, office, *, role=OfficeMembership.Role.CASEWORKER, sees="all"):
    """A user with the caseworker role on `constituency` and a membership of `office`."""
    user = UserFactory(email=email, full_name=name)
    GrantFactory(user=user, role=Role.CASEWORKER, constituency=constituency)
    with_totp(user)
    MembershipFactory(office=office, user=user, role=role, sees=sees)
    return user


def office_of(clp):
    """The CLP's MP office, made once per CLP persona set: its lead, the CLP's caseworker persona
    seeing all cases, a caseworker seeing only their own, a topic and an agency. Anytown's carries
    the word "Anytown" in its names (see tests/conftest.py)."""

    def make(clp):
        place = clp.constituency.name
        office = OfficeFactory(
            name=f"{place} MP office",
            representative=f"{place} MP",
            constituency=clp.constituency,
            reference_prefix=place[:3].upper(),
        )
        office.covers_constituencies.add(clp.constituency)
        lead = caseworker(f"lead@{place.lower()}-office.example", f"Lead of {place} office", clp.constituency, office,
                          role=OfficeMembership.Role.LEAD)  # fmt: skip
        MembershipFactory(office=office, user=clp.user(Role.CASEWORKER), sees=OfficeMembership.Sees.ALL)
        mine = caseworker(f"mine@{place.lower()}-office.example", f"Own-cases worker of {place}", clp.constituency,
                          office, sees=OfficeMembership.Sees.MINE)  # fmt: skip
        housing = TopicFactory(office=office, name="Housing")
        TopicFactory(office=office, parent=housing, name="Repairs")
        TopicFactory(office=office, name="Immigration")
        return {"office": office, "lead": lead, "worker": clp.user(Role.CASEWORKER), "mine": mine}

    return clp.once("casework_office", make)


def case_in(clp, **fields):
    """A case in the CLP's office, constituent named after the place, owned by its caseworker."""
    made = office_of(clp)
    place = clp.constituency.name
    fields.setdefault("owner", made["worker"])
    return CaseFactory(
        office=made["office"],
        name=fields.pop("name", f"{place} Constituent"),
        postcode=fields.pop("postcode", "AB1 2CD"),
        summary=fields.pop("summary", f"{place} housing repair"),
        **fields,
    )


def late_cases_with_chasers(clp, n, **fields):
    """`n` cases in the CLP's office awaiting an agency past its due date, one more day late each,
    and the chasers the nightly check sets on them."""
    from casework import services

    agency = AgencyFactory()
    today = timezone.localdate()
    for days in range(1, n + 1):
        late = today - datetime.timedelta(days=days)
        case_in(clp, status=Status.AWAITING_AGENCY, agency=agency, due_on=late, **fields)
    services.chasers_create()
