"""Casework pages as their caseworkers use them: lists with filters and search, the case page with
its forms, opening a case from the register or by hand, the home page's links and counts."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import Case, Status, TimelineEntry
from labourhub.models import AuditEvent, Role
from tests.casework.factories import AgencyFactory, case_in
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_worker(client, office):
    client.force_login(office["worker"])
    return client


def refs(response):
    return {c.reference for c in response.context["page"]}


def test_my_cases_lists_mine_overdue_first(as_worker, anytown, office):
    late = case_in(anytown, due_on=timezone.localdate() - datetime.timedelta(days=2))
    mine = case_in(anytown)
    not_mine = case_in(anytown, owner=office["lead"])
    response = as_worker.get(reverse("casework:my_cases"))
    assert list(response.context["overdue"]) == [late]
    assert list(response.context["cases"]) == [mine]
    assert not_mine.reference not in response.content.decode()


def test_office_list_filters_and_searches(as_worker, anytown, office):
    topic = office["office"].topics.get(name="Housing")
    repairs = office["office"].topics.get(name="Repairs")
    a = case_in(anytown, name="Alice Smith", postcode="AT1 2AB", topic=repairs)
    b = case_in(anytown, name="Bob Jones", postcode="AT9 9ZZ", owner=office["lead"], status=Status.TRIAGE)
    c = case_in(anytown, name="Cleo Smith", status="closed", status_class="closed", outcome="advice")
    url = reverse("casework:office_cases", args=[office["office"].pk])
    assert refs(as_worker.get(url)) == {a.reference, b.reference}  # open by default
    assert refs(as_worker.get(url, {"status": "all"})) == {a.reference, b.reference, c.reference}
    assert refs(as_worker.get(url, {"status": "triage"})) == {b.reference}
    assert refs(as_worker.get(url, {"topic": topic.pk})) == {a.reference}  # a sub-topic counts
    assert refs(as_worker.get(url, {"owner": office["lead"].pk})) == {b.reference}
    assert refs(as_worker.get(url, {"q": "smith", "status": "all"})) == {a.reference, c.reference}
    assert refs(as_worker.get(url, {"q": "at12ab"})) == {a.reference}
    assert refs(as_worker.get(url, {"q": b.reference.lower(), "status": "all"})) == {b.reference}
    bad = as_worker.get(url, {"topic": "nonsense"})
    assert bad.status_code == 400 and "Topic" in bad.context["problem"]


def test_office_list_of_a_my_cases_worker_and_sensitive_cases(client, anytown, office):
    theirs = case_in(anytown, owner=office["mine"])
    case_in(anytown)
    secret = case_in(anytown, owner=office["lead"], sensitive=True)
    url = reverse("casework:office_cases", args=[office["office"].pk])
    client.force_login(office["mine"])
    assert refs(client.get(url)) == {theirs.reference}
    client.force_login(office["worker"])
    assert secret.reference not in refs(client.get(url))
    assert client.get(reverse("casework:case", args=[secret.pk])).status_code == 404
    client.force_login(office["lead"])
    assert secret.reference in refs(client.get(url))
    assert client.get(reverse("casework:case", args=[secret.pk])).status_code == 200


def test_case_page_shows_the_timeline_escaped_and_is_audited(as_worker, anytown, office):
    case = case_in(anytown)
    TimelineEntry.unscoped.create(
        case=case, kind="email_in", author=office["worker"], text="<script>alert(1)</script>"
    )
    response = as_worker.get(reverse("casework:case", args=[case.pk]))
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    event = AuditEvent.objects.get(action="casework.case_view")
    assert event.detail["case"] == case.pk and event.user == office["worker"]


def test_add_note_move_close_and_reopen_through_the_page(as_worker, anytown, office):
    case = case_in(anytown)
    dwp = AgencyFactory(name="DWP", response_working_days=20)
    as_worker.post(
        reverse("casework:case_note", args=[case.pk]), {"kind": "call", "text": "Rang the constituent"}
    )
    assert case.timeline.filter(kind="call").exists()
    as_worker.post(
        reverse("casework:case_status", args=[case.pk]), {"status": "awaiting_agency", "agency": dwp.pk}
    )
    case.refresh_from_db()
    assert case.status == "awaiting_agency" and case.due_on is not None
    response = as_worker.post(
        reverse("casework:case_status", args=[case.pk]), {"status": "closed"}, follow=True
    )
    assert "needs its outcome" in response.content.decode()
    as_worker.post(
        reverse("casework:case_status", args=[case.pk]), {"status": "closed", "outcome": "resolved"}
    )
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "resolved")
    as_worker.post(reverse("casework:case_status", args=[case.pk]), {"reason": "Another letter"})
    case.refresh_from_db()
    assert case.status == "triage"


def test_bad_note_says_what_is_wrong(as_worker, anytown, office):
    case = case_in(anytown)
    response = as_worker.post(
        reverse("casework:case_note", args=[case.pk]), {"kind": "nonsense", "text": ""}, follow=True
    )
    assert response.status_code == 400
    assert response.context["note_form"].errors.keys() == {"kind", "text"}
    assert not case.timeline.exists()


def test_a_note_with_a_wrong_date_keeps_what_was_typed(as_worker, anytown, office):
    case = case_in(anytown)
    typed = "Rang DWP: the PIP assessment is booked; they will write to her <b>this week</b>."
    response = as_worker.post(
        reverse("casework:case_note", args=[case.pk]),
        {"kind": "call", "text": typed, "at": "01/31/2026 10:00"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "there is no month 31" in page  # the day comes first, said beside the box
    assert html.escape(typed) in page and 'value="01/31/2026 10:00"' in page
    assert not case.timeline.exists()


def test_open_a_case_from_the_register(as_worker, anytown, office):
    home = PropertyFactory(polling_district=anytown.polling_district, address="3 Mill Lane", postcode="AT11AA",
                           postcode_display="AT1 1AA")  # fmt: skip
    elector = ElectorFactory(home=home, first_names="Ada", surname="Lovelace")
    url = reverse("casework:case_open", args=[office["office"].pk])
    found = as_worker.get(url, {"find": "Ada Lovelace"})
    assert list(found.context["found"]) == [elector]
    assert list(as_worker.get(url, {"find": "AT1 1AA"}).context["found"]) == [elector]
    response = as_worker.post(
        url, {"elector": elector.pk, "channel": "surgery", "summary": "PIP appeal", "urgency": "normal"}
    )
    case = Case.unscoped.get()
    assert response.status_code == 302 and response["Location"] == reverse("casework:case", args=[case.pk])
    assert (case.elector, case.name, case.postcode) == (elector, "Ada Lovelace", "AT1 1AA")


def test_open_a_case_by_hand_and_bad_input(as_worker, anytown, otherton, office):
    url = reverse("casework:case_open", args=[office["office"].pk])
    response = as_worker.post(url, {"channel": "email", "summary": "Visa", "urgency": "normal"})
    assert response.status_code == 400 and "Find the constituent" in response.content.decode()
    elsewhere = ElectorFactory(home=PropertyFactory(polling_district=otherton.polling_district))
    response = as_worker.post(
        url, {"elector": elsewhere.pk, "channel": "email", "summary": "x", "urgency": "normal"}
    )
    assert response.status_code == 400 and "not on the register of this office" in response.content.decode()
    response = as_worker.post(url, {"name": "New Person", "email": "new@example.org", "channel": "email",
                                    "summary": "Visa delay", "urgency": "high", "special_category": "on"})  # fmt: skip
    assert response.status_code == 400 and "Article 9" in response.content.decode()
    response = as_worker.post(url, {"name": "New Person", "email": "new@example.org", "channel": "email",
                                    "summary": "Visa delay", "urgency": "high", "special_category": "on",
                                    "article9_condition": "elected_representatives"})  # fmt: skip
    assert response.status_code == 302
    assert Case.unscoped.get().name == "New Person"


def test_home_page_links_and_overdue_counts(client, anytown, office):
    case_in(anytown, due_on=timezone.localdate() - datetime.timedelta(days=1))
    case_in(anytown, owner=office["lead"], due_on=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(office["worker"])
    response = client.get(reverse("home"))
    needs = {n.key: n.count for n in response.context["needs"]}
    assert needs["casework_my_overdue"] == 1
    assert needs[f"casework_office_overdue_{office['office'].pk}"] == 2
    assert reverse("casework:my_cases") in response.content.decode()
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.get(reverse("home"))
    assert not [n for n in response.context["needs"] if n.key.startswith("casework")]
    assert reverse("casework:my_cases") not in response.content.decode()


def test_operator_sees_counts_not_cases(client, anytown, office):
    from tests.factories import UserFactory, with_totp

    case = case_in(anytown)
    operator = UserFactory(is_superuser=True, is_staff=True)
    with_totp(operator)
    client.force_login(operator)
    response = client.get(reverse("casework:counts"))
    assert response.status_code == 200
    assert [(r.office, r.open) for r in response.context["offices"]] == [("Anytown MP office", 1)]
    assert case.name not in response.content.decode()
    assert client.get(reverse("casework:case", args=[case.pk])).status_code == 404
    assert client.get(reverse("casework:office_cases", args=[office["office"].pk])).status_code == 404
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get(reverse("casework:counts")).status_code == 403


def test_note_dated_in_the_past_and_consent_through_the_case_page(as_worker, anytown, office):
    case = case_in(anytown)
    page = as_worker.get(reverse("casework:case", args=[case.pk])).content.decode()
    # Both dates typed day first (labourhub.forms), not drawn by the browser in its own order.
    assert page.count('placeholder="dd/mm/yyyy') == 2
    as_worker.post(reverse("casework:case_note", args=[case.pk]),
                   {"kind": "letter_in", "text": "Letter from DWP", "at": "02/11/2026 09:30"})  # fmt: skip
    entry = case.timeline.get(kind="letter_in")
    assert timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M") == "2026-11-02 09:30"
    as_worker.post(reverse("casework:case_consent", args=[case.pk]),
                   {"wording": "May the party keep you updated?", "given": "yes", "given_on": "20/11/2026"})  # fmt: skip
    consent = case.consents.get()
    assert (consent.given, consent.given_on.isoformat(), consent.recorded_by) == (
        True,
        "2026-11-20",
        office["worker"],
    )
