"""The webhook pages and who may subscribe to what."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from labourhub import scoping, scoping_sql
from labourhub.models import Role
from labourhub.scoping import Action
from labourhub.webhooks import services
from labourhub.webhooks.models import Attempt, Delivery, EventType, Subscription
from tests.webhooks.factories import subscribe, subscription_made

pytestmark = pytest.mark.django_db


def test_an_officer_subscribes_and_sees_the_secret_once(client, anytown, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("webhooks:new"),
        {
            "constituency": anytown.constituency.pk,
            "name": "Anytown CRM",
            "url": "https://crm.anytown.example/hook",
            "event_types": ["contact.recorded", "member.joined"],
        },
    )
    assert response.status_code == 200, response.content
    subscription = Subscription.unscoped.get()
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert services.secret_read(subscription) == secret
    assert subscription.event_types == ["contact.recorded", "member.joined"]
    detail = client.get(reverse("webhooks:detail", args=[subscription.pk]))
    assert detail.status_code == 200
    assert "Anytown CRM" in detail.content.decode() and secret not in detail.content.decode()
    assert "Anytown CRM" in client.get(reverse("webhooks:list")).content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://crm.example/hook", "https://"), ("https://127.0.0.1/hook", "private or local")],
)
def test_a_bad_address_is_a_clear_error_not_a_500(client, anytown, url, message):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("webhooks:new"),
        {
            "constituency": anytown.constituency.pk,
            "name": "x",
            "url": url,
            "event_types": ["contact.recorded"],
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscription.unscoped.exists()


def test_another_clp_cannot_be_chosen(client, anytown, otherton, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.post(
        reverse("webhooks:new"),
        {
            "constituency": otherton.constituency.pk,
            "name": "x",
            "url": "https://crm.example/hook",
            "event_types": ["contact.recorded"],
        },
    )
    assert response.status_code == 400
    assert not Subscription.unscoped.exists()


def test_canvassers_and_tellers_have_no_webhooks(client, anytown):
    for role in (Role.CANVASSER, Role.TELLER):
        client.force_login(anytown.user(role))
        assert client.get(reverse("webhooks:list")).status_code == 403
        assert services.event_types_allowed(anytown.user(role), anytown.constituency) == []


def test_another_clps_officer_cannot_see_or_change_a_subscription(client, anytown, otherton):
    subscription = subscription_made(anytown)
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 404
    for name in ("pause", "test", "delete"):
        assert client.post(reverse(f"webhooks:{name}", args=[subscription.pk])).status_code == 404
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.ACTIVE
    assert not Delivery.unscoped.exists()
    assert "Anytown" not in client.get(reverse("webhooks:list")).content.decode()


def test_pause_resume_test_and_delete(client, anytown):
    subscription = subscription_made(anytown)
    client.force_login(anytown.user(Role.CLP_OFFICER))
    client.post(reverse("webhooks:pause", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.PAUSED
    client.post(reverse("webhooks:resume", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert (subscription.state, subscription.owner) == (
        Subscription.State.ACTIVE,
        anytown.user(Role.CLP_OFFICER),
    )
    client.post(reverse("webhooks:test", args=[subscription.pk]))
    delivery = Delivery.unscoped.get()
    assert delivery.event_type == EventType.PING
    Attempt.unscoped.create(delivery=delivery, at=timezone.now(), status_code=418, excerpt="I'm a teapot")
    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert "418" in page and "a teapot" in page
    client.post(reverse("webhooks:delete", args=[subscription.pk]))
    assert not Subscription.unscoped.exists() and not Delivery.unscoped.exists()


def test_an_event_type_needs_the_action_that_sees_its_data(anytown, monkeypatch, settings):
    """The table is the role table: take VIEW_MEMBERS from organisers and member events go from them."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    organiser = anytown.user(Role.ORGANISER)
    assert set(services.event_types_allowed(organiser, anytown.constituency)) == {
        t for t in EventType if t != EventType.PING
    }
    subscription, _ = subscribe(
        anytown, "https://crm.example/hook", [EventType.MEMBER_JOINED], role=Role.ORGANISER
    )
    monkeypatch.setitem(scoping.ROLES_FOR, Action.VIEW_MEMBERS, {Role.CLP_SECRETARY})
    monkeypatch.setattr(scoping_sql, "_templates", {})  # the rule is compiled once per process: afresh
    allowed = services.event_types_allowed(organiser, anytown.constituency)
    assert EventType.MEMBER_JOINED not in allowed and EventType.CONTACT_RECORDED in allowed
    with pytest.raises(ValidationError, match="member.joined"):
        subscribe(anytown, "https://crm.example/hook", [EventType.MEMBER_JOINED], role=Role.ORGANISER)
    # And the subscription made before stops at its next send.
    now = timezone.now()
    delivery = Delivery.unscoped.create(
        subscription=subscription,
        event_type=EventType.MEMBER_JOINED,
        event_id="00000000-0000-0000-0000-000000000001",
        occurred_at=now,
        next_attempt_at=now,
        payload={},
    )
    assert services.delivery_send(delivery_id=delivery.pk) == Delivery.State.STOPPED


def test_private_addresses_are_refused_unless_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "http://localhost:8000/hook",
        "https://localhost/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://user:pw@8.8.8.8/hook",
        "ftp://8.8.8.8/hook",
    ):
        assert services.url_problem(url), url
    assert services.url_problem("https://8.8.8.8/hook") is None
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert services.url_problem("http://localhost:8000/hook") is None
    assert services.url_problem("http://crm.example/hook") == "url: the address must start with https://"


def test_the_home_page_links_webhooks_for_organisers_only(client, anytown):
    client.force_login(anytown.user(Role.ORGANISER))
    assert reverse("webhooks:list") in client.get("/").content.decode()
    client.force_login(anytown.user(Role.CANVASSER))
    assert reverse("webhooks:list") not in client.get("/").content.decode()
