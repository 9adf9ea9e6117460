"""Casework reports (issue 15, item 5): the office's counts, agency response times, caseload, CSV;
sensitive cases counted and never listed; a my-cases caseworker's reports count only their cases;
every report view audited."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from casework import reports, services
from casework.models import Case, Status
from labourhub.models import AuditEvent, Role
from tests.casework.factories import AgencyFactory, TopicFactory, case_in
from tests.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def _topic(office, name):
    return office["office"].topics.get(name=name, parent__isnull=True)


def _seed(anytown, office):
    """Three housing cases (one of them a sensitive one only the lead sees, one under the Repairs
    sub-topic), one immigration case assigned to the my-cases caseworker."""
    housing = _topic(office, "Housing")
    repairs = housing.subtopics.get()
    a = case_in(anytown, topic=housing, name="Alice Anytown", ward=anytown.ward)
    b = case_in(anytown, topic=repairs, name="Bob Anytown")
    secret = case_in(anytown, topic=housing, name="Sensitive Anytowner", sensitive=True, owner=office["lead"])
    mine = case_in(anytown, topic=_topic(office, "Immigration"), name="Mia Anytown", owner=office["mine"])
    return a, b, secret, mine


def test_lead_counts_every_case_by_topic_sensitive_included(anytown, office):
    _seed(anytown, office)
    cases = reports.office_cases_for_report(
        office["office"], office["office"].memberships.get(user=office["lead"]), office["lead"]
    )
    rows = {r.label: r.opened for r in reports.by_topic(cases, reports.default_period())}
    assert rows == {"Housing": 3, "Immigration": 1}


def test_all_cases_worker_counts_sensitive_cases_but_the_page_never_lists_them(client, anytown, office):
    a, b, secret, mine = _seed(anytown, office)
    client.force_login(office["worker"])
    response = client.get(reverse("casework:office_reports", args=[office["office"].pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["topics"][0] == reports.CountRow("Housing", 3, 3, 0)
    for case in (a, b, secret, mine):
        assert case.name not in page and case.reference not in page
        assert reverse("casework:case", args=[case.pk]) not in page


def test_my_cases_worker_reports_count_only_their_own_cases(client, anytown, office):
    *_, mine = _seed(anytown, office)
    client.force_login(office["mine"])
    response = client.get(reverse("casework:office_reports", args=[office["office"].pk]))
    assert [tuple(r) for r in response.context["topics"]] == [("Immigration", 1, 1, 0)]
    assert [r.worker for r in response.context["caseload"]] == [office["mine"].full_name]
    assert "Counts of the cases assigned to you" in response.content.decode()


def test_cases_by_ward_agency_and_month(anytown, office):
    dwp = AgencyFactory(name="DWP")
    case_in(anytown, ward=anytown.ward, agency=dwp, opened_on=TODAY.replace(day=1))
    case_in(anytown, agency=dwp, opened_on=TODAY.replace(day=1))
    case_in(anytown, opened_on=(TODAY.replace(day=1) - datetime.timedelta(days=1)), status="closed",
            status_class="closed", outcome="advice", closed_on=TODAY.replace(day=1))  # fmt: skip
    cases = Case.unscoped.filter(office=office["office"])
    period = reports.default_period()
    assert {r.label: r.opened for r in reports.by_ward(cases, period)} == {
        anytown.ward.name: 1,
        reports.NO_WARD: 2,
    }
    assert {r.label: r.opened for r in reports.by_agency(cases, period)} == {"DWP": 2, reports.NO_AGENCY: 1}
    months = reports.by_month(cases, period)
    assert len(months) >= 12 and months[-1] == reports.MonthRow(TODAY.replace(day=1), 2, 1)
    assert months[-2].opened == 1


def test_ward_comes_from_the_linked_elector(anytown, office):
    from tests.voters.factories import ElectorFactory, PropertyFactory

    home = PropertyFactory(polling_district=anytown.polling_district)
    case_in(anytown, elector=ElectorFactory(home=home, polling_district=anytown.polling_district))
    rows = reports.by_ward(Case.unscoped.all(), reports.default_period())
    assert [(r.label, r.opened) for r in rows] == [(anytown.ward.name, 1)]


def test_agency_response_times_in_working_days_median_p90_and_late(anytown, office):
    """Referred on Thu 18 Dec 2025 with a 5-working-day target (due Mon 29 Dec: Christmas and
    Boxing Day are bank holidays); answers after 3, 5 and 9 working days, and one still waiting."""
    council = AgencyFactory(name="Anytown Council", response_working_days=5)
    worker = office["worker"]
    referred = datetime.date(2025, 12, 18)
    answers = [datetime.date(2025, 12, 23), datetime.date(2025, 12, 29), datetime.date(2026, 1, 2)]
    for answered in [*answers, None]:
        case = case_in(anytown, opened_on=referred)
        services.case_move(user=worker, case=case, status=Status.AWAITING_AGENCY, agency=council, on=referred)
        if answered:
            services.case_move(user=worker, case=case, status=Status.TRIAGE, on=answered)
    period = reports.Period(datetime.date(2025, 12, 1), datetime.date(2026, 1, 31))
    (row,) = reports.agency_times(Case.unscoped.all(), period, "ENG", today=datetime.date(2026, 1, 5))
    assert Case.unscoped.filter(due_on=datetime.date(2025, 12, 29)).count() == 4
    # 23 Dec: 19, 22, 23 -> 3; 29 Dec: 19, 22, 23, 24, 29 -> 5; 2 Jan: + 30, 31 Dec, 2 Jan (1 Jan off) -> 8
    assert (row.referred, row.answered, row.waiting) == (4, 3, 1)
    assert (row.median_days, row.p90_days) == (5.0, 5.0)
    assert row.late == 2 and row.late_share == 0.5  # the 2 Jan answer, and the one still waiting


def test_caseload_per_owner(anytown, office):
    case_in(anytown, due_on=TODAY - datetime.timedelta(days=1))
    case_in(anytown)
    case_in(anytown, owner=office["lead"])
    rows = reports.caseload(Case.unscoped.all(), reports.default_period())
    assert rows == [
        reports.CaseloadRow(office["worker"].full_name, 2, 1, 2, 0),
        reports.CaseloadRow(office["lead"].full_name, 1, 0, 1, 0),
    ]


def test_report_views_and_downloads_are_audited(client, anytown, office):
    case_in(anytown)
    client.force_login(office["worker"])
    client.get(reverse("casework:office_reports", args=[office["office"].pk]))
    client.get(reverse("casework:office_report_csv", args=[office["office"].pk, "topic"]))
    events = list(AuditEvent.objects.filter(action="casework.report_view").order_by("pk"))
    assert [(e.user, e.detail["report"], e.detail.get("format")) for e in events] == [
        (office["worker"], "office", None),
        (office["worker"], "topic", "csv"),
    ]
    assert all(e.constituency is None for e in events)  # never on the CLP's audit page


def test_csv_download_has_the_figures_and_escapes_formulas(client, anytown, office):
    TopicFactory(office=office["office"], name="=HYPERLINK(1)")
    case_in(anytown, topic=office["office"].topics.get(name="=HYPERLINK(1)"))
    client.force_login(office["lead"])
    response = client.get(reverse("casework:office_report_csv", args=[office["office"].pk, "topic"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Topic", "Opened in the period", "Of those, open now", "Closed in the period"],
        ["'=HYPERLINK(1)", "1", "1", "0"],
    ]


@pytest.mark.parametrize("kind", ["ward", "agency", "month", "agency-times", "caseload"])
def test_every_csv_downloads(client, anytown, office, kind):
    case_in(anytown)
    client.force_login(office["lead"])
    response = client.get(reverse("casework:office_report_csv", args=[office["office"].pk, kind]))
    assert response.status_code == 200 and response.content.count(b"\n") >= 1


def test_unknown_csv_is_404(client, anytown, office):
    client.force_login(office["lead"])
    assert (
        client.get(reverse("casework:office_report_csv", args=[office["office"].pk, "names"])).status_code
        == 404
    )


def test_bad_period_is_a_clear_400(client, anytown, office):
    client.force_login(office["worker"])
    url = reverse("casework:office_reports", args=[office["office"].pk])
    response = client.get(url, {"start": "31/12/2026", "end": "1/1/2026"})
    assert response.status_code == 400
    assert "The end comes before the start" in response.content.decode()
    response = client.get(url, {"start": "not a date"})
    assert response.status_code == 400 and "From:" in response.content.decode()
    csv_url = reverse("casework:office_report_csv", args=[office["office"].pk, "topic"])
    assert client.get(csv_url, {"start": "banana"}).status_code == 400


def test_period_filters_the_counts(client, anytown, office):
    case_in(anytown, opened_on=datetime.date(2025, 3, 3))
    case_in(anytown, opened_on=datetime.date(2025, 6, 3))
    client.force_login(office["worker"])
    response = client.get(
        reverse("casework:office_reports", args=[office["office"].pk]),
        {"start": "1/1/2025", "end": "31/3/2025"},
    )
    assert sum(r.opened for r in response.context["topics"]) == 1
    assert [m.month.month for m in response.context["months"]] == [1, 2, 3]


@pytest.mark.parametrize(
    "role", [Role.CLP_SECRETARY, Role.ORGANISER, Role.REGIONAL_STAFF, "operator", "other"]
)
def test_nobody_outside_the_office_opens_its_reports(client, anytown, otherton, office, other_office, role):
    case_in(anytown)
    if role == "operator":
        user = UserFactory(is_superuser=True, is_staff=True)
        with_totp(user)
    elif role == "other":
        user = other_office["worker"]
    elif role == Role.REGIONAL_STAFF:
        from tests.conftest import make_persona

        user = make_persona("staff@x.example", "Staff", Role.REGIONAL_STAFF, anytown.constituency.region)
    else:
        user = anytown.user(role)
    client.force_login(user)
    for name in ("office_reports", "office_settings", "retention_preview", "handover"):
        assert client.get(reverse(f"casework:{name}", args=[office["office"].pk])).status_code == 404
    url = reverse("casework:office_report_csv", args=[office["office"].pk, "caseload"])
    assert client.get(url).status_code == 404
