"""Privacy at the point of collection (issue 16, item 5): each CLP's public privacy notice with its
own details and the retention figures from the settings, the line read out on the canvassing, phone
bank and telling pages, and the notice's link in member emails and on the member's own page."""

import pytest
from django.urls import reverse

from campaigns.services import call_claim_next, call_list_create
from labourhub.models import AuditEvent, PrivacyNotice, Role
from labourhub.services import privacy_notice_update
from members.services import email_template
from tests.campaigns.factories import PackFactory, WalkListFactory, campaign_with_survey
from tests.campaigns.test_phone_bank import people_with_phones
from tests.gotv.factories import polling_day
from tests.members.factories import EmailSendFactory, MemberFactory
from voters.models import ModelVersion

DETAILS = {
    "controller_name": "Anytown and District CLP",
    "address": "1 Anytown Road\nAnytown AN1 1AA",
    "email": "privacy@anytown.example",
    "phone": "01234 567890",
    "contact_role": "Data protection officer",
    "ico_registration": "Z1234567",
    "consent_uses": "Our monthly newsletter, to members who asked for it.",
}


def _notice(client, clp):
    response = client.get(reverse("privacy_notice", args=[clp.constituency.gss_code]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_notice_is_public_and_shows_each_clps_own_details(client, anytown, otherton):
    privacy_notice_update(
        user=anytown.user(Role.DATA_PROTECTION_LEAD), constituency=anytown.constituency, **DETAILS
    )
    html = _notice(client, anytown)  # signed out
    for value in ("Anytown and District CLP", "privacy@anytown.example", "01234 567890", "Z1234567"):
        assert value in html
    assert "Our monthly newsletter" in html
    assert "Data protection officer" in html
    other = _notice(client, otherton)
    assert "Otherton Constituency Labour Party" in other  # its defaults until it saves its own
    assert "anytown" not in other.lower()


def test_the_notice_names_the_lawful_bases_the_special_category_condition_and_the_models(client, anytown):
    ModelVersion.unscoped.create(constituency=anytown.constituency, name="Anytown support model")
    html = _notice(client, anytown)
    assert "section 8(e)" in html and "article 6(1)(e)" in html
    assert "schedule 1, paragraph 22" in html
    assert "The electoral register" in html
    assert "Anytown support model" in html
    assert "Profiling, in plain words" in html
    assert "What you tell us at the door" in html


def test_the_notice_reads_retention_from_the_settings(client, anytown, settings):
    settings.RETENTION_LAPSED_MEMBER_YEARS = 7
    settings.RETENTION_EMAIL_LOG_MONTHS = 13
    settings.RETENTION_CANVASS_CYCLES = 3
    html = _notice(client, anytown)
    assert "Lapsed members (after the date they lapsed)</td><td>7 years" in html
    assert "13 months" in html
    assert "the last 3 electoral cycles" in html


def test_an_unknown_code_is_a_404(client, db):
    assert client.get(reverse("privacy_notice", args=["E14999999"])).status_code == 404
    assert client.get(reverse("privacy_notice_short", args=["nonsense"])).status_code == 404


def test_the_short_link_leads_to_the_notice(client, anytown):
    response = client.get(reverse("privacy_notice_short", args=[anytown.constituency.gss_code.lower()]))
    assert response.status_code == 302
    assert response.url == reverse("privacy_notice", args=[anytown.constituency.gss_code])


@pytest.mark.parametrize("role", [Role.DATA_PROTECTION_LEAD, Role.CLP_SECRETARY])
def test_the_secretary_and_the_data_protection_lead_edit_the_details(client, anytown, role):
    user = anytown.user(role)
    client.force_login(user)
    url = reverse("privacy_notice_edit", args=[anytown.constituency.pk])
    assert "Anytown Constituency Labour Party" in client.get(url).content.decode()
    response = client.post(url, DETAILS)
    assert response.status_code == 302
    notice = PrivacyNotice.objects.get(constituency=anytown.constituency)
    assert (notice.controller_name, notice.email, notice.updated_by) == (
        "Anytown and District CLP",
        "privacy@anytown.example",
        user,
    )
    event = AuditEvent.objects.get(action="privacy_notice.update")
    assert event.constituency == anytown.constituency and "controller_name" in event.detail["changed"]


def test_a_bad_email_is_an_error_beside_its_box_and_nothing_is_saved(client, anytown):
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    response = client.post(
        reverse("privacy_notice_edit", args=[anytown.constituency.pk]), DETAILS | {"email": "not an email"}
    )
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not PrivacyNotice.objects.exists()


@pytest.mark.parametrize("who", ["other_dpl", "canvasser", "officer"])
def test_nobody_else_edits_a_clps_details(client, anytown, otherton, who):
    user = {
        "other_dpl": otherton.user(Role.DATA_PROTECTION_LEAD),
        "canvasser": anytown.user(Role.CANVASSER),
        "officer": anytown.user(Role.CLP_OFFICER),
    }[who]
    client.force_login(user)
    url = reverse("privacy_notice_edit", args=[anytown.constituency.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, DETAILS).status_code == 404
    assert not PrivacyNotice.objects.exists()


# --- The line read out, and the links -----------------------------------------------------------------

SCRIPT = "We're from Labour; we keep a note of what you tell us — you can ask us for it or to delete it:"


def _shows_script(response, clp):
    html = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT in html
    assert f"/p/{clp.constituency.gss_code}" in html
    assert reverse("privacy_notice", args=[clp.constituency.gss_code]) in html


def test_the_script_is_on_the_canvassing_page(client, anytown):
    canvasser = anytown.user(Role.CANVASSER)
    campaign = campaign_with_survey(anytown.constituency)
    pack = PackFactory(walk_list=WalkListFactory(campaign=campaign), assigned_to=canvasser)
    client.force_login(canvasser)
    _shows_script(client.get(reverse("campaigns:pack_canvass", args=[pack.pk])), anytown)


def test_the_script_is_on_the_phone_bank_page(client, anytown):
    caller = anytown.user(Role.CANVASSER)
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    entry = call_claim_next(call_list=call_list, user=caller)
    client.force_login(caller)
    _shows_script(client.get(reverse("campaigns:call", args=[entry.pk])), anytown)


def test_the_script_is_on_the_telling_page(client, anytown):
    day = polling_day(anytown)
    teller = anytown.user(Role.TELLER)
    client.force_login(teller)
    _shows_script(client.get(reverse("gotv:telling_box", args=[day.election.pk, day.box.pk])), anytown)


def test_every_member_email_links_the_notice(anytown, settings):
    send = EmailSendFactory(constituency=anytown.constituency)
    template = email_template(send)
    url = f"{settings.SITE_URL}/privacy/{anytown.constituency.gss_code}/"
    assert f"How we use your information: {url}" in template.text
    assert f'<a href="{url}">How we use your information</a>' in template.html


def test_the_members_own_page_links_the_notice(client, anytown):
    member = MemberFactory(constituency=anytown.constituency, user=anytown.user(Role.CANVASSER))
    client.force_login(member.user)
    html = client.get(reverse("members:me")).content.decode()
    assert reverse("privacy_notice", args=[anytown.constituency.gss_code]) in html
