"""Who sees a case: only caseworkers of its office, with a grant in force; "my cases" workers
only theirs; sensitive cases only their assignees and the office lead; nobody else at all."""

import pytest
from django.utils import timezone

from casework.models import Case, CaseConsent, OfficeMembership, TimelineEntry
from labourhub.models import Grant, Role
from labourhub.scoping import Action, UnscopedAccessError
from tests.casework.factories import TimelineEntryFactory, case_in, caseworker, office_of
from tests.conftest import make_persona
from tests.factories import GrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def seen(user, action=Action.CASEWORK):
    return set(Case.objects.for_user(user, action))


def test_caseworkers_of_the_office_see_its_cases(anytown, office):
    case = case_in(anytown, owner=office["lead"])
    assert case in seen(office["worker"])  # sees all
    assert case in seen(office["lead"])
    assert case not in seen(office["mine"])  # sees only their own


def test_my_cases_worker_sees_the_cases_assigned_to_them(anytown, office):
    theirs = case_in(anytown, owner=office["lead"], assignees=[office["mine"]])
    other = case_in(anytown, owner=office["lead"])
    assert seen(office["mine"]) == {theirs}
    assert other in seen(office["worker"])


def test_sensitive_case_only_for_assignees_and_the_lead(anytown, office):
    sensitive = case_in(anytown, owner=office["mine"], sensitive=True)
    assert sensitive in seen(office["mine"])  # its owner is an assignee
    assert sensitive in seen(office["lead"])
    assert sensitive not in seen(office["worker"])  # sees all, but not the sensitive


@pytest.mark.parametrize(
    "role", [Role.CLP_SECRETARY, Role.CLP_OFFICER, Role.ORGANISER, Role.CANVASSER, Role.TELLER, Role.ADMIN]
)
def test_clp_and_campaign_roles_see_no_case(anytown, office, role):
    case_in(anytown)
    user = anytown.user(role)
    for action in Action:
        assert seen(user, action) == set(), action


def test_regional_staff_and_the_operator_see_no_case(anytown, office, regional_officer):
    case_in(anytown)
    operator = UserFactory(is_superuser=True, is_staff=True)
    for user in (regional_officer, operator):
        assert seen(user) == set()


def test_caseworker_of_another_office_sees_nothing(anytown, otherton, office, other_office):
    ours = case_in(anytown)
    theirs = case_in(otherton)
    assert seen(other_office["worker"]) == {theirs}
    assert seen(other_office["lead"]) == {theirs}
    assert seen(office["lead"]) == {ours}


def test_second_office_in_the_same_constituency_is_sealed_from_the_first(anytown, office):
    """A councillor's office in Anytown: its caseworker holds the same caseworker grant on Anytown,
    but is a member of the other office only."""
    from tests.casework.factories import OfficeFactory

    council = OfficeFactory(
        name="Anytown councillor", constituency=anytown.constituency, reference_prefix="CLR"
    )
    councillor_worker = caseworker("cw@council.example", "Council Worker", anytown.constituency, council)
    case_in(anytown)
    assert seen(councillor_worker) == set()


def test_caseworker_role_without_membership_sees_nothing(anytown, office):
    case_in(anytown)
    bare = make_persona("bare@anytown.example", "Bare Caseworker", Role.CASEWORKER, anytown.constituency)
    assert seen(bare) == set()


def test_membership_without_grant_or_with_revoked_grant_or_ended_sees_nothing(anytown, office):
    case = case_in(anytown)
    worker = office["worker"]
    assert case in seen(worker)
    grant = Grant.objects.get(user=worker, role=Role.CASEWORKER)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    assert seen(worker) == set()
    GrantFactory(user=worker, role=Role.CASEWORKER, constituency=anytown.constituency)
    assert case in seen(worker)
    OfficeMembership.objects.filter(user=worker).update(ended_at=timezone.now())
    assert seen(worker) == set()


def test_caseworker_grant_on_another_constituency_does_not_open_this_office(anytown, otherton, office):
    case_in(anytown)
    worker = otherton.user(Role.CASEWORKER)  # grant on Otherton
    OfficeMembership.objects.create(office=office["office"], user=worker, sees=OfficeMembership.Sees.ALL)
    assert seen(worker) == set()


def test_timeline_and_consent_follow_the_case(anytown, office):
    case = case_in(anytown, owner=office["lead"])
    entry = TimelineEntryFactory(case=case)
    CaseConsent.unscoped.create(case=case, wording="May we?", given=True, given_on=timezone.localdate(),
                                recorded_by=office["lead"])  # fmt: skip
    assert list(TimelineEntry.objects.for_user(office["worker"], Action.CASEWORK)) == [entry]
    assert list(TimelineEntry.objects.for_user(office["mine"], Action.CASEWORK)) == []
    assert CaseConsent.objects.for_user(anytown.user(Role.CLP_SECRETARY), Action.VIEW_VOTERS).count() == 0


def test_case_objects_is_guarded():
    with pytest.raises(UnscopedAccessError):
        Case.objects.all()


def test_scoping_off_does_not_open_casework(anytown, office, monkeypatch):
    """Casework does not ask labourhub's constituencies_for at all: switching CLP scoping off (the
    walker's self-test) leaves cases sealed."""
    from labourhub import scoping
    from labourhub.models import Constituency

    monkeypatch.setattr(scoping, "constituencies_for", lambda user, action: Constituency.objects.all())
    case_in(anytown)
    assert seen(anytown.user(Role.CLP_SECRETARY)) == set()
    assert office_of(anytown)["office"].cases.count() == 1


def test_the_seal_for_one_office_is_the_seal_for_each_kind_of_membership(
    anytown, otherton, office, other_office
):
    """`Case.objects.in_office_for(user, membership)` (the office's list: the membership read in
    force in the request written into the seal) sees exactly what `for_user` sees in that office,
    for the lead, an all-cases worker and a my-cases worker, sensitive cases included; a membership
    that is not the user's own, or has ended, gives nothing."""
    cases = [
        case_in(anytown, owner=office["lead"]),
        case_in(anytown, owner=office["lead"], assignees=[office["mine"]]),
        case_in(anytown, owner=office["mine"], sensitive=True),
        case_in(anytown, owner=office["lead"], sensitive=True),
        case_in(anytown, owner=office["worker"], sensitive=True),
    ]
    case_in(otherton)
    memberships = {m.user_id: m for m in OfficeMembership.objects.filter(office=office["office"])}
    for who in ("lead", "worker", "mine"):
        user = office[who]
        expected = set(Case.objects.for_user(user, Action.CASEWORK).filter(office=office["office"]))
        assert set(Case.objects.in_office_for(user, memberships[user.pk])) == expected, who
    assert set(Case.objects.in_office_for(office["lead"], memberships[office["lead"].pk])) == set(cases)
    assert set(Case.objects.in_office_for(office["mine"], memberships[office["mine"].pk])) == set(cases[1:3])
    # Someone else's membership, or one that has ended, opens nothing.
    assert not Case.objects.in_office_for(office["worker"], memberships[office["lead"].pk]).exists()
    lead = memberships[office["lead"].pk]
    lead.ended_at = timezone.now()
    assert not Case.objects.in_office_for(office["lead"], lead).exists()
