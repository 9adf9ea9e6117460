"""Invitations to an event (issue 17, item 2): a filtered audience of the CLP's members and
volunteers, through the member email engine (its weekly cap, its count and confirmation, its
sending), received over a real SMTP server."""

import email
import email.policy

from django.urls import reverse

from labourhub.models import Role
from members import services
from members.models import EmailBatch, EmailSend
from tests.campaigns.event_factories import event_with_shift
from tests.members.conftest import make_send
from tests.members.factories import MemberFactory, VolunteerFactory


def _volunteer(anytown, name, **fields):
    member = MemberFactory(
        constituency=anytown.constituency, first_name=name, email=f"{name.lower()}@anytown.example"
    )
    VolunteerFactory(member=member, **fields)
    return member


def test_an_invitation_reaches_the_chosen_volunteers_once_asked_and_under_the_cap(
    anytown, client, smtp_server
):
    event, _ = event_with_shift(anytown.constituency, title="Anytown target-seat Saturday")
    ann = _volunteer(
        anytown, "Ann", skills=["canvassing"], availability=["sat_daytime"], help_other_clps=True
    )
    _volunteer(anytown, "Bob", skills=["canvassing"], availability=["mon_evening"], help_other_clps=True)
    _volunteer(anytown, "Cat", skills=["driving"], availability=["sat_daytime"], help_other_clps=True)
    _volunteer(anytown, "Dan", skills=["canvassing"], availability=["sat_daytime"], help_other_clps=False)
    eve = _volunteer(
        anytown, "Eve", skills=["canvassing"], availability=["sat_daytime"], help_other_clps=True
    )
    MemberFactory(constituency=anytown.constituency, first_name="Fay")  # a member, not a volunteer
    for _ in range(3):  # Eve has had three CLP emails this week: the cap skips her
        send = make_send(anytown, audience={"q": "eve@anytown.example"})
        services.email_send_plan(send_id=send.pk)
        EmailSend.unscoped.filter(pk=send.pk).update(state=EmailSend.State.DONE)
    smtp_server.messages.clear()

    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(secretary)
    page = client.get(reverse("campaigns:event_invite", args=[event.pk]))
    assert "Anytown target-seat Saturday" in page.text and "willing to help other CLPs" in page.text
    response = client.post(
        reverse("campaigns:event_invite", args=[event.pk]),
        {
            "subject": "Join us: Saturday",
            "body": page.context["form"].initial["body"],
            "frequency_cap": "3",
            "skills": ["canvassing", "leafleting"],
            "availability": ["sat_daytime"],
            "help_other_clps": "on",
        },
    )
    send = EmailSend.unscoped.get(subject="Join us: Saturday")
    assert response["Location"] == reverse("members:email_detail", args=[send.pk])
    assert send.state == EmailSend.State.DRAFT  # nothing goes before the organiser confirms
    detail = client.get(response["Location"]).text
    assert "<strong>2</strong> members" in detail  # Ann and Eve, before the weekly cap

    # A bulk send asks first: the first press shows the count in words, the second sends.
    start = reverse("members:email_start", args=[send.pk])
    ask = client.post(start, {"when": ""})
    assert "Send to 2 members in Anytown" in ask.text and "willing to help other CLPs" in ask.text
    send.refresh_from_db()
    assert send.state == EmailSend.State.DRAFT
    client.post(start, {"when": "", "confirmed_count": "2"})
    send.refresh_from_db()
    assert send.state == EmailSend.State.SENDING

    services.email_send_plan(send_id=send.pk)  # what the worker runs, in this process
    for batch in EmailBatch.objects.filter(send=send):
        services.email_batch_send(batch_id=batch.pk)
    send.refresh_from_db()
    assert (send.planned_count, send.skipped_by_cap) == (1, 1)
    received = [
        email.message_from_bytes(m["data"], policy=email.policy.default) for m in smtp_server.messages
    ]
    assert [m["To"] for m in received] == [ann.email]
    assert eve.email not in smtp_server.recipients()
    text = received[0].get_body(("plain",)).get_content()
    assert "Hello Ann" in text and reverse("campaigns:event_public", args=[event.token]) in text


def test_an_organiser_who_may_not_email_members_cannot_invite(anytown, client):
    event, _ = event_with_shift(anytown.constituency)
    client.force_login(anytown.user(Role.ORGANISER))
    assert client.get(reverse("campaigns:event_invite", args=[event.pk])).status_code == 403
    assert (
        client.post(reverse("campaigns:event_invite", args=[event.pk]), {"subject": "x"}).status_code == 403
    )
    assert not EmailSend.unscoped.exists()


def test_a_bad_merge_field_is_shown_not_a_500(anytown, client):
    event, _ = event_with_shift(anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("campaigns:event_invite", args=[event.pk]),
        {"subject": "Hi {{nickname}}", "body": "Come", "frequency_cap": "3"},
    )
    assert response.status_code == 400 and "nickname" in response.text
    assert not EmailSend.unscoped.exists()
