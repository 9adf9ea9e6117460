"""The firewall between casework and campaigning (issue 15, item 6): nobody but the office's
caseworkers reaches a case through any page, and an elector with a case looks exactly the same to
campaign roles as one without (voter search, the voter's page, the export). The scoping walker
(tests/test_scoping_walker.py, with tests/casework/walk.py) also walks every casework URL as every
Otherton role; these tests add Anytown's own CLP roles, regional staff and the operator."""

import re

import pytest
from django.urls import reverse

from casework import services
from casework.models import Case, CaseConsent, TimelineEntry
from labourhub.models import Role
from tests.casework.factories import case_in, office_of
from tests.factories import UserFactory, with_totp
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def _operator():
    operator = UserFactory(email="op@platform.example", is_superuser=True, is_staff=True)
    with_totp(operator)
    return operator


OUTSIDERS = {
    "CLP secretary": lambda a, o, r: a.user(Role.CLP_SECRETARY),
    "CLP officer": lambda a, o, r: a.user(Role.CLP_OFFICER),
    "organiser": lambda a, o, r: a.user(Role.ORGANISER),
    "canvasser": lambda a, o, r: a.user(Role.CANVASSER),
    "teller": lambda a, o, r: a.user(Role.TELLER),
    "area admin": lambda a, o, r: a.user(Role.ADMIN),
    "regional staff": lambda a, o, r: r,
    "caseworker of another office": lambda a, o, r: o["worker"],
    "lead of another office": lambda a, o, r: o["lead"],
    "operator": lambda a, o, r: _operator(),
}


def _state(case):
    return (
        Case.unscoped.filter(pk=case.pk).values_list("status", "owner", "updated_at").get(),
        TimelineEntry.unscoped.filter(case=case).count(),
        CaseConsent.unscoped.filter(case=case).count(),
    )


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_reach_no_case_through_any_page(client, anytown, otherton, office, regional_officer, who):
    user = OUTSIDERS[who](anytown, office_of(otherton), regional_officer)
    case = case_in(anytown, name="Anytown Constituent")
    TimelineEntry.unscoped.create(case=case, kind="note", author=office["worker"], text="Anytown note")
    before = _state(case)
    client.force_login(user)
    office_pk = office["office"].pk
    gets = [
        reverse("casework:case", args=[case.pk]),
        reverse("casework:office_cases", args=[office_pk]),
        reverse("casework:office_cases", args=[office_pk]) + "?q=Anytown&status=all",
        reverse("casework:case_open", args=[office_pk]) + "?find=Constituent",
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert b"Anytown" not in response.content
    response = client.get(reverse("casework:my_cases"))
    assert response.status_code in (200, 403) and b"Anytown Constituent" not in response.content
    posts = {
        reverse("casework:case_note", args=[case.pk]): {"kind": "note", "text": "x"},
        reverse("casework:case_status", args=[case.pk]): {"status": "closed", "outcome": "advice"},
        reverse("casework:case_consent", args=[case.pk]): {"wording": "x", "given": "yes", "given_on": "2026-01-01"},
        reverse("casework:case_open", args=[office_pk]): {"name": "Z", "channel": "email", "summary": "z", "urgency": "normal"},
    }  # fmt: skip
    for url, body in posts.items():
        response = client.post(url, body)
        assert response.status_code in (403, 404), (url, response.status_code)
    assert _state(case) == before
    assert Case.unscoped.count() == 1


CSRF = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def _clean(content):
    return CSRF.sub(rb"\1-", content)


@pytest.mark.parametrize("role", [Role.CLP_SECRETARY, Role.ORGANISER])
def test_an_elector_with_a_case_looks_the_same_to_campaign_roles(client, anytown, office, role):
    home = PropertyFactory(polling_district=anytown.polling_district, address="5 Anytown Road", postcode="AT11AB",
                           postcode_display="AT1 1AB")  # fmt: skip
    elector = ElectorFactory(home=home, first_names="Ada", surname="Anytownson")
    client.force_login(anytown.user(role))
    pages = [
        reverse("voters:elector", args=[elector.pk]),
        reverse("voters:search") + "?q=Anytownson",
        reverse("voters:export") + "?q=Anytownson",
    ]

    def seen():
        found = []
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            body = b"".join(response.streaming_content) if response.streaming else response.content
            found.append(_clean(body))
        return found

    without = seen()
    case = services.case_open(user=office["worker"], office=office["office"], channel="surgery", summary="Benefit sanction",
                              elector=elector, special_category=True, article9_condition="elected_representatives",
                              note="Mental health")  # fmt: skip
    services.timeline_add(user=office["worker"], case=case, kind="call", text="Rang DWP about Ada")
    services.consent_record(user=office["worker"], case=case, wording="May we?", given=False)
    assert seen() == without
    # The comparison can fail: the one sanctioned crossing (a yes) does change the voter's page.
    services.consent_record(user=office["worker"], case=case, wording="May we?", given=True)
    assert seen()[0] != without[0]


def test_only_a_yes_crosses_and_then_only_as_a_consent_contact(client, anytown, office):
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district), surname="Anytownson"
    )
    case = services.case_open(user=office["worker"], office=office["office"], channel="email", summary="Benefit sanction",
                              elector=elector)  # fmt: skip
    services.consent_record(
        user=office["worker"], case=case, wording="May the party keep you updated?", given=True
    )
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    body = client.get(reverse("voters:elector", args=[elector.pk])).content.decode()
    assert "agreed to campaign updates" in body
    assert "Benefit sanction" not in body and case.reference not in body and "office" not in body.lower()
