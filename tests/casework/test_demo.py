import io

from casework import demo
from casework.models import Agency, Case, CaseConstituent, CaseLink, Chaser, Office, StatusClass, ThirdParty
from labourhub import demo as core_demo
from labourhub.models import User
from labourhub.scoping import Action


def test_demo_office_has_a_working_caseload_and_is_idempotent(db):
    core_demo.seed(io.StringIO())
    out = io.StringIO()
    demo.seed(out)
    office = Office.objects.get(name=demo.OFFICE_NAME)
    cases = Case.unscoped.filter(office=office)
    assert cases.count() == demo.CASES
    assert cases.overdue().exists()
    assert set(cases.values_list("status_class", flat=True)) >= {StatusClass.OPEN, StatusClass.CLOSED}
    assert cases.filter(status="awaiting_agency").exists() and cases.filter(special_category=True).exists()
    lead = User.objects.get(email="caseworker@anytown.demo")
    second = User.objects.get(email=demo.SECOND_CASEWORKER[0])
    assert Case.objects.for_user(lead, Action.CASEWORK).count() == demo.CASES
    theirs = Case.objects.for_user(second, Action.CASEWORK)
    assert 0 < theirs.count() < demo.CASES
    assert set(theirs.values_list("owner", flat=True)) == {second.pk}
    secretary = User.objects.get(email="secretary@anytown.demo")
    assert Case.objects.for_user(secretary, Action.CASEWORK).count() == 0
    assert "overdue" in out.getvalue()
    assert Chaser.unscoped.filter(case__office=office).to_send().exists()  # the late agencies' chasers
    # Issue 15 item 2: joint cases, someone acting with signed authority, linked pairs; item 4: the
    # office's directory with the published targets (government 20 working days, the council 10).
    assert CaseConstituent.unscoped.filter(case__office=office).count() == 4
    party = ThirdParty.unscoped.filter(case__office=office).first()
    assert party.authority_live and party.authority_form.kind == "pdf"
    assert CaseLink.unscoped.filter(case__office=office).count() == 2
    targets = dict(Agency.objects.filter(office=office).values_list("name", "response_working_days"))
    assert targets["DWP (MPs' hotline)"] == targets["HM Passport Office"] == 20
    assert targets["Anytown Council housing"] == 10
    demo.seed(out)
    assert "already seeded" in out.getvalue()
    assert Case.unscoped.count() == demo.CASES
