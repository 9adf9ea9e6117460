"""Casework services: opening, assigning, moving, reopening, the timeline, consent, the audit."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework import services
from casework.models import Case, CaseAssignment, Status, StatusClass, TimelineEntry
from labourhub.models import AuditEvent, Role
from labourhub.scoping import Action
from tests.casework.factories import AgencyFactory, TopicFactory, case_in, office_of
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact

pytestmark = pytest.mark.django_db


def open_case(anytown, user=None, **kw):
    made = office_of(anytown)
    kw.setdefault("name", "Anytown Constituent")
    return services.case_open(
        user=user or made["worker"],
        office=made["office"],
        channel=Case.Channel.EMAIL,
        summary="Repairs",
        **kw,
    )


def test_open_gives_references_in_sequence_per_year(anytown, office):
    first = open_case(anytown, opened_on=datetime.date(2026, 3, 1))
    second = open_case(anytown, opened_on=datetime.date(2026, 3, 2))
    next_year = open_case(anytown, opened_on=datetime.date(2027, 1, 5))
    assert [first.reference, second.reference, next_year.reference] == [
        "ANY/1/2026",
        "ANY/2/2026",
        "ANY/1/2027",
    ]


def test_duplicate_reference_is_refused_by_the_database(anytown, office):
    case = open_case(anytown)
    with pytest.raises(IntegrityError), transaction.atomic():
        case_in(anytown, reference_seq=case.reference_seq, reference_year=case.reference_year)


def test_open_makes_the_owner_an_assignee_and_is_audited(anytown, office):
    case = open_case(anytown, note="Came to the surgery")
    assert list(CaseAssignment.unscoped.filter(case=case).values_list("user", flat=True)) == [
        office["worker"].pk
    ]
    assert case.timeline.get().text == "Came to the surgery"
    event = AuditEvent.objects.get(action="casework.case_open")
    assert event.detail["case"] == case.pk and event.user == office["worker"]
    assert event.constituency is None  # never on the CLP's audit page


def test_open_from_the_register_copies_the_elector(anytown, office):
    home = PropertyFactory(
        polling_district=anytown.polling_district, address="1 Anytown Road", postcode_display="AT1 1AA"
    )
    elector = ElectorFactory(home=home, first_names="Ada", surname="Anytownson")
    case = services.case_open(
        user=office["worker"], office=office["office"], channel="phone", summary="x", elector=elector
    )
    assert (case.name, case.address, case.postcode, case.elector) == (
        "Ada Anytownson",
        "1 Anytown Road",
        "AT1 1AA",
        elector,
    )


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"name": " "}, "name"),
        ({"special_category": True}, "article9_condition"),
    ],
)
def test_open_refuses_bad_input_saying_where(anytown, office, kw, field):
    with pytest.raises(ValidationError) as raised:
        open_case(anytown, **kw)
    assert field in raised.value.message_dict


def test_open_refuses_a_topic_of_another_office(anytown, otherton, office):
    foreign = TopicFactory(office=office_of(otherton)["office"], name="Elsewhere")
    with pytest.raises(ValidationError, match="not one of this office"):
        open_case(anytown, topic=foreign)


@pytest.mark.parametrize("role", [Role.CLP_SECRETARY, Role.ORGANISER])
def test_only_the_office_caseworkers_may_open(anytown, office, role):
    with pytest.raises(ValidationError, match="not a caseworker"):
        open_case(anytown, user=anytown.user(role))


def test_open_with_an_agency_is_due_after_its_target_in_working_days(anytown, office):
    council = AgencyFactory(name="Anytown council housing", response_working_days=10)
    case = open_case(anytown, agency=council, opened_on=datetime.date(2026, 12, 21))
    # 10 working days from Mon 21 Dec 2026: 22,23,24, (25,26,27,28 off), 29,30,31, (1 Jan off), 4,5,6,7
    assert case.due_on == datetime.date(2027, 1, 7)


def test_lifecycle_to_closed_needs_an_outcome(anytown, office, dwp):
    case = open_case(anytown)
    user = office["worker"]
    services.case_move(user=user, case=case, status=Status.TRIAGE)
    services.case_move(user=user, case=case, status=Status.AWAITING_CONSTITUENT)
    case = services.case_move(
        user=user, case=case, status=Status.AWAITING_AGENCY, agency=dwp, on=datetime.date(2026, 12, 24)
    )
    assert (case.agency, case.due_on) == (dwp, datetime.date(2027, 1, 26))  # 3 + 5 + 5 + 5 + 2 working days
    with pytest.raises(ValidationError) as raised:
        services.case_move(user=user, case=case, status=Status.CLOSED)
    assert "outcome" in raised.value.message_dict
    case = services.case_move(user=user, case=case, status=Status.CLOSED, outcome=Case.Outcome.RESOLVED)
    assert (case.status, case.status_class, case.outcome) == (Status.CLOSED, StatusClass.CLOSED, "resolved")
    statuses = list(
        case.timeline.filter(kind=TimelineEntry.Kind.STATUS).order_by("pk").values_list("text", flat=True)
    )
    assert statuses[0] == "New → Triage" and statuses[-1].startswith("Awaiting agency → Closed")
    assert AuditEvent.objects.filter(action="casework.case_move").count() == 4


def test_closed_case_does_not_move_but_reopens(anytown, office):
    user = office["worker"]
    case = services.case_move(user=user, case=open_case(anytown), status=Status.CLOSED, outcome="advice")
    with pytest.raises(ValidationError, match="cannot move"):
        services.case_move(user=user, case=case, status=Status.TRIAGE)
    with pytest.raises(ValidationError):
        services.case_reopen(user=user, case=case, reason="")
    case = services.case_reopen(user=user, case=case, reason="New letter from DWP")
    assert (case.status, case.status_class, case.outcome, case.closed_on) == (Status.TRIAGE, "open", "", None)
    with pytest.raises(ValidationError, match="already open"):
        services.case_reopen(user=user, case=case, reason="again")


def test_awaiting_agency_needs_an_agency(anytown, office):
    with pytest.raises(ValidationError) as raised:
        services.case_move(user=office["worker"], case=open_case(anytown), status=Status.AWAITING_AGENCY)
    assert "agency" in raised.value.message_dict


def test_the_database_refuses_a_closed_case_without_outcome(anytown, office):
    with pytest.raises(IntegrityError), transaction.atomic():
        case_in(anytown, status=Status.CLOSED, status_class=StatusClass.CLOSED)


def test_assign_opens_the_case_to_a_my_cases_worker(anytown, office):
    case = open_case(anytown)
    mine = office["mine"]
    assert case not in Case.objects.for_user(mine, Action.CASEWORK)
    services.case_assign(user=office["lead"], case=case, assignees=[mine])
    assert case in Case.objects.for_user(mine, Action.CASEWORK)
    assert set(case.assignments.values_list("user", flat=True)) == {mine.pk, office["worker"].pk}


def test_assign_refuses_someone_outside_the_office(anytown, office):
    with pytest.raises(ValidationError, match="not a caseworker"):
        services.case_assign(
            user=office["lead"], case=open_case(anytown), assignees=[anytown.user(Role.CLP_SECRETARY)]
        )


def test_timeline_add_and_its_refusals(anytown, office):
    case = open_case(anytown)
    entry = services.timeline_add(
        user=office["worker"], case=case, kind="call", text="Rang DWP <b>hotline</b>"
    )
    assert entry.text == "Rang DWP <b>hotline</b>"  # stored as typed; escaped when shown
    with pytest.raises(ValidationError):
        services.timeline_add(user=office["worker"], case=case, kind="status", text="x")
    with pytest.raises(ValidationError):
        services.timeline_add(user=office["worker"], case=case, kind="note", text="  ")
    with pytest.raises(ValueError):
        services.timeline_add(user=office["worker"], case=case, kind="telepathy", text="x")


def test_consent_is_the_only_crossing_and_is_audited(anytown, office):
    elector = ElectorFactory(home=PropertyFactory(polling_district=anytown.polling_district))
    case = services.case_open(
        user=office["worker"], office=office["office"], channel="email", summary="x", elector=elector
    )
    assert not Contact.unscoped.filter(elector=elector).exists()
    services.consent_record(
        user=office["worker"], case=case, wording="May the party keep you updated?", given=False
    )
    assert not Contact.unscoped.filter(elector=elector).exists()
    services.consent_record(
        user=office["worker"], case=case, wording="May the party keep you updated?", given=True
    )
    contact = Contact.unscoped.get(elector=elector)
    assert (contact.source, contact.outcome) == ("consent", "agreed to campaign updates")
    assert case.reference not in contact.notes and "Repairs" not in contact.notes
    crossing = AuditEvent.objects.get(action="casework.consent_crossing")
    assert crossing.object_id == str(elector.pk) and crossing.constituency == anytown.constituency


def test_consent_without_an_elector_crosses_nothing(anytown, office):
    case = open_case(anytown)
    services.consent_record(user=office["worker"], case=case, wording="May we?", given=True)
    assert not AuditEvent.objects.filter(action="casework.consent_crossing").exists()
    assert case.consents.get().given


def test_overdue_lists(anytown, office):
    today = timezone.localdate()
    late_mine = case_in(anytown, owner=office["mine"], due_on=today - datetime.timedelta(days=1))
    late_other = case_in(anytown, owner=office["worker"], due_on=today - datetime.timedelta(days=3))
    case_in(anytown, owner=office["mine"], due_on=today)  # due today: not late
    case_in(anytown, owner=office["mine"], due_on=today - datetime.timedelta(days=9), status="closed",
            status_class="closed", outcome="advice")  # fmt: skip
    lead = office["lead"]
    assert set(Case.objects.for_user(lead, Action.CASEWORK).overdue()) == {late_mine, late_other}
    assert set(Case.objects.for_user(office["mine"], Action.CASEWORK).mine(office["mine"]).overdue()) == {
        late_mine
    }
