"""The secretary's pages, the member's own page, and scoping of both."""

import csv
import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from labourhub.models import AuditEvent, Role
from members import importers
from members.models import EmailSend, Member, MemberImport
from tests.factories import RegionFactory
from tests.members.factories import EmailSendFactory, MemberFactory, VolunteerFactory


def test_member_list_filters_and_keeps_a_fixed_number_of_queries(
    client, anytown, anytown_secretary, django_assert_max_num_queries
):
    for n in range(30):
        MemberFactory(constituency=anytown.constituency, status="arrears" if n % 3 else "current")
    client.force_login(anytown_secretary)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("members:list"), {"status": "arrears"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 20
    page = response.content.decode()
    shown = list(response.context["page"])
    assert shown and all(escape(m.last_name) in page for m in shown)  # the rows are on the page


def test_other_clps_members_are_not_listed_or_opened(client, anytown, otherton_secretary):
    member = MemberFactory(constituency=anytown.constituency)
    client.force_login(otherton_secretary)
    assert b"Anytown" not in client.get(reverse("members:list")).content
    assert client.get(reverse("members:detail", args=[member.pk])).status_code == 404


def test_canvasser_may_not_see_members(client, anytown, anytown_canvasser):
    client.force_login(anytown_canvasser)
    assert client.get(reverse("members:list")).status_code == 403


def test_html_in_a_name_is_escaped_on_the_pages(client, anytown, anytown_secretary):
    member = MemberFactory(constituency=anytown.constituency, first_name="<script>alert(1)</script>")
    client.force_login(anytown_secretary)
    for url in (reverse("members:list"), reverse("members:detail", args=[member.pk])):
        body = client.get(url).content
        assert b"<script>alert(1)" not in body and b"&lt;script&gt;alert(1)" in body


def test_csv_export_escapes_formulas_and_is_audited(client, anytown, anytown_secretary):
    MemberFactory(constituency=anytown.constituency, first_name="=HYPERLINK(1)", last_name="Anytownson")
    client.force_login(anytown_secretary)
    response = client.get(reverse("members:export"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][2] == "'=HYPERLINK(1)"
    event = AuditEvent.objects.get(action="members.export")
    assert event.detail["rows"] == 1 and event.user == anytown_secretary


def test_letters_list_members_with_no_email_and_an_address(client, anytown, anytown_secretary):
    MemberFactory(
        constituency=anytown.constituency, first_name="Nomail", email="", address_line1="1 Anytown Rd"
    )
    MemberFactory(constituency=anytown.constituency, first_name="Hasmail")
    client.force_login(anytown_secretary)
    response = client.get(reverse("members:letters"), {"letter": "Dear {{first_name}}, hello."})
    assert b"Dear Nomail, hello." in response.content and b"Hasmail" not in response.content
    bad = client.get(reverse("members:letters"), {"letter": "Dear {{nickname}}"})
    assert b"unknown merge field" in bad.content


def test_membership_chart_counts_members_by_month(client, anytown, anytown_secretary):
    MemberFactory(constituency=anytown.constituency)
    client.force_login(anytown_secretary)
    response = client.get(reverse("members:chart"))
    assert response.status_code == 200
    assert response.context["chart"]["members"][-1] == 1


def test_volunteer_search_reaches_region_only_for_those_who_said_yes(
    client, anytown, otherton, anytown_secretary
):
    VolunteerFactory(
        member=MemberFactory(constituency=anytown.constituency, first_name="Local"), skills=["video"]
    )
    VolunteerFactory(
        member=MemberFactory(
            constituency=otherton.constituency, first_name="Willing", last_name="Othertonian"
        ),
        skills=["video"],
        help_other_clps=True,
    )
    VolunteerFactory(
        member=MemberFactory(
            constituency=otherton.constituency, first_name="Private", last_name="Othertonian"
        ),
        skills=["video"],
    )
    RegionFactory(code="E15000098")
    client.force_login(anytown_secretary)
    names = lambda r: {v.member.first_name for v in r.context["page"]}  # noqa: E731
    assert names(client.get(reverse("members:volunteers"), {"skill": "video"})) == {"Local"}
    assert names(client.get(reverse("members:volunteers"), {"skill": "video", "region": "on"})) == {
        "Local",
        "Willing",
    }


def test_compose_refuses_an_unknown_merge_field_and_saves_nothing(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    response = client.post(
        reverse("members:email_new"),
        {
            "constituency": anytown.constituency.pk,
            "subject": "Hi",
            "body": "Dear {{nick}}",
            "frequency_cap": 3,
        },
    )
    assert b"unknown merge field {{nick}}" in response.content
    assert not EmailSend.unscoped.exists()


def test_compose_preview_and_send(
    client, anytown, anytown_secretary, anytown_members, django_capture_on_commit_callbacks
):
    client.force_login(anytown_secretary)
    response = client.post(
        reverse("members:email_new"),
        {
            "constituency": anytown.constituency.pk,
            "subject": "Hi {{first_name}}",
            "body": "Dear **{{first_name}}**",
            "frequency_cap": 3,
            "q": "Anytownley",
        },
    )
    send = EmailSend.unscoped.get()
    assert send.audience == {"q": "Anytownley"}
    page = client.get(response.url)
    assert page.context["audience_count"] == 1
    assert b"Dear <strong>Ann</strong>" in page.content
    # Issue #14 item 3: "Send" asks first, with the count and the audience in words; nothing starts.
    start = reverse("members:email_start", args=[send.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        asked = client.post(start)
    assert "Send to 1 member in Anytown (matching “Anytownley”)?" in asked.content.decode()
    send.refresh_from_db()
    assert send.state == EmailSend.State.DRAFT and not callbacks
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(start, {"confirmed_count": 1})
    send.refresh_from_db()
    assert send.state == EmailSend.State.SENDING and len(callbacks) == 1
    progress = client.get(reverse("members:email_progress", args=[send.pk]))
    assert b"<progress" not in progress.content or b"hx-get" in progress.content


def test_import_upload_map_and_report(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    data = b"Member No,First,Surname\r\nA100001,Ann,Anytownley\r\n"
    response = client.post(
        reverse("members:import_upload"),
        {"constituency": anytown.constituency.pk, "file": SimpleUploadedFile("export.csv", data)},
    )
    member_import = MemberImport.unscoped.get()
    page = client.get(response.url)
    assert page.status_code == 200
    client.post(
        response.url,
        {
            "mapping_name": "Party export",
            "col_membership_number": "Member No",
            "col_first_name": "First",
            "col_last_name": "Surname",
        },
    )
    importers.member_import_run(import_id=member_import.pk)  # what the worker does
    report = client.get(reverse("members:import_detail", args=[member_import.pk]))
    assert b"1 added, 0 changed, 0 unchanged" in report.content
    assert Member.unscoped.get().last_name == "Anytownley"


def test_member_sees_changes_consents_and_downloads_their_record(client, anytown):
    user = anytown.user(Role.CANVASSER)
    member = MemberFactory(constituency=anytown.constituency, user=user, consent_email=True)
    client.force_login(user)
    assert client.get(reverse("members:me")).context["member"] == member
    client.post(reverse("members:me"), {"part": "consent", "channel": "email", "granted": "no"})
    member.refresh_from_db()
    assert member.consent_email is False and member.consents.get().source == "member page"
    client.post(
        reverse("members:me"), {"part": "volunteer", "skills": ["driving", "data"], "other_skills": "Polish"}
    )
    data = json.loads(client.get(reverse("members:me_download")).content)
    assert data["member"]["membership_number"] == member.membership_number
    assert data["volunteer"]["skills"] == ["data", "driving"]
    assert data["consents"][0]["granted"] is False


def test_email_report_of_another_clp_is_404(client, anytown, otherton_secretary):
    send = EmailSendFactory(constituency=anytown.constituency)
    client.force_login(otherton_secretary)
    assert client.get(reverse("members:email_detail", args=[send.pk])).status_code == 404


def test_contact_them_opens_an_email_to_the_filtered_members(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    page = client.get(reverse("members:list"), {"status": "arrears"})
    assert b"/members/email/new/?status=arrears" in page.content
    compose = client.get(reverse("members:email_new"), {"status": "arrears"})
    assert compose.context["audience"]["status"].value() == "arrears"


def test_send_confirmed_for_a_count_that_has_changed_asks_again(client, anytown, anytown_secretary):
    """The confirmation is for the count shown: if the audience grew meanwhile, the sender is asked
    again with the new count, and nothing starts."""
    from tests.members.conftest import make_send

    MemberFactory(constituency=anytown.constituency, status="lapsed")
    send = make_send(anytown, audience={"status": "lapsed"})
    EmailSend.unscoped.filter(pk=send.pk).update(state=EmailSend.State.DRAFT)
    MemberFactory(constituency=anytown.constituency, status="lapsed")
    client.force_login(anytown_secretary)
    asked = client.post(reverse("members:email_start", args=[send.pk]), {"confirmed_count": 1})
    page = asked.content.decode()
    assert "Send to 2 lapsed members in Anytown?" in page and "it is now 2" in page
    send.refresh_from_db()
    assert send.state == EmailSend.State.DRAFT


def test_an_email_nobody_would_get_offers_no_send(client, anytown, anytown_secretary):
    from tests.members.conftest import make_send

    send = make_send(anytown, audience={"status": "lapsed"})
    EmailSend.unscoped.filter(pk=send.pk).update(state=EmailSend.State.DRAFT)
    client.force_login(anytown_secretary)
    page = client.post(reverse("members:email_start", args=[send.pk])).content.decode()
    assert "Nobody would get it" in page and "Yes, send" not in page


def test_a_member_changing_their_own_consent_is_audited(client, anytown):
    """Issue #12 item 4: neither the member page nor the service audited a member's own consent change."""
    user = anytown.user(Role.CANVASSER)
    member = MemberFactory(constituency=anytown.constituency, user=user, consent_email=True)
    client.force_login(user)
    client.post(reverse("members:me"), {"part": "consent", "channel": "email", "granted": "no"})
    member.refresh_from_db()
    assert member.consent_email is False
    event = AuditEvent.objects.get(action="members.consent")
    assert (event.user, event.object_id, event.constituency) == (user, str(member.pk), anytown.constituency)
    assert event.detail == {"channel": "email", "granted": False, "source": "member page"}


def test_an_officer_recording_consent_is_audited_once(client, anytown, anytown_secretary):
    member = MemberFactory(constituency=anytown.constituency, consent_sms=False)
    client.force_login(anytown_secretary)
    data = {"channel": "sms", "granted": "yes", "wording": "Said yes on the phone"}
    client.post(reverse("members:detail", args=[member.pk]), data)
    event = AuditEvent.objects.get(action="members.consent")
    assert event.user == anytown_secretary and event.detail == {
        "channel": "sms",
        "granted": True,
        "source": "officer",
    }


def test_a_member_page_consent_for_an_unknown_channel_says_so_and_changes_nothing(client, anytown):
    user = anytown.user(Role.CANVASSER)
    MemberFactory(constituency=anytown.constituency, user=user, consent_email=True)
    client.force_login(user)
    response = client.post(
        reverse("members:me"), {"part": "consent", "channel": "pigeon", "granted": "no"}, follow=True
    )
    assert "not a way we contact members" in response.content.decode()
    assert not AuditEvent.objects.filter(action="members.consent").exists()
