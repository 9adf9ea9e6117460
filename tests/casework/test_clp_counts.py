"""The CLP's aggregate (issue 15, item 5): the one place casework numbers reach a campaign role.
Off by default, turned on by the office lead only; seen by the CLP's secretary and officers of that
constituency only; counts under 5 read "<5" and a total with a hidden cell reads "at least N"; no
name, reference or id of a case ever appears."""

import datetime
import re

import pytest
from django.urls import reverse

from casework import reports
from casework.models import Office
from labourhub.models import AuditEvent, Role
from tests.casework.factories import TopicFactory, case_in
from tests.factories import UserFactory, WardFactory, with_totp

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
QUARTER = reports.Quarter.of(TODAY)


def _share(office, on=True):
    Office.objects.filter(pk=office["office"].pk).update(share_counts_with_clp=on)


def _housing(office):
    return office["office"].topics.get(name="Housing", parent__isnull=True)


def _cases(anytown, office, ward, n, **kw):
    return [
        case_in(anytown, topic=_housing(office), ward=ward, name=f"Named Constituent {ward.name} {i}", **kw)
        for i in range(n)
    ]


def test_sharing_is_off_by_default(client, anytown, office):
    _cases(anytown, office, anytown.ward, 7)
    assert office["office"].share_counts_with_clp is False
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.get(reverse("casework:clp_counts", args=[anytown.constituency.pk]))
    assert response.status_code == 200
    assert "No casework office shares its counts with this CLP." in response.content.decode()
    assert "counts" not in response.context or response.context["counts"].cells == []


def test_small_cells_read_under_5_and_the_total_cannot_give_them_away(anytown, office):
    north = WardFactory(constituency=anytown.constituency, name="Anytown North")
    _share(office)
    _cases(anytown, office, anytown.ward, 7)
    _cases(anytown, office, north, 2)
    counts = reports.clp_counts(constituency=anytown.constituency, quarter=QUARTER, topic="Housing")
    assert counts.cells == [
        reports.Cell("Anytown Central", "7"),
        reports.Cell("Anytown North", "<5"),
        reports.Cell(reports.NO_WARD, "<5"),
    ]
    # 9 cases: an exact total would give the 2 away (9 - 7).
    assert counts.total == "at least 7" and counts.suppressed == 2


def test_the_total_is_exact_when_nothing_is_hidden(anytown, office):
    _share(office)
    _cases(anytown, office, anytown.ward, 6)
    case_in(anytown, topic=_housing(office), name="No ward 1")
    counts = reports.clp_counts(constituency=anytown.constituency, quarter=QUARTER, topic="Housing")
    assert counts.cells == [reports.Cell("Anytown Central", "6"), reports.Cell(reports.NO_WARD, "<5")]
    assert counts.total == "at least 6"
    for i in range(4):
        case_in(anytown, topic=_housing(office), name=f"No ward {i + 2}")
    counts = reports.clp_counts(constituency=anytown.constituency, quarter=QUARTER, topic="Housing")
    assert counts.cells == [reports.Cell("Anytown Central", "6"), reports.Cell(reports.NO_WARD, "5")]
    assert counts.total == "11" and counts.suppressed == 0


def test_only_the_chosen_topic_and_quarter_are_counted(anytown, office):
    _share(office)
    _cases(anytown, office, anytown.ward, 5)
    case_in(anytown, topic=office["office"].topics.get(name="Immigration"), ward=anytown.ward)
    last_quarter = QUARTER.previous()
    _cases(anytown, office, anytown.ward, 5, opened_on=last_quarter.start)
    sub = TopicFactory(office=office["office"], parent=_housing(office), name="Damp")
    case_in(anytown, topic=sub, ward=anytown.ward)  # a sub-topic counts under its topic
    counts = reports.clp_counts(constituency=anytown.constituency, quarter=QUARTER, topic="Housing")
    assert counts.cells[0] == reports.Cell("Anytown Central", "6")
    assert counts.topics == ["Housing", "Immigration", reports.NO_TOPIC]
    earlier = reports.clp_counts(constituency=anytown.constituency, quarter=last_quarter, topic="Housing")
    assert earlier.cells[0] == reports.Cell("Anytown Central", "5")


def test_the_function_returns_strings_only_no_names_references_or_ids(anytown, office):
    _share(office)
    made = _cases(anytown, office, anytown.ward, 6)
    counts = reports.clp_counts(constituency=anytown.constituency, quarter=QUARTER, topic="Housing")

    def leaves(value):
        if isinstance(value, (list, tuple)):
            for item in value:
                yield from leaves(item)
        else:
            yield value

    values = list(leaves(counts))
    assert all(isinstance(v, (str, int)) for v in values)
    text = " ".join(str(v) for v in values)
    for case in made:
        assert case.name not in text and case.reference not in text and case.reference_prefix not in text


def test_secretary_page_shows_counts_and_nothing_of_a_case(client, anytown, office):
    _share(office)
    made = _cases(anytown, office, anytown.ward, 6)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.get(
        reverse("casework:clp_counts", args=[anytown.constituency.pk]), {"topic": "Housing"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"Anytown Central</th><td[^>]*>6<", page)
    for case in made:
        assert case.name not in page and case.reference not in page
        assert f"/casework/cases/{case.pk}/" not in page
    assert "Named Constituent" not in page and "ANY/" not in page
    event = AuditEvent.objects.get(action="casework.report_view")
    assert event.detail["report"] == "clp_counts" and event.detail["topic"] == "Housing"


@pytest.mark.parametrize("role", [Role.CLP_SECRETARY, Role.CLP_OFFICER])
def test_secretary_and_officer_of_the_constituency_may_see(client, anytown, office, role):
    _share(office)
    client.force_login(anytown.user(role))
    assert client.get(reverse("casework:clp_counts", args=[anytown.constituency.pk])).status_code == 200


@pytest.mark.parametrize("who", ["organiser", "canvasser", "caseworker", "otherton", "staff", "operator"])
def test_nobody_else_sees_the_clp_counts(client, anytown, otherton, office, who):
    _share(office)
    _cases(anytown, office, anytown.ward, 6)
    if who == "operator":
        user = UserFactory(is_superuser=True, is_staff=True)
        with_totp(user)
    elif who == "staff":
        from tests.conftest import make_persona

        user = make_persona("st@x.example", "Staff", Role.REGIONAL_STAFF, anytown.constituency.region)
    elif who == "otherton":
        user = otherton.user(Role.CLP_SECRETARY)
    else:
        user = anytown.user({"organiser": Role.ORGANISER, "canvasser": Role.CANVASSER,
                             "caseworker": Role.CASEWORKER}[who])  # fmt: skip
    client.force_login(user)
    response = client.get(reverse("casework:clp_counts", args=[anytown.constituency.pk]))
    assert response.status_code == 404


def test_bad_quarter_is_a_clear_400(client, anytown, office):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    url = reverse("casework:clp_counts", args=[anytown.constituency.pk])
    response = client.get(url, {"quarter": "2026-Q7"})
    assert response.status_code == 400 and "Give a quarter as year-Qn" in response.content.decode()
    assert (
        client.get(url, {"quarter": f"{QUARTER.year}-Q{QUARTER.number}", "topic": "<script>"}).status_code
        == 200
    )


def test_home_page_links_the_secretary_only_when_an_office_shares(anytown, office):
    from casework.home import needs

    secretary = anytown.user(Role.CLP_SECRETARY)
    assert needs(secretary) == []
    _share(office)
    (need,) = needs(secretary)
    assert need.count == 1 and need.url == reverse("casework:clp_counts", args=[anytown.constituency.pk])


def test_only_the_office_lead_turns_sharing_on(client, anytown, office):
    url = reverse("casework:office_settings", args=[office["office"].pk])
    client.force_login(office["worker"])
    assert client.post(url, {"share_counts_with_clp": "on", "retention_days": 730}).status_code == 403
    client.force_login(office["lead"])
    response = client.post(url, {"share_counts_with_clp": "on", "retention_days": 400})
    assert response.status_code == 302
    office["office"].refresh_from_db()
    assert (office["office"].share_counts_with_clp, office["office"].retention_days) == (True, 400)
    event = AuditEvent.objects.get(action="casework.office_settings")
    assert event.detail["after"] == {
        "share_counts_with_clp": True,
        "retention_days": 400,
        "allow_verbal_authority": False,
    }


def test_settings_refuse_a_bad_retention_period_with_a_message(client, anytown, office):
    client.force_login(office["lead"])
    url = reverse("casework:office_settings", args=[office["office"].pk])
    response = client.post(url, {"retention_days": "five"})
    assert response.status_code == 400 and "Enter a whole number" in response.content.decode()
    response = client.post(url, {"retention_days": "3"})
    assert response.status_code == 400 and "greater than or equal to 30" in response.content.decode()
