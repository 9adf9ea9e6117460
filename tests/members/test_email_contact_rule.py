"""The contact-frequency rule (voters.contact_rule) on member email and letters: a member matched to
an elector contacted inside the CLP's quiet period for the channel is skipped, and the skipped count
is shown where the contact is planned (the confirmation page, the send's report, the letters page)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from labourhub.models import Role
from members import services
from members.models import EmailBatch, EmailSend
from tests.members.conftest import make_send
from tests.members.factories import MemberFactory
from tests.voters.factories import ElectorFactory
from voters.services import contact_record, contact_rule_set

pytestmark = pytest.mark.django_db


def _elector(anytown, surname, days_ago=None):
    """An Anytown elector, last contacted `days_ago` (never when None)."""
    elector = ElectorFactory(
        polling_district=anytown.polling_district,
        home__polling_district=anytown.polling_district,
        surname=surname,
    )
    if days_ago is not None:
        contact_record(
            elector=elector,
            channel="door",
            user=anytown.user(Role.CANVASSER),
            at=timezone.now() - timedelta(days=days_ago),
        )
    return elector


@pytest.fixture
def matched(anytown):
    """Ann: matched to an elector knocked 2 days ago; Bob: knocked 20 days ago; Cat: not matched."""
    make = MemberFactory
    return {
        "ann": make(constituency=anytown.constituency, first_name="Ann",
                    elector=_elector(anytown, "Anytownley", days_ago=2)),
        "bob": make(constituency=anytown.constituency, first_name="Bob",
                    elector=_elector(anytown, "Anytownby", days_ago=20)),
        "cat": make(constituency=anytown.constituency, first_name="Cat"),
    }  # fmt: skip


@pytest.fixture
def email_rule(anytown):
    contact_rule_set(
        constituency=anytown.constituency,
        channel="email",
        quiet_days=7,
        user=anytown.user(Role.CLP_SECRETARY),
    )


def test_a_send_skips_members_whose_elector_was_contacted_in_the_quiet_period(anytown, matched, email_rule):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    send.refresh_from_db()
    assert set(send.recipients.values_list("member__first_name", flat=True)) == {"Bob", "Cat"}
    assert (send.planned_count, send.skipped_by_rule, send.quiet_days) == (2, 1, 7)
    for batch in EmailBatch.objects.filter(send=send):
        services.email_batch_send(batch_id=batch.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([matched["bob"].email, matched["cat"].email])


def test_with_no_quiet_period_for_email_nobody_is_skipped(anytown, matched):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    send.refresh_from_db()
    assert (send.planned_count, send.skipped_by_rule) == (3, 0)


def test_another_clps_rule_does_not_apply(anytown, otherton, matched):
    contact_rule_set(
        constituency=otherton.constituency,
        channel="email",
        quiet_days=30,
        user=otherton.user(Role.CLP_SECRETARY),
    )
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    send.refresh_from_db()
    assert send.skipped_by_rule == 0


def test_the_confirmation_counts_only_who_it_reaches_and_says_who_was_skipped(
    client, anytown, anytown_secretary, matched, email_rule
):
    send = make_send(anytown)
    EmailSend.unscoped.filter(pk=send.pk).update(state=EmailSend.State.DRAFT)
    client.force_login(anytown_secretary)
    detail = client.get(reverse("members:email_detail", args=[send.pk]))
    assert detail.context["audience_count"] == 2
    assert "1 member skipped: contacted in the last 7 days" in detail.content.decode()
    start = reverse("members:email_start", args=[send.pk])
    page = client.post(start).content.decode()
    assert "Send to 2 members in Anytown?" in page
    assert "1 member skipped: contacted in the last 7 days" in page
    client.post(start, {"confirmed_count": 2})  # the count confirmed is the count reached
    send.refresh_from_db()
    assert send.state == EmailSend.State.SENDING


def test_the_send_report_shows_who_the_rule_skipped(client, anytown, anytown_secretary, matched, email_rule):
    send = make_send(anytown)
    services.email_send_plan(send_id=send.pk)
    client.force_login(anytown_secretary)
    for name in ("members:email_progress", "members:email_detail"):
        page = client.get(reverse(name, args=[send.pk])).content.decode()
        assert '<th scope="row">Skipped: contacted in the last 7 days</th><td>1</td>' in page


def test_letters_skip_members_contacted_in_the_quiet_period_for_post(client, anytown, anytown_secretary):
    make = MemberFactory
    make(constituency=anytown.constituency, first_name="Rested", email="", address_line1="1 Anytown Rd",
         elector=_elector(anytown, "Anytownley", days_ago=3))  # fmt: skip
    make(constituency=anytown.constituency, first_name="Due", email="", address_line1="2 Anytown Rd",
         elector=_elector(anytown, "Anytownby", days_ago=40))  # fmt: skip
    make(constituency=anytown.constituency, first_name="Unmatched", email="", address_line1="3 Anytown Rd")
    client.force_login(anytown_secretary)
    letters = reverse("members:letters")
    page = client.get(letters, {"letter": "Dear {{first_name}}, hello."}).content.decode()
    assert "Dear Rested" in page  # no quiet period for post: nobody skipped
    contact_rule_set(constituency=anytown.constituency, channel="post", quiet_days=28, user=anytown_secretary)
    page = client.get(letters, {"letter": "Dear {{first_name}}, hello."}).content.decode()
    assert "Dear Rested" not in page and "Dear Due" in page and "Dear Unmatched" in page
    assert "1 member skipped: contacted in the last 28 days" in page
