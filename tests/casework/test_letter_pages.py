"""The case page's letters, chasers and forms as a caseworker uses them: writing a letter or email
from a template, the printable letter, the office lead's templates, the assign form, and the status
and consent forms showing a refusal beside the boxes with what was typed kept."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import Case, CaseAssignment, Chaser, Letter, LetterTemplate, Status
from labourhub.models import AuditEvent
from tests.casework.factories import AgencyFactory, case_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture
def as_worker(client, office):
    client.force_login(office["worker"])
    return client


def _body(response):
    return response.content.decode()


# --- Writing from a template -------------------------------------------------------------------


def test_compose_is_prefilled_from_the_template_for_the_agency(as_worker, anytown):
    agency = AgencyFactory(name="DWP", contact_route="mp.enquiries@dwp.example", response_working_days=20)
    case = case_in(anytown, address="1 Anytown Road")
    response = as_worker.get(
        reverse("casework:letter_new", args=[case.pk]), {"kind": "referral", "agency": agency.pk}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["recipient_name"] == "DWP"
    assert form.initial["to_email"] == "mp.enquiries@dwp.example"
    assert form.initial["medium"] == Letter.Medium.EMAIL
    assert case.reference in form.initial["subject"]
    assert "Anytown Constituent, 1 Anytown Road, AB1 2CD" in form.initial["body"]


def test_html_in_merge_data_is_shown_escaped_on_the_compose_and_print_pages(as_worker, anytown):
    case = case_in(anytown, name=f"Ada {XSS}", address=XSS)
    compose = as_worker.get(reverse("casework:letter_new", args=[case.pk]), {"kind": "acknowledgement"})
    assert XSS not in _body(compose)
    assert "Dear Ada &lt;script&gt;alert(1)&lt;/script&gt;," in _body(compose)
    form = compose.context["form"]
    posted = as_worker.post(
        reverse("casework:letter_new", args=[case.pk]),
        {**{k: v for k, v in form.initial.items() if v is not None}, "medium": "letter"},
    )
    letter = Letter.unscoped.get(case=case)
    assert posted.status_code == 302 and posted["Location"] == reverse("casework:letter", args=[letter.pk])
    printed = _body(as_worker.get(posted["Location"]))
    assert XSS not in printed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in printed


def test_printed_letter_has_address_block_date_reference_and_signature(as_worker, anytown, office):
    case = case_in(anytown)
    letter = services.letter_create(
        user=office["worker"], case=case, kind="acknowledgement", medium="letter",
        recipient_name="Anytown Constituent", recipient_address="1 Anytown Road\nAnytown AB1 2CD",
        subject="Your enquiry", body="Dear Anytown Constituent,\n\nThank you.",
    )  # fmt: skip
    response = as_worker.get(reverse("casework:letter", args=[letter.pk]))
    page = _body(response)
    assert '<address class="to">Anytown Constituent<br>1 Anytown Road<br>Anytown AB1 2CD</address>' in page
    assert f"Our ref: {case.reference}" in page
    assert f'<p class="date">{timezone.localtime(letter.created_at):%-d %B %Y}</p>' in page
    assert "Yours sincerely," in page and office["worker"].get_full_name() in page
    assert f"Caseworker to {office['office'].representative}" in page
    assert "casework/letter.css" in page and 'id="print-letter"' in page
    assert AuditEvent.objects.filter(action="casework.letter_view", detail__letter=letter.pk).exists()


def test_print_css_hides_the_site_header_and_the_pages_controls():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/labourhub.css").read_text()
    assert ".site-header, .site-footer, .no-print { display: none; }" in css


def test_sending_an_email_from_the_case_queues_it_and_shows_it_on_the_timeline(as_worker, anytown):
    case = case_in(anytown, email="ada@example.org", status=Status.TRIAGE)
    agency = AgencyFactory(name="Anytown Council housing", contact_route="housing@anytown.example")
    url = reverse("casework:letter_new", args=[case.pk])
    form = as_worker.get(url, {"kind": "referral", "agency": agency.pk}).context["form"]
    response = as_worker.post(url, {**{k: v for k, v in form.initial.items() if v is not None}})
    assert response.status_code == 302 and response["Location"] == reverse("casework:case", args=[case.pk])
    letter = Letter.unscoped.get(case=case)
    assert (letter.medium, letter.state, letter.to_email) == ("email", "queued", "housing@anytown.example")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_AGENCY and case.agency == agency
    page = _body(as_worker.get(response["Location"]))
    assert "Email to Anytown Council housing &lt;housing@anytown.example&gt;" in page
    assert "Queued to send" in page


def test_a_refused_letter_keeps_what_was_typed(as_worker, anytown):
    case = case_in(anytown)
    response = as_worker.post(
        reverse("casework:letter_new", args=[case.pk]),
        {"kind": "acknowledgement", "medium": "email", "recipient_name": "Ada", "to_email": "",
         "subject": "My own subject", "body": "My own words"},
    )  # fmt: skip
    assert response.status_code == 400
    page = _body(response)
    assert "An email needs the address it goes to." in page
    assert "My own words" in page and 'value="My own subject"' in page
    assert not Letter.unscoped.exists()


def test_an_unknown_kind_of_letter_is_a_clear_error(as_worker, anytown):
    case = case_in(anytown)
    response = as_worker.get(reverse("casework:letter_new", args=[case.pk]), {"kind": "poison"})
    assert response.status_code == 400
    assert "There is no kind of letter called &#x27;poison&#x27;." in _body(response)


def test_another_offices_caseworker_gets_nothing(client, anytown, office, other_office):
    case = case_in(anytown)
    letter = services.letter_create(
        user=office["worker"], case=case, kind="acknowledgement", medium="letter",
        recipient_name="Anytown Constituent", recipient_address="1 Anytown Road", subject="s", body="b",
    )  # fmt: skip
    client.force_login(other_office["worker"])
    assert client.get(reverse("casework:letter", args=[letter.pk])).status_code == 404
    assert client.get(reverse("casework:letter_new", args=[case.pk])).status_code == 404
    assert client.get(reverse("casework:letter_templates", args=[office["office"].pk])).status_code == 404


# --- The office lead's templates ---------------------------------------------------------------


def test_lead_edits_a_template_and_an_unknown_field_is_named(client, office):
    client.force_login(office["lead"])
    url = reverse("casework:letter_template_edit", args=[office["office"].pk, "holding"])
    shown = client.get(url)
    assert shown.status_code == 200 and "{{ constituent_name }}" in _body(shown)
    refused = client.post(url, {"subject": "Ref {{ case_reference }}", "body": "Dear {{ nmae }}"})
    assert refused.status_code == 400
    assert "Unknown merge field {{ nmae }}" in _body(refused) and "Dear {{ nmae }}" in _body(refused)
    saved = client.post(url, {"subject": "Ref {{ case_reference }}", "body": "Dear {{ constituent_name }}"})
    assert saved.status_code == 302
    assert (
        LetterTemplate.objects.get(office=office["office"], kind="holding").body
        == "Dear {{ constituent_name }}"
    )
    listing = _body(client.get(reverse("casework:letter_templates", args=[office["office"].pk])))
    assert "the office's own wording" in listing


def test_a_caseworker_who_is_not_the_lead_cannot_edit_templates(as_worker, office):
    url = reverse("casework:letter_template_edit", args=[office["office"].pk, "holding"])
    assert as_worker.get(url).status_code == 403
    assert as_worker.post(url, {"subject": "s", "body": "b"}).status_code == 403
    assert not LetterTemplate.objects.exists()


# --- Chasers on the lists ----------------------------------------------------------------------


def test_chasers_show_on_my_overdue_and_the_office_overdue(as_worker, anytown, office):
    agency = AgencyFactory(name="NHS Anytown Trust")
    late = case_in(anytown, status=Status.AWAITING_AGENCY, agency=agency,
                   due_on=timezone.localdate() - datetime.timedelta(days=4))  # fmt: skip
    services.chasers_create()
    chaser = Chaser.unscoped.get(case=late)
    chase = f"{reverse('casework:letter_new', args=[late.pk])}?kind=chaser&amp;agency={agency.pk}"
    mine = as_worker.get(reverse("casework:my_cases"))
    assert list(mine.context["chasers"]) == [chaser] and chase in _body(mine)
    office_url = reverse("casework:office_cases", args=[office["office"].pk])
    overdue = as_worker.get(office_url, {"overdue": "on"})
    assert list(overdue.context["chasers"]) == [chaser] and chase in _body(overdue)
    assert chase in _body(as_worker.get(reverse("casework:case", args=[late.pk])))


# --- The assign form, and forms that keep what was typed ---------------------------------------


def test_assign_form_sets_owner_and_assignees(as_worker, anytown, office):
    case = case_in(anytown)
    response = as_worker.post(
        reverse("casework:case_assign", args=[case.pk]),
        {"owner": office["lead"].pk, "assignees": [office["mine"].pk]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == office["lead"]
    assert set(CaseAssignment.unscoped.filter(case=case).values_list("user", flat=True)) == {
        office["lead"].pk,
        office["mine"].pk,
    }


def test_assign_form_refuses_someone_outside_the_office_beside_the_box(as_worker, anytown, office):
    case = case_in(anytown)
    stranger = UserFactory(full_name="Not In The Office")
    response = as_worker.post(
        reverse("casework:case_assign", args=[case.pk]),
        {"owner": office["worker"].pk, "assignees": [office["mine"].pk, stranger.pk]},
    )
    assert response.status_code == 400
    form = response.context["assign_form"]
    assert "assignees" in form.errors
    assert form["assignees"].value() == [str(office["mine"].pk), str(stranger.pk)]
    assert re.search(rf'value="{office["mine"].pk}"[^>]*checked', _body(response))
    assert "is not one of the available choices" in _body(response)
    assert CaseAssignment.unscoped.filter(case=case).count() == 1


def test_status_form_refusal_is_shown_beside_the_box_with_the_choice_kept(as_worker, anytown):
    case = case_in(anytown)
    response = as_worker.post(
        reverse("casework:case_status", args=[case.pk]), {"status": "closed", "outcome": ""}
    )
    assert response.status_code == 400
    form = response.context["status_form"]
    assert form.errors["outcome"] == ["Closing a case needs its outcome."]
    assert '<option value="closed" selected>' in _body(response)
    case.refresh_from_db()
    assert case.status == Status.NEW


def test_reopen_form_refusal_is_shown_on_the_page(as_worker, anytown):
    case = case_in(anytown, status="closed", status_class="closed", outcome="advice")
    response = as_worker.post(reverse("casework:case_status", args=[case.pk]), {"reason": ""})
    assert response.status_code == 400 and response.context["reopen_form"].errors["reason"]


def test_consent_form_refusal_keeps_the_wording_typed(as_worker, anytown):
    case = case_in(anytown)
    response = as_worker.post(
        reverse("casework:case_consent", args=[case.pk]),
        {"wording": "May we write to you about <our> campaigns?", "given": "yes", "given_on": "31/02/2026"},
    )
    assert response.status_code == 400
    page = _body(response)
    assert "May we write to you about &lt;our&gt; campaigns?</textarea>" in page
    assert response.context["consent_form"].errors["given_on"]
    assert '<option value="yes" selected>' in page
    assert not case.consents.exists()


def test_case_page_without_errors_still_redirects(as_worker, anytown):
    case = case_in(anytown)
    response = as_worker.post(reverse("casework:case_status", args=[case.pk]), {"status": "triage"})
    assert response.status_code == 302
    assert Case.unscoped.get(pk=case.pk).status == Status.TRIAGE


def test_home_page_counts_my_chasers_to_send(as_worker, anytown, office):
    late = {"status": Status.AWAITING_AGENCY, "agency": AgencyFactory(),
                "due_on": timezone.localdate() - datetime.timedelta(days=1)}  # fmt: skip
    case_in(anytown, **late)
    case_in(anytown, owner=office["lead"], **late)  # the office's, not mine
    services.chasers_create()
    needs = {n.key: n for n in as_worker.get(reverse("home")).context["needs"]}
    assert needs["casework_my_chasers"].count == 1
    assert needs["casework_my_chasers"].url == reverse("casework:my_chasers")


def test_a_sensitive_cases_letters_and_chasers_stay_with_its_assignees(client, anytown, office):
    late = {"status": Status.AWAITING_AGENCY, "agency": AgencyFactory(),
            "due_on": timezone.localdate() - datetime.timedelta(days=1)}  # fmt: skip
    case = case_in(anytown, owner=office["lead"], sensitive=True, **late)
    letter = services.letter_create(
        user=office["lead"], case=case, kind="holding", medium="letter",
        recipient_name="Anytown Constituent", recipient_address="1 Anytown Road", subject="s", body="b",
    )  # fmt: skip
    case.due_on = late["due_on"]
    case.save(update_fields=["due_on"])
    services.chasers_create()
    client.force_login(office["worker"])  # sees all the office's cases, but not the sensitive ones
    assert client.get(reverse("casework:letter", args=[letter.pk])).status_code == 404
    assert client.get(reverse("casework:letter_new", args=[case.pk])).status_code == 404
    assert not client.get(reverse("casework:my_cases")).context["chasers"]
    office_url = reverse("casework:office_cases", args=[office["office"].pk])
    assert not client.get(office_url, {"overdue": "on"}).context["chasers"]
    client.force_login(office["lead"])
    assert client.get(reverse("casework:letter", args=[letter.pk])).status_code == 200
    assert len(client.get(office_url, {"overdue": "on"}).context["chasers"]) == 1
