"""The data protection pages: who sees what, the list's search, filters, order and CSV, the forms
(day-first dates, errors saying what and where), and the breach log's reach for regional staff."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from labourhub.dataprotection.models import Breach, RequestStatus, SubjectRequest
from labourhub.models import AuditEvent, Role
from tests.dataprotection.factories import BreachFactory, SubjectRequestFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _login(client, user):
    client.force_login(user)
    return client


def _anytown_request(anytown, **kwargs):
    kwargs.setdefault("requester_name", "Anne Anytown")
    return SubjectRequestFactory(constituency=anytown.constituency, **kwargs)


# --- Scoping ---------------------------------------------------------------------------------


def test_a_data_protection_lead_of_another_clp_sees_nothing_of_anytowns(client, anytown, otherton):
    request = _anytown_request(anytown)
    breach = BreachFactory(constituency=anytown.constituency, what_happened="Anytown sheet lost")
    _login(client, otherton.user(Role.DATA_PROTECTION_LEAD))
    for name in ("dataprotection:requests", "dataprotection:overdue", "dataprotection:breaches"):
        response = client.get(reverse(name), {"status": "all"})
        assert response.status_code == 200
        assert b"Anytown" not in response.content
    assert client.get(reverse("dataprotection:request", args=[request.pk])).status_code == 404
    assert client.get(reverse("dataprotection:breach", args=[breach.pk])).status_code == 404
    response = client.post(
        reverse("dataprotection:request", args=[request.pk]), {"op": "status", "status": "answered"}
    )
    assert response.status_code == 404
    csv_body = b"".join(client.get(reverse("dataprotection:requests"), {"format": "csv"}).streaming_content)
    assert b"Anytown" not in csv_body
    report = client.get(reverse("dataprotection:report")).content
    assert b"Anytown" not in report


@pytest.mark.parametrize(
    "role", [Role.CANVASSER, Role.TELLER, Role.ORGANISER, Role.CASEWORKER, Role.CLP_OFFICER]
)
def test_other_roles_of_the_clp_are_refused(client, anytown, role):
    request = _anytown_request(anytown)
    _login(client, anytown.user(role))
    for url in (
        reverse("dataprotection:requests"),
        reverse("dataprotection:request_new"),
        reverse("dataprotection:overdue"),
        reverse("dataprotection:report"),
        reverse("dataprotection:breaches"),
        reverse("dataprotection:breach_new"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("dataprotection:request", args=[request.pk])).status_code == 404


def test_regional_staff_read_the_report_and_breach_log_of_their_region_only(
    client, anytown, otherton, regional_officer
):
    SubjectRequestFactory(constituency=anytown.constituency, requester_name="Anne Anytown")
    breach = BreachFactory(constituency=anytown.constituency)
    _login(client, regional_officer)
    report = client.get(reverse("dataprotection:report")).content.decode()
    assert "Anytown" in report and "Otherton" in report and "Westland" in report
    assert "Anne Anytown" not in report
    assert client.get(reverse("dataprotection:breach", args=[breach.pk])).status_code == 200
    assert b"Update" not in client.get(reverse("dataprotection:breach", args=[breach.pk])).content
    # Reading is not editing, and the register of requests is not theirs.
    response = client.post(reverse("dataprotection:breach", args=[breach.pk]), {"what_happened": "changed"})
    assert response.status_code == 403
    breach.refresh_from_db()
    assert breach.what_happened != "changed"
    assert client.get(reverse("dataprotection:requests")).status_code == 403
    assert client.get(reverse("dataprotection:breach_new")).status_code == 403


def test_regional_staff_of_another_region_see_nothing(client, anytown):
    from tests.conftest import make_persona
    from tests.factories import RegionFactory

    eastland = RegionFactory(name="Eastland", code="E15000098")
    officer = make_persona("regional@eastland.example", "East Officer", Role.REGIONAL_STAFF, eastland)
    breach = BreachFactory(constituency=anytown.constituency)
    _login(client, officer)
    assert client.get(reverse("dataprotection:breach", args=[breach.pk])).status_code == 404
    assert b"Anytown" not in client.get(reverse("dataprotection:report")).content
    assert b"Anytown" not in client.get(reverse("dataprotection:breaches")).content


# --- The register ----------------------------------------------------------------------------


def test_the_list_shows_overdue_first_then_by_due_date(client, anytown):
    _anytown_request(anytown, reference="DSR-LATE", due_on=TODAY() - datetime.timedelta(days=2))
    _anytown_request(anytown, reference="DSR-SOON", due_on=TODAY() + datetime.timedelta(days=2))
    _anytown_request(anytown, reference="DSR-LATER", due_on=TODAY() + datetime.timedelta(days=20))
    _anytown_request(anytown, reference="DSR-DONE", status=RequestStatus.ANSWERED, closed_on=TODAY())
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    page = client.get(reverse("dataprotection:requests")).content.decode()
    assert page.index("DSR-LATE") < page.index("DSR-SOON") < page.index("DSR-LATER")
    assert "DSR-DONE" not in page  # open ones by default
    page = client.get(reverse("dataprotection:requests"), {"status": "all"}).content.decode()
    assert page.index("DSR-LATER") < page.index("DSR-DONE")
    page = client.get(reverse("dataprotection:requests"), {"status": "overdue"}).content.decode()
    assert "DSR-LATE" in page and "DSR-SOON" not in page
    overdue = client.get(reverse("dataprotection:overdue")).content.decode()
    assert "DSR-LATE" in overdue and "DSR-SOON" not in overdue


def test_the_list_searches_by_name_contact_and_reference(client, anytown):
    _anytown_request(anytown, reference="DSR-2026-00001", requester_contact="anne@example.org")
    SubjectRequestFactory(
        constituency=anytown.constituency, requester_name="Bob Anytown", reference="DSR-2026-00002"
    )
    _login(client, anytown.user(Role.CLP_SECRETARY))
    assert b"Bob Anytown" not in client.get(reverse("dataprotection:requests"), {"q": "anne@"}).content
    page = client.get(reverse("dataprotection:requests"), {"q": "DSR-2026-00002"}).content
    assert b"Bob Anytown" in page and b"Anne Anytown" not in page


def test_a_bad_filter_is_a_clear_error_not_a_500(client, anytown):
    _login(client, anytown.user(Role.CLP_SECRETARY))
    response = client.get(reverse("dataprotection:requests"), {"status": "nonsense"})
    assert response.status_code == 400
    assert b"Status: Select a valid choice" in response.content
    response = client.get(reverse("dataprotection:report"), {"since": "31/02/2026"})
    assert response.status_code == 400 and b"no day 31 in February" in response.content


def test_the_list_pins_its_queries(client, anytown, django_assert_max_num_queries):
    _login(client, anytown.user(Role.CLP_SECRETARY))
    for _ in range(3):
        _anytown_request(anytown, handler=anytown.user(Role.CLP_SECRETARY))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("dataprotection:requests"))
    for _ in range(30):
        _anytown_request(anytown, handler=anytown.user(Role.DATA_PROTECTION_LEAD))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dataprotection:requests"))


def test_the_csv_export_has_every_request_escaped_and_is_audited(client, anytown):
    _anytown_request(anytown, requester_name="=HYPERLINK(1) Anytown", reference="DSR-X")
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    response = client.get(reverse("dataprotection:requests"), {"format": "csv", "status": "all"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Reference" and rows[1][0] == "DSR-X"
    assert rows[1][4] == "'=HYPERLINK(1) Anytown"
    assert AuditEvent.objects.filter(action="dataprotection.request.export").exists()


def test_a_request_is_logged_from_the_form_with_a_day_first_date(client, anytown):
    lead = anytown.user(Role.DATA_PROTECTION_LEAD)
    _login(client, lead)
    form = client.get(reverse("dataprotection:request_new")).content.decode()
    assert 'type="date"' not in form
    response = client.post(
        reverse("dataprotection:request_new"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "erasure",
            "received_on": "03/09/2026",
            "requester_name": "Anne Anytown",
            "handler": lead.pk,
        },
    )
    created = SubjectRequest.unscoped.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "dataprotection:request", args=[created.pk]
    )
    assert created.received_on == datetime.date(2026, 9, 3) and created.due_on == datetime.date(2026, 10, 5)
    page = client.get(response["Location"]).content.decode()
    assert "Monday 5 October 2026" in page and "Received" in page


def test_a_bad_date_is_shown_on_its_field_and_keeps_what_was_typed(client, anytown):
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    response = client.post(
        reverse("dataprotection:request_new"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "access",
            "received_on": "09/31/2026",
            "requester_name": "Anne",
        },
    )
    assert response.status_code == 400
    assert b"there is no month 31" in response.content
    assert b'value="09/31/2026"' in response.content
    assert not SubjectRequest.unscoped.exists()


def test_another_clps_handler_is_refused(client, anytown, otherton):
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    response = client.post(
        reverse("dataprotection:request_new"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "access",
            "received_on": "01/09/2026",
            "requester_name": "Anne",
            "handler": otherton.user(Role.DATA_PROTECTION_LEAD).pk,
        },
    )
    assert response.status_code == 400 and not SubjectRequest.unscoped.exists()


def test_the_request_page_moves_the_request_on_and_shows_the_timeline(client, anytown):
    request = _anytown_request(anytown, received_on=TODAY() - datetime.timedelta(days=3))
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    url = reverse("dataprotection:request", args=[request.pk])
    response = client.post(url, {"op": "status", "status": "refused", "reason": ""})
    assert response.status_code == 400 and b"Say why the request is refused" in response.content
    response = client.post(url, {"op": "status", "status": "awaiting_id"})
    assert response.status_code == 302
    response = client.post(url, {"op": "extend", "reason": "Complex: many sources"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Awaiting proof of identity" in page and "Extended to" in page and "Complex: many sources" in page
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_ID and request.extended_on == TODAY()
    assert AuditEvent.objects.filter(action="dataprotection.request.view", object_id=str(request.pk)).exists()


# --- The breach log --------------------------------------------------------------------------


def test_a_breach_is_recorded_and_shows_its_72_hour_clock(client, anytown):
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    found = timezone.localtime() - datetime.timedelta(hours=10)
    response = client.post(
        reverse("dataprotection:breach_new"),
        {
            "constituency": anytown.constituency.pk,
            "what_happened": "Membership list emailed to the wrong branch",
            "found_at": found.strftime("%d/%m/%Y %H:%M"),
            "found_by": "Branch secretary",
            "records_affected": "120",
            "people_affected": "118",
            "kinds_of_data": "Names, emails",
            "risk": "risk",
            "decision": "undecided",
        },
    )
    breach = Breach.unscoped.get()
    assert response.status_code == 302
    assert breach.people_affected == 118 and breach.recorded_by == anytown.user(Role.DATA_PROTECTION_LEAD)
    page = client.get(reverse("dataprotection:breach", args=[breach.pk])).content.decode()
    assert "62 hours left" in page or "61 hours left" in page
    assert 'data-deadline="' in page
    listing = client.get(reverse("dataprotection:breaches")).content.decode()
    assert "hours left" in listing


def test_an_overdue_breach_says_so(client, anytown):
    BreachFactory(constituency=anytown.constituency, found_at=timezone.now() - datetime.timedelta(hours=80))
    _login(client, anytown.user(Role.CLP_SECRETARY))
    assert b"overdue" in client.get(reverse("dataprotection:breaches")).content


def test_a_breach_update_with_a_decision_but_no_reason_is_refused(client, anytown):
    breach = BreachFactory(constituency=anytown.constituency)
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    url = reverse("dataprotection:breach", args=[breach.pk])
    data = {
        "what_happened": breach.what_happened,
        "found_at": timezone.localtime(breach.found_at).strftime("%d/%m/%Y %H:%M"),
        "found_by": breach.found_by,
        "kinds_of_data": breach.kinds_of_data,
        "risk": "unlikely",
        "decision": "not_report",
        "decision_reason": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and b"reason for the decision" in response.content
    response = client.post(
        url, {**data, "decision_reason": "Encrypted device, key not lost", "contained": "on"}
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.decision == "not_report" and breach.contained and breach.clock_stopped
    assert b"Not reported (decided)" in client.get(url).content


def test_the_home_page_links_to_data_protection(client, anytown, regional_officer):
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    page = client.get(reverse("home")).content.decode()
    assert reverse("dataprotection:requests") in page and reverse("dataprotection:breaches") in page
    _login(client, regional_officer)
    page = client.get(reverse("home")).content.decode()
    assert reverse("dataprotection:requests") not in page and reverse("dataprotection:report") in page
    _login(client, anytown.user(Role.CANVASSER))
    assert "data-protection" not in client.get(reverse("home")).content.decode()


def test_a_closed_request_refuses_a_status_change_with_a_message(client, anytown):
    request = _anytown_request(anytown, status=RequestStatus.ANSWERED, closed_on=TODAY())
    _login(client, anytown.user(Role.DATA_PROTECTION_LEAD))
    url = reverse("dataprotection:request", args=[request.pk])
    response = client.post(url, {"op": "status", "status": "in_progress"}, follow=True)
    assert b"This request is answered: it cannot change." in response.content
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED
