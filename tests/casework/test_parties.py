"""Who else is on a case (issue 15 item 2: further constituents, third parties with the
constituent's authority, linked cases) and the office's agency directory (item 4)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from casework import retention, services
from casework.models import Agency, Attachment, CaseConstituent, CaseLink, Letter, Office, ThirdParty
from labourhub.models import AuditEvent
from tests.casework.factories import AgencyFactory, case_in
from tests.casework.mail import PDF
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _elector(anytown, surname="Partnerby"):
    home = PropertyFactory(polling_district=anytown.polling_district, street="Joint Road", postcode="AT99ZZ",
                           postcode_display="AT9 9ZZ")  # fmt: skip
    return ElectorFactory(home=home, first_names="Robin", surname=surname)


def _party(case, user, **kw):
    values = {
        "name": "Sam Advocate",
        "relationship": ThirdParty.Relationship.ADVOCATE,
        "email": "sam@advocacy.example",
        "authority_signed_on": TODAY - datetime.timedelta(days=3),
        "authority_held": ThirdParty.Held.SIGNED_FORM,
        "form_upload": ("authority.pdf", PDF),
    }
    return services.third_party_add(user=user, case=case, **(values | kw))


def _letter(case, user, party):
    return services.letter_create(user=user, case=case, kind="holding", medium="email", recipient_name=party.name,
                                  to_email=party.email, subject="Update", body="Dear Sam", third_party=party)  # fmt: skip


# --- More than one constituent ------------------------------------------------------------------


def test_second_constituent_from_the_register_is_shown_and_found_by_name_and_postcode(
    client, anytown, office
):
    case = case_in(anytown)
    elector = _elector(anytown)
    client.force_login(office["worker"])
    url = reverse("casework:case_constituents", args=[case.pk])
    assert "Partnerby" in client.get(url, {"find": "Partnerby"}).content.decode()
    response = client.post(url, {"elector": elector.pk})
    assert response.status_code == 302
    person = CaseConstituent.unscoped.get(case=case)
    assert (person.name, person.postcode, person.elector_id) == ("Robin Partnerby", "AT9 9ZZ", elector.pk)
    assert "Robin Partnerby" in client.get(reverse("casework:case", args=[case.pk])).content.decode()
    listing = reverse("casework:office_cases", args=[office["office"].pk])
    for q in ("partnerby", "robin part", "AT9 9ZZ", "AT99ZZ"):
        assert case.reference in client.get(listing, {"q": q, "status": "all"}).content.decode(), q
    assert case.reference not in client.get(listing, {"q": "Nobodyelse", "status": "all"}).content.decode()


def test_finding_a_constituent_says_when_more_match_than_are_listed(client, anytown, office, monkeypatch):
    """pages9: "Jones" listed the first 25 of hundreds with nothing saying the one sought may be further on."""
    from casework import views_parties

    monkeypatch.setattr(views_parties, "FOUND_SHOWN", 2)
    case = case_in(anytown)
    for _ in range(2):
        _elector(anytown)
    client.force_login(office["worker"])
    url = reverse("casework:case_constituents", args=[case.pk])
    assert "More than" not in client.get(url, {"find": "Partnerby"}).content.decode()
    _elector(anytown)
    page = client.get(url, {"find": "Partnerby"}).content.decode()
    assert "More than 2 people match “Partnerby”: these are the first 2." in page
    assert page.count("Robin Partnerby</a>") == 2


def test_constituent_entered_fresh_needs_a_name_and_an_elector_outside_the_area_is_refused(
    client, anytown, otherton, office
):
    case = case_in(anytown)
    client.force_login(office["worker"])
    url = reverse("casework:case_constituents", args=[case.pk])
    response = client.post(url, {"name": "  "})
    assert response.status_code == 400
    assert "Find the constituent on the register or enter their name." in response.content.decode()
    stranger = ElectorFactory(home=PropertyFactory(polling_district=otherton.polling_district))
    response = client.post(url, {"elector": stranger.pk})
    assert response.status_code == 400
    assert "not on the register of this office" in response.content.decode()
    assert not CaseConstituent.unscoped.filter(case=case).exists()
    assert client.post(url, {"name": "Jo Fresh", "postcode": "at1 2bb"}).status_code == 302
    assert CaseConstituent.unscoped.get(case=case).postcode == "AT1 2BB"


# --- Third parties with the constituent's authority ----------------------------------------------


def test_signed_form_goes_through_the_attachment_path_and_letters_go_only_while_authority_is_live(
    anytown, office, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    case = case_in(anytown)
    worker = office["worker"]
    party = _party(case, worker, authority_expires_on=TODAY + datetime.timedelta(days=30))
    form = Attachment.unscoped.get(case=case)
    assert (party.authority_form_id, form.kind) == (form.pk, "pdf")
    assert _letter(case, worker, party).third_party_id == party.pk
    ThirdParty.unscoped.filter(pk=party.pk).update(authority_expires_on=TODAY - datetime.timedelta(days=1))
    party.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        _letter(case, worker, party)
    assert "authority expired on" in str(refused.value) and "only while their authority is live" in str(
        refused.value
    )
    ThirdParty.unscoped.filter(pk=party.pk).update(authority_expires_on=None)
    party.refresh_from_db()
    services.third_party_withdraw(user=worker, case=case, third_party=party)
    party.refresh_from_db()
    with pytest.raises(ValidationError, match="withdrew Sam Advocate's authority"):
        _letter(case, worker, party)
    assert Letter.unscoped.filter(case=case).count() == 1


def test_verbal_authority_only_where_the_office_allows_it_and_a_form_is_needed_otherwise(anytown, office):
    case = case_in(anytown)
    worker = office["worker"]
    with pytest.raises(ValidationError, match="only as a signed form"):
        _party(case, worker, authority_held=ThirdParty.Held.VERBAL, form_upload=None)
    with pytest.raises(ValidationError, match="Attach the signed form"):
        _party(case, worker, form_upload=None)
    with pytest.raises(ValidationError, match="must expire after"):
        _party(case, worker, authority_expires_on=TODAY - datetime.timedelta(days=10))
    Office.objects.filter(pk=case.office_id).update(allow_verbal_authority=True)
    case.office.refresh_from_db()
    party = _party(case, worker, authority_held=ThirdParty.Held.VERBAL, form_upload=None)
    assert (party.verbal_recorded_by, party.authority_form) == (worker, None)
    assert ThirdParty.unscoped.count() == 1


def test_third_party_page_adds_with_an_upload_and_withdraws(client, anytown, office):
    case = case_in(anytown)
    client.force_login(office["worker"])
    url = reverse("casework:case_third_parties", args=[case.pk])
    bad = client.post(url, {"name": "Pat Solicitor", "relationship": "solicitor", "authority_signed_on": "bad",
                            "authority_held": "signed_form"})  # fmt: skip
    assert bad.status_code == 400 and "Attach the signed form" not in bad.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url, {"name": "Pat Solicitor", "relationship": "solicitor", "authority_held": "signed_form",
                                 "authority_signed_on": TODAY.strftime("%d/%m/%Y"),
                                 "form_upload": SimpleUploadedFile("signed.pdf", PDF)})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    party = ThirdParty.unscoped.get(case=case)
    page = client.get(reverse("casework:case", args=[case.pk])).content.decode()
    assert "Pat Solicitor" in page and "signed.pdf" in page and "Live." in page
    assert "signed.pdf (added" in client.get(url).content.decode()  # offered for the next one
    assert client.post(url, {"withdraw": party.pk}).status_code == 302
    party.refresh_from_db()
    assert party.withdrawn_on == TODAY
    assert "Nothing goes to them" in client.get(reverse("casework:case", args=[case.pk])).content.decode()


def test_third_party_form_chooses_no_relationship_and_says_when_a_chosen_file_must_be_chosen_again(
    client, anytown, office
):
    """pages9: "Relative" came pre-selected, and a file chosen before an error (a wrong date) was silently
    dropped, so the corrected form was refused for want of the signed form."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = case_in(anytown)
    client.force_login(office["worker"])
    url = reverse("casework:case_third_parties", args=[case.pk])
    page = client.get(url).content.decode()
    assert '<option value="" selected>Choose one</option>' in page
    bad = client.post(url, {"name": "Pat Solicitor", "authority_signed_on": "31/02/2026", "authority_held": "signed_form",
                            "form_upload": SimpleUploadedFile("signed.pdf", PDF)})  # fmt: skip
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert "relationship" in errors and "authority_signed_on" in errors
    assert errors["form_upload"] == [
        "Choose the signed form again: a file is not kept when the form has an error."
    ]
    assert 'value="Pat Solicitor"' in bad.content.decode()  # what was typed stays
    assert not ThirdParty.unscoped.filter(case=case).exists()


def test_withdrawing_authority_asks_first_on_the_case_page(client, anytown, office):
    case = case_in(anytown)
    party = _party(case, office["worker"])
    client.force_login(office["worker"])
    page = client.get(reverse("casework:case", args=[case.pk])).content.decode()
    question = page[page.index('<details class="confirm">') : page.index("</details>")]
    assert f"Record that {party.name}'s authority was withdrawn today?" in question
    assert f'name="withdraw" value="{party.pk}"' in question  # the only way to post it is inside the question


# --- Linked cases --------------------------------------------------------------------------------


def test_linked_cases_show_on_both_pages_and_a_caseworker_who_cannot_see_one_sees_only_that_a_link_exists(
    client, anytown, office
):
    first = case_in(anytown, assignees=[office["mine"]])
    hidden = case_in(
        anytown,
        owner=office["lead"],
        name="Anytown Secret Person",
        sensitive=True,
        summary="Anytown hidden matter",
    )
    client.force_login(office["worker"])
    response = client.post(reverse("casework:case_links", args=[first.pk]),
                           {"reference": hidden.reference, "kind": "family", "reason": "Anytown siblings"})  # fmt: skip
    # The worker does not see the sensitive case: it cannot be found to link.
    assert "No case you can see has that reference" in response.content.decode()
    services.case_link(user=office["lead"], case=first, other=hidden, kind="family", reason="Same household")
    lead_page = client.get(reverse("casework:case", args=[first.pk])).content.decode()
    assert "a case you cannot see" in lead_page and hidden.reference not in lead_page
    assert "Same household" not in lead_page and "Secret" not in lead_page
    client.force_login(office["lead"])
    for case, other in ((first, hidden), (hidden, first)):
        page = client.get(reverse("casework:case", args=[case.pk])).content.decode()
        assert other.reference in page and "Same household" in page
    client.force_login(office["mine"])
    page = client.get(reverse("casework:case", args=[first.pk])).content.decode()
    assert "a case you cannot see" in page and "Same household" not in page


def test_cases_of_two_offices_are_never_linked(anytown, otherton, office, other_office):
    mine, theirs = case_in(anytown), case_in(otherton)
    with pytest.raises(ValidationError, match="different offices"):
        services.case_link(user=office["lead"], case=mine, other=theirs, kind="related", reason="Same family")
    with pytest.raises(ValidationError, match="itself"):
        services.case_link(user=office["lead"], case=mine, other=mine, kind="related", reason="x")
    other = case_in(anytown)
    services.case_link(user=office["worker"], case=mine, other=other, kind="duplicate", reason="Same letter")
    with pytest.raises(ValidationError, match="already linked"):
        services.case_link(user=office["worker"], case=other, other=mine, kind="related", reason="again")
    assert CaseLink.unscoped.count() == 1


# --- The agency directory ------------------------------------------------------------------------


def test_agency_directory_lead_adds_and_edits_others_only_read_and_search(
    client, anytown, office, other_office
):
    AgencyFactory(name="Shared DWP")
    AgencyFactory(name="Otherton council", office=other_office["office"])
    url = reverse("casework:agencies", args=[office["office"].pk])
    form = {"name": "Anytown Council housing", "kind": "council", "response_working_days": "10",
            "email": "housing@anytown.gov.example", "portal_url": "https://portal.example/mp"}  # fmt: skip
    client.force_login(office["worker"])
    assert client.post(url, form).status_code == 403
    page = client.get(url).content.decode()
    assert "Shared DWP" in page and "Otherton council" not in page
    client.force_login(office["lead"])
    assert client.post(url, form).status_code == 302
    agency = Agency.objects.get(office=office["office"])
    assert (agency.response_working_days, agency.email) == (10, "housing@anytown.gov.example")
    duplicate = client.post(url, form | {"name": "anytown council HOUSING"})
    assert duplicate.status_code == 400 and "already in the directory" in duplicate.content.decode()
    assert client.post(url, form | {"response_working_days": "0"}).status_code == 400
    searched = client.get(url, {"q": "housing"}).content.decode()
    assert "Anytown Council housing" in searched and "Shared DWP" not in searched
    edit = reverse("casework:agency_edit", args=[office["office"].pk, agency.pk])
    assert client.post(edit, form | {"response_working_days": "7"}).status_code == 302
    agency.refresh_from_db()
    assert agency.response_working_days == 7
    shared = Agency.objects.get(name="Shared DWP")
    assert (
        client.get(reverse("casework:agency_edit", args=[office["office"].pk, shared.pk])).status_code == 404
    )
    assert AuditEvent.objects.filter(action__in=["casework.agency_add", "casework.agency_edit"]).count() == 2


def test_the_agency_kind_and_the_link_kind_start_unchosen_and_an_error_keeps_what_was_typed(
    client, anytown, office
):
    """Last round: a new agency came as "Council department" and a link as "Related" unless changed."""
    case = case_in(anytown)
    other = case_in(anytown)
    client.force_login(office["lead"])
    agencies = reverse("casework:agencies", args=[office["office"].pk])
    links = reverse("casework:case_links", args=[case.pk])
    for url in (agencies, links):
        page = client.get(url).content.decode()
        assert '<option value="" selected>Choose one</option>' in page
    no_kind = client.post(agencies, {"name": "Anytown Council housing", "response_working_days": "10"})
    assert no_kind.status_code == 400 and "kind" in no_kind.context["form"].errors
    assert 'value="Anytown Council housing"' in no_kind.content.decode()
    assert not Agency.objects.filter(office=office["office"]).exists()
    no_kind = client.post(links, {"reference": other.reference, "reason": "Same household"})
    assert no_kind.status_code == 400 and "kind" in no_kind.context["form"].errors
    assert 'value="Same household"' in no_kind.content.decode()
    assert not CaseLink.unscoped.exists()


def test_another_offices_agency_is_refused_for_a_case(anytown, office, other_office):
    theirs = AgencyFactory(name="Otherton housing", office=other_office["office"])
    case = case_in(anytown)
    with pytest.raises(ValidationError, match="not in this office's directory"):
        services.case_move(user=office["worker"], case=case, status="awaiting_agency", agency=theirs)


# --- Retention -----------------------------------------------------------------------------------


def test_retention_anonymises_constituents_third_parties_and_link_reasons(anytown, office):
    case = case_in(anytown)
    other = case_in(anytown)
    worker = office["worker"]
    services.case_constituent_add(user=worker, case=case, elector=_elector(anytown))
    _party(case, worker)
    services.case_link(user=worker, case=other, other=case, kind="family", reason="Robin's sister")
    retention.anonymise([case.pk], timezone.now())
    person = CaseConstituent.unscoped.get(case=case)
    party = ThirdParty.unscoped.get(case=case)
    assert (person.name, person.postcode, person.elector_id) == ("Anonymised", "", None)
    assert (party.name, party.email, party.authority_form_id) == ("Anonymised", "", None)
    assert CaseLink.unscoped.get().reason == "Anonymised"
    case.refresh_from_db()
    assert case.others_search == ""  # the search no longer finds the case by them


def test_outsiders_reach_nothing_of_the_new_pages(client, anytown, otherton, office, other_office):
    """Otherton's caseworker, Anytown's CLP secretary and a my-cases caseworker not on the case:
    no page, no form and no write, on a case's people pages and the office's agency directory."""
    from labourhub.models import Role

    case = case_in(anytown)
    agency = AgencyFactory(name="Anytown Council housing", office=office["office"])
    urls = [
        reverse(f"casework:{name}", args=[case.pk])
        for name in ("case_constituents", "case_third_parties", "case_links")
    ]
    directory = [reverse("casework:agencies", args=[office["office"].pk]),
                 reverse("casework:agency_edit", args=[office["office"].pk, agency.pk])]  # fmt: skip
    post = {"name": "Intruder", "reference": case.reference, "kind": "related", "reason": "x", "relationship": "other",
            "authority_held": "signed_form", "authority_signed_on": "01/01/2026", "response_working_days": "5"}  # fmt: skip
    for user in (other_office["worker"], anytown.user(Role.CLP_SECRETARY), office["mine"]):
        client.force_login(user)
        for url in urls + (directory if user != office["mine"] else []):
            for response in (client.get(url), client.post(url, post)):
                assert response.status_code in (403, 404), (user, url, response.status_code)
                if user == other_office["worker"]:  # the others' own names carry "Anytown"
                    assert "Anytown" not in response.content.decode()
    assert (
        not CaseConstituent.unscoped.exists()
        and not ThirdParty.unscoped.exists()
        and not CaseLink.unscoped.exists()
    )
    agency.refresh_from_db()
    assert agency.response_working_days == 20
