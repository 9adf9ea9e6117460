"""Inbound correspondence pages: .eml upload (one or many files), the office's mailbox settings
(the password never shown back), attachments uploaded on the case page (type by content, size
limit, clear errors) and downloads, which re-check the case's visibility and are audited."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework import attachments, inbound
from casework.models import Case, Status, TimelineEntry
from casework.models_mail import Attachment, InboundMessage, OfficeMailbox
from labourhub.models import AuditEvent, Role
from tests.casework.factories import case_in
from tests.casework.mail import EXE, PDF, PNG, email_bytes

pytestmark = pytest.mark.django_db


def eml(name, raw):
    return SimpleUploadedFile(name, raw, content_type="message/rfc822")


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- .eml upload ----------------------------------------------------------------------------


def test_uploading_several_emls_files_each_and_says_what_happened(client, anytown, office):
    case = case_in(anytown)
    reply = email_bytes(subject=f"Re: {case.reference}", text="Reply by post too")
    client.force_login(office["worker"])
    url = reverse("casework:inbox", args=[office["office"].pk])
    response = client.post(
        url,
        {
            "files": [
                eml("reply.eml", reply),
                eml("new.eml", email_bytes(subject="Bins not collected", sender="cy@example.org")),
                eml("junk.eml", b"\x00\x01 not an email"),
                eml("again.eml", reply),
            ]
        },
    )
    assert response.status_code == 200
    results = {r["name"]: r for r in response.context["results"]}
    assert results["reply.eml"]["case"] == case
    new = Case.unscoped.get(summary="Bins not collected")
    assert results["new.eml"]["case"] == new and "opened a new case in triage" in results["new.eml"]["text"]
    assert (new.status, new.owner, new.email) == (Status.TRIAGE, office["worker"], "cy@example.org")
    assert "no email headers" in results["junk.eml"]["text"]
    assert "already taken in" in results["again.eml"]["text"]
    assert InboundMessage.unscoped.count() == 3
    page = response.content.decode()
    assert new.reference in page and "junk.eml" in page
    assert TimelineEntry.unscoped.get(case=case).author == office["worker"]


def test_a_sender_with_a_long_address_and_no_name_opens_a_case(client, office):
    address = "someone@" + ".".join(["averyveryverylongsubdomainpart"] * 7) + ".example.org"
    assert 200 < len(address) <= 254
    client.force_login(office["worker"])
    response = client.post(
        reverse("casework:inbox", args=[office["office"].pk]),
        {"files": [eml("l.eml", email_bytes(sender=address))]},
    )
    case = response.context["results"][0]["case"]
    assert case.email == address and case.name == address[:200]


def test_an_upload_over_the_size_limit_is_recorded_and_not_kept(settings, client, anytown, office):
    settings.CASEWORK_MAX_MESSAGE_BYTES = 2048
    client.force_login(office["worker"])
    raw = email_bytes(subject="All my scans", text="y" * 9000)
    response = client.post(
        reverse("casework:inbox", args=[office["office"].pk]), {"files": [eml("scans.eml", raw)]}
    )
    result = response.context["results"][0]
    assert "“All my scans”" in result["text"] and "over the limit of 2 KB" in result["text"]
    message = InboundMessage.unscoped.get()
    assert (message.state, message.raw_file, message.size) == (InboundMessage.State.REFUSED, "", len(raw))


def test_an_upload_with_no_file_is_a_clear_error(client, office):
    client.force_login(office["worker"])
    response = client.post(reverse("casework:inbox", args=[office["office"].pk]), {})
    assert response.status_code == 400 and "Choose one or more .eml files." in response.content.decode()


def test_a_reply_uploaded_by_an_own_cases_worker_does_not_show_them_the_case(client, anytown, office):
    case = case_in(anytown)  # the all-cases worker's, not theirs
    client.force_login(office["mine"])
    response = client.post(
        reverse("casework:inbox", args=[office["office"].pk]),
        {"files": [eml("r.eml", email_bytes(subject=f"Re: {case.reference}"))]},
    )
    result = response.context["results"][0]
    assert result["case"] is None and "a case of the office you do not work on" in result["text"]
    assert case.reference not in response.content.decode()
    assert TimelineEntry.unscoped.filter(case=case).count() == 1  # filed all the same


def test_the_inbox_is_for_the_office_s_caseworkers_only(client, anytown, otherton, office, other_office):
    url = reverse("casework:inbox", args=[office["office"].pk])
    for user in (other_office["worker"], anytown.user(Role.CLP_SECRETARY), anytown.user(Role.ORGANISER)):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"files": [eml("a.eml", email_bytes())]}).status_code == 404
    assert InboundMessage.unscoped.count() == 0


# --- The mailbox settings -------------------------------------------------------------------


def test_the_lead_connects_the_mailbox_and_the_password_is_never_shown(client, office):
    url = reverse("casework:mailbox", args=[office["office"].pk])
    client.force_login(office["lead"])
    data = {"host": "imap.example.org", "port": "993", "security": "ssl", "username": "office", "folder": "INBOX",
            "enabled": "on", "password": "s3cret-Pass"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    mailbox = OfficeMailbox.objects.get()
    assert "s3cret-Pass" not in mailbox.password_encrypted
    assert inbound.password_decrypt(mailbox.password_encrypted) == "s3cret-Pass"
    page = client.get(url).content.decode()
    assert "s3cret-Pass" not in page and "imap.example.org" in page and "A password is stored." in page
    # Saved again with the password left blank: the stored one stays.
    assert (
        client.post(url, {**data, "password": "", "port": "143", "security": "starttls"}).status_code == 302
    )
    mailbox.refresh_from_db()
    assert (mailbox.port, inbound.password_decrypt(mailbox.password_encrypted)) == (143, "s3cret-Pass")
    audit = AuditEvent.objects.filter(action="casework.mailbox_set").last()
    assert "s3cret" not in str(audit.detail)


def test_a_new_mailbox_needs_a_password_and_a_port_in_range(client, office):
    client.force_login(office["lead"])
    url = reverse("casework:mailbox", args=[office["office"].pk])
    response = client.post(
        url, {"host": "h", "port": "99999", "security": "ssl", "username": "u", "folder": "INBOX"}
    )
    assert response.status_code == 400 and "less than or equal to 65535" in response.content.decode()
    response = client.post(
        url, {"host": "h", "port": "993", "security": "ssl", "username": "u", "folder": "INBOX"}
    )
    assert response.status_code == 400 and "Enter the mailbox" in response.content.decode()
    assert not OfficeMailbox.objects.exists()


def test_only_the_lead_sees_the_mailbox_settings(client, anytown, office, other_office):
    url = reverse("casework:mailbox", args=[office["office"].pk])
    client.force_login(office["worker"])
    assert client.get(url).status_code == 403
    for user in (other_office["lead"], anytown.user(Role.CLP_SECRETARY)):
        client.force_login(user)
        assert client.get(url).status_code == 404


# --- Attachments on the case page -----------------------------------------------------------


def attach(client, case, name, data):
    return client.post(
        reverse("casework:case_attach", args=[case.pk]), {"file": SimpleUploadedFile(name, data)}, follow=True
    )


def test_a_caseworker_attaches_a_file_and_it_is_listed_on_the_case(client, anytown, office, casework_files):
    case = case_in(anytown)
    client.force_login(office["worker"])
    response = attach(client, case, "housing letter.pdf", PDF)
    assert "Attached." in messages_of(response)
    attachment = Attachment.unscoped.get()
    assert (attachment.case, attachment.kind, attachment.added_by) == (case, "pdf", office["worker"])
    assert (casework_files / attachment.stored_as).read_bytes() == PDF
    assert "housing letter.pdf" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="casework.attachment_add", detail__attachment=attachment.pk
    ).exists()


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("setup.exe", EXE, "“setup.exe” is not a type of file casework keeps"),
        ("letter.pdf", EXE, "“letter.pdf” is not a type of file casework keeps"),
        ("photo.pdf", PNG, "“photo.pdf” is named as a .pdf file but its content is a PNG image"),
        ("empty.txt", b"", "Nothing attached: The submitted file is empty."),
        (
            "page.html",
            b"<html><script>alert(1)</script></html>",
            "named as a .html file but its content is a Plain text",
        ),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_with_a_clear_error(client, anytown, office, name, data, error):
    case = case_in(anytown)
    client.force_login(office["worker"])
    response = attach(client, case, name, data)
    assert response.status_code == 400 and response.context["case"] == case
    assert any(error in m for m in messages_of(response)), messages_of(response)
    assert not Attachment.unscoped.exists()


def test_a_file_over_the_limit_is_refused(settings, client, anytown, office, casework_files):
    settings.CASEWORK_MAX_ATTACHMENT_BYTES = 1024
    case = case_in(anytown)
    client.force_login(office["worker"])
    response = attach(client, case, "scan.pdf", PDF + b"0" * 5000)
    assert any("“scan.pdf” is " in m and "over the limit of 1 KB" in m for m in messages_of(response))
    assert not Attachment.unscoped.exists() and not any(casework_files.rglob("*"))


def test_an_attachment_name_cannot_reach_outside_the_folder(client, anytown, office, casework_files):
    case = case_in(anytown)
    client.force_login(office["worker"])
    attach(client, case, "../../etc/passwd.txt", b"hello\n")
    attachment = Attachment.unscoped.get()
    assert attachment.filename == "passwd.txt" and (casework_files / attachment.stored_as).exists()
    with pytest.raises(ValueError, match="inside CASEWORK_FILES_DIR"):
        attachments.stored_path("../escape")


# --- Downloads: scoped, re-checked, audited -------------------------------------------------


def _download(client, attachment):
    return client.get(reverse("casework:attachment", args=[attachment.pk]))


def _stored(case, user, name="notes.txt", data=b"Anytown notes\n"):
    return attachments.attachment_add(case=case, filename=name, data=data, user=user)


def test_the_case_s_caseworkers_download_an_attachment_and_it_is_audited(client, anytown, office):
    case = case_in(anytown)
    attachment = _stored(case, office["worker"])
    for user in (office["worker"], office["lead"]):
        client.force_login(user)
        response = _download(client, attachment)
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"Anytown notes\n"
        assert (
            response["Content-Disposition"].startswith("attachment;")
            and "notes.txt" in response["Content-Disposition"]
        )
        assert response["Content-Type"].startswith("text/plain")
    events = AuditEvent.objects.filter(action="casework.attachment_download").order_by("pk")
    assert [e.user for e in events] == [office["worker"], office["lead"]]
    assert events[0].detail == {"case": case.pk, "office": case.office_id, "attachment": attachment.pk}
    assert "notes" not in str(events[0].detail)  # ids, never names


def test_an_attachment_is_refused_to_everyone_who_cannot_see_the_case(
    client, anytown, otherton, office, other_office
):
    case = case_in(anytown)  # the all-cases worker's; the own-cases worker is not on it
    attachment = _stored(case, office["worker"])
    outsiders = [
        other_office["worker"],  # a caseworker of another office
        other_office["lead"],
        anytown.user(Role.CLP_SECRETARY),  # campaign roles and officers of the same CLP
        anytown.user(Role.ORGANISER),
        anytown.user(Role.CANVASSER),
        office["mine"],  # a my-cases-only caseworker, on someone else's case
    ]
    for user in outsiders:
        client.force_login(user)
        assert _download(client, attachment).status_code in (403, 404), user
    client.logout()
    assert _download(client, attachment).status_code == 302  # to sign in
    assert not AuditEvent.objects.filter(action="casework.attachment_download").exists()


def test_a_sensitive_case_s_attachment_is_for_its_assignees_and_the_lead(client, anytown, office):
    case = case_in(anytown, owner=office["mine"], sensitive=True)
    attachment = _stored(case, office["mine"])
    client.force_login(office["worker"])  # sees all the office's cases, but not sensitive ones
    assert _download(client, attachment).status_code == 404
    for user in (office["mine"], office["lead"]):
        client.force_login(user)
        assert _download(client, attachment).status_code == 200
    assert AuditEvent.objects.filter(action="casework.attachment_download").count() == 2


def test_the_raw_message_follows_its_case_and_is_audited(client, anytown, office):
    case = case_in(anytown, owner=office["lead"], sensitive=True)
    raw = email_bytes(subject=f"Re: {case.reference}", text="private")
    message = inbound.message_file(
        office=office["office"], raw=raw, source="upload", user=office["lead"]
    ).message
    url = reverse("casework:message_raw", args=[message.pk])
    client.force_login(office["worker"])
    assert client.get(url).status_code == 404
    client.force_login(office["lead"])
    response = client.get(url)
    assert b"".join(response.streaming_content) == raw
    assert (
        AuditEvent.objects.filter(action="casework.message_download", detail__message=message.pk).count() == 1
    )


def test_an_unfiled_message_is_for_the_office_s_all_cases_members(client, anytown, office, other_office):
    message = inbound.message_file(
        office=office["office"], raw=b"garbage", source="upload", user=office["worker"]
    ).message
    assert message.state == InboundMessage.State.REFUSED
    url = reverse("casework:message_raw", args=[message.pk])
    for user, status in (
        (office["worker"], 200),
        (office["lead"], 200),
        (office["mine"], 404),
        (other_office["lead"], 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
