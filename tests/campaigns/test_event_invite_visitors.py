"""Inviting other CLPs' volunteers willing to help (issue 17, item 2, mutual aid): Anytown's event is
open to Otherton; Anytown asks, Otherton's secretary approves and sends it as Otherton's own email
to Otherton's willing volunteers. Anytown sees how many it reached, never who, until they sign up."""

import email

from django.urls import reverse

from campaigns.models import Event, EventInvitation
from labourhub.models import Role
from members import services
from members.models import EmailBatch, EmailSend
from tests.campaigns.event_factories import event_with_shift
from tests.factories import UserFactory
from tests.members.factories import MemberFactory, VolunteerFactory


def _othertonian(otherton, name, *, willing, user=None):
    member = MemberFactory(
        constituency=otherton.constituency,
        first_name=name,
        last_name="Othertonian",
        email=f"{name.lower()}@otherton.example",
        postcode="OT9 9ZZ",
        user=user,
    )
    VolunteerFactory(member=member, skills=["canvassing"], help_other_clps=willing)
    return member


def _anytown_pages(client, anytown, event, send=None):
    """Everything Anytown's secretary can open about the event and its invitations."""
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    pages = [
        client.get(reverse("campaigns:event", args=[event.pk])),
        client.get(reverse("campaigns:event_invite", args=[event.pk])),
        client.get(reverse("campaigns:event_reports")),
    ]
    text = "".join(page.text for page in pages)
    csv = client.get(reverse("campaigns:event_reports_csv"), {"part": "invitations"})
    text += b"".join(csv.streaming_content).decode()
    if send is not None:
        assert client.get(reverse("members:email_detail", args=[send.pk])).status_code in (403, 404)
    return text


def test_another_clps_willing_volunteers_are_invited_through_their_own_secretary(
    client, anytown, otherton, smtp_server
):
    event, shift = event_with_shift(
        anytown.constituency, title="Target seat Saturday", visibility=Event.Visibility.MEMBERS
    )
    event.visiting_constituencies.set([otherton.constituency])
    olive = _othertonian(otherton, "Olive", willing=True, user=UserFactory(email="olive@otherton.example"))
    _othertonian(otherton, "Oscar", willing=False)

    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("campaigns:event_invite", args=[event.pk]))
    assert "Ask the CLPs it is open to" in page.text and "Otherton" in page.text
    body = page.context["ask"].initial["body"]
    response = client.post(
        reverse("campaigns:event_invite", args=[event.pk]),
        {"part": "ask", "ask-subject": "Help us in Anytown", "ask-body": body},
    )
    assert response.status_code == 302
    invitation = EventInvitation.unscoped.get()
    assert (invitation.constituency, invitation.state, invitation.send) == (
        otherton.constituency,
        "asked",
        None,
    )

    # Anytown cannot answer its own request to Otherton; Otherton's canvassers cannot either.
    answer = reverse("campaigns:invitation_requests")
    assert client.post(answer, {"invitation": invitation.pk, "action": "approve"}).status_code == 404
    client.force_login(otherton.user(Role.CANVASSER))
    assert client.get(answer).status_code == 403

    # Otherton's secretary approves: a draft email of Otherton to its own willing volunteers.
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert "Target seat Saturday" in client.get(answer).text
    response = client.post(answer, {"invitation": invitation.pk, "action": "approve"})
    invitation.refresh_from_db()
    send = invitation.send
    assert response["Location"] == reverse("members:email_detail", args=[send.pk])
    assert (send.constituency, send.state, invitation.state) == (otherton.constituency, "draft", "drafted")
    start = reverse("members:email_start", args=[send.pk])
    assert "Send to 1 member in Otherton" in client.post(start, {"when": ""}).text
    client.post(start, {"when": "", "confirmed_count": "1"})
    services.email_send_plan(send_id=send.pk)
    for batch in EmailBatch.objects.filter(send=send):
        services.email_batch_send(batch_id=batch.pk)
    assert smtp_server.recipients() == [olive.email]

    # Anytown sees how many it reached, never who.
    text = _anytown_pages(client, anytown, event, send)
    for secret in ("Olive", "Oscar", "Othertonian", "@otherton.example", olive.postcode):
        assert secret not in text, secret
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    (row,) = client.get(reverse("campaigns:event_reports")).context["turnout"]
    assert (row.invited, row.signed_up) == (1, 0) and "volunteers of Otherton" in row.audience

    # Olive signs up with one tap: now Anytown knows her, because she told them.
    client.force_login(olive.user)
    assert client.post(reverse("campaigns:member_signup", args=[shift.pk])).status_code == 302
    assert "Olive" in _anytown_pages(client, anytown, event)
    (row,) = client.get(reverse("campaigns:event_reports")).context["turnout"]
    assert (row.invited, row.signed_up) == (1, 1)


def test_a_declined_request_sends_nothing_and_is_not_asked_twice_while_open(client, anytown, otherton):
    event, _ = event_with_shift(anytown.constituency, title="Target seat Saturday")
    event.visiting_constituencies.set([otherton.constituency])
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    url = reverse("campaigns:event_invite", args=[event.pk])
    data = {"part": "ask", "ask-subject": "Help us", "ask-body": "Hello {{first_name}}"}
    client.post(url, data)
    client.post(url, data)
    invitation = EventInvitation.unscoped.get()  # one open request per CLP
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    client.post(reverse("campaigns:invitation_requests"), {"invitation": invitation.pk, "action": "decline"})
    invitation.refresh_from_db()
    assert invitation.state == "declined" and not EmailSend.unscoped.exists()
    bad = client.post(url, {"part": "ask", "ask-subject": "Hi {{nickname}}", "ask-body": "x"})
    assert bad.status_code == 404  # Otherton's secretary may not ask on Anytown's event: not theirs
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    bad = client.post(url, {"part": "ask", "ask-subject": "Hi {{nickname}}", "ask-body": "x"})
    assert bad.status_code == 400 and "nickname" in bad.text


def test_the_asked_clps_secretary_is_emailed_with_a_link_to_answer_and_nobody_else_is(
    client, anytown, otherton, smtp_server
):
    from access.models import Notification
    from access.services import notification_send

    event, _ = event_with_shift(anytown.constituency, title="Target seat Saturday")
    event.visiting_constituencies.set([otherton.constituency])
    secretary = otherton.user(Role.CLP_SECRETARY)
    otherton.user(Role.CLP_OFFICER)  # may answer too; its home page counts it, the secretary is emailed
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("campaigns:event_invite", args=[event.pk])).text
    assert "Ask Otherton</button>" in page
    url = reverse("campaigns:event_invite", args=[event.pk])
    client.post(url, {"part": "ask", "ask-subject": "Help us", "ask-body": "Hello {{first_name}}"})
    (notice,) = Notification.objects.all()
    assert notice.to == secretary and "Target seat Saturday" in notice.subject
    assert notification_send(notification_id=notice.pk) is True
    assert smtp_server.recipients() == [secretary.email]
    message = email.message_from_bytes(smtp_server.messages[0]["data"])
    assert "Anytown" in message["Subject"]
    assert reverse("campaigns:invitation_requests") in message.get_payload(decode=True).decode()
    client.post(url, {"part": "ask", "ask-subject": "Help us", "ask-body": "Hello {{first_name}}"})
    assert Notification.objects.count() == 1  # still waiting for an answer: not asked, nor emailed, twice
