"""/api/v1/events/ (issue 18, item 1): events of the owner's CLPs with their shifts' fill, sign-ups
for organisers, and a sign-up made through the public sign-up's own service (consent, tombstones,
the webhook)."""

import pytest

from campaigns.models import Event, EventContact, Signup
from labourhub.api_v1.models import Scope
from labourhub.models import Grant, Role
from labourhub.privacy import tombstone_key
from labourhub.services import grant_revoke
from labourhub.webhooks.models import Delivery, EventType
from tests.api.conftest import bearer, make_token
from tests.campaigns.event_factories import booked, event_with_shift
from tests.webhooks.factories import subscription_made
from voters.models import Suppression

pytestmark = pytest.mark.usefixtures("generous_rate_limits")
EVENTS = "/api/v1/events/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _person(shift, **extra):
    return {
        "shift": shift.pk,
        "name": "Sam Anytownson",
        "email": "sam@anytown.example",
        "consent_email": True,
    } | extra


def test_events_with_shift_fill_as_the_owner_may_see_them(anytown, otherton):
    public, shift = event_with_shift(anytown.constituency)
    shift.minimum, shift.maximum = 1, 1
    shift.save(update_fields=["minimum", "maximum"])
    booked(shift)
    invited, _ = event_with_shift(anytown.constituency, visibility=Event.Visibility.INVITED)
    event_with_shift(otherton.constituency)
    organiser = bearer(make_token(anytown.user(Role.ORGANISER), [Scope.EVENTS_READ])[1])
    assert sorted(_ids(organiser.get(EVENTS))) == sorted([public.pk, invited.pk])
    row = organiser.get(f"{EVENTS}{public.pk}/").json()
    assert row["shifts"] == [
        {
            "id": shift.pk,
            "starts_at": row["shifts"][0]["starts_at"],
            "ends_at": row["shifts"][0]["ends_at"],
            "role": "canvasser",
            "minimum": 1,
            "maximum": 1,
            "booked": 1,
            "waiting": 0,
            "fill": "full",
        }
    ]
    assert "meeting_point" not in row  # shown to people booked only
    # A canvasser sees the CLP's public events, not an invited one, nor anyone's sign-ups.
    canvasser = bearer(make_token(anytown.user(Role.CANVASSER), [Scope.EVENTS_READ])[1])
    assert _ids(canvasser.get(EVENTS)) == [public.pk]
    assert canvasser.get(f"{EVENTS}{public.pk}/signups/").status_code == 404
    (signup,) = organiser.get(f"{EVENTS}{public.pk}/signups/").json()
    assert signup["status"] == "booked" and signup["shift"] == shift.pk
    stranger = bearer(make_token(otherton.user(Role.CLP_SECRETARY), [Scope.EVENTS_READ])[1])
    assert Event.unscoped.filter(constituency=otherton.constituency).count() == 1
    assert public.pk not in _ids(stranger.get(EVENTS))
    assert stranger.get(f"{EVENTS}{public.pk}/").status_code == 404
    assert stranger.get(f"{EVENTS}{public.pk}/signups/").status_code == 404


def test_a_sign_up_goes_through_the_public_sign_up_service_and_emits_its_webhook(anytown):
    event, shift = event_with_shift(anytown.constituency)
    subscription_made(anytown, events=(EventType.SIGNUP_CREATED,))
    token, secret = make_token(anytown.user(Role.ORGANISER), [Scope.EVENTS_WRITE])
    response = bearer(secret).post(f"{EVENTS}{event.pk}/signups/", _person(shift), format="json")
    assert response.status_code == 201, response.content
    signup = Signup.unscoped.select_related("contact").get(pk=response.json()["id"])
    assert (signup.status, signup.contact.email) == (Signup.Status.BOOKED, "sam@anytown.example")
    assert signup.contact.source == f"API client {token.pk}: {token.name}" and signup.contact.consent_email
    (delivery,) = Delivery.unscoped.filter(event_type=EventType.SIGNUP_CREATED)
    assert delivery.payload["data"]["signup_id"] == signup.pk


def test_no_consent_a_tombstone_or_a_stranger_stores_nothing(anytown, otherton):
    event, shift = event_with_shift(anytown.constituency)
    organiser = bearer(make_token(anytown.user(Role.ORGANISER), [Scope.EVENTS_WRITE])[1])
    url = f"{EVENTS}{event.pk}/signups/"
    no_consent = organiser.post(url, _person(shift, consent_email=False), format="json")
    assert no_consent.status_code == 422 and no_consent["Content-Type"] == "application/problem+json"
    assert no_consent.json()["errors"][0]["field"] == "consent_email"
    Suppression.unscoped.create(
        constituency=anytown.constituency,
        field=Suppression.Field.EMAIL,
        key=tombstone_key("erased@anytown.example"),
        kind=Suppression.Kind.ERASURE,
        reason="Erased on request",
    )
    erased = organiser.post(url, _person(shift, email="erased@anytown.example"), format="json")
    assert erased.status_code == 422
    bad = organiser.post(url, {"shift": "first", "email": "not an address"}, format="json")
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {
        "shift", "email", "name", "consent_email",
    }  # fmt: skip
    stranger = bearer(make_token(otherton.user(Role.CLP_SECRETARY), [Scope.EVENTS_WRITE])[1])
    assert stranger.post(url, _person(shift), format="json").status_code == 404
    assert not EventContact.unscoped.exists() and not Signup.unscoped.exists()


def test_scope_and_grant_at_every_call(anytown):
    event, shift = event_with_shift(anytown.constituency)
    organiser = anytown.user(Role.ORGANISER)
    read_only = bearer(make_token(organiser, [Scope.EVENTS_READ])[1])
    refused = read_only.post(f"{EVENTS}{event.pk}/signups/", _person(shift), format="json")
    assert refused.status_code == 403 and "events:write" in refused.json()["detail"]
    assert bearer(make_token(organiser, [Scope.MEMBERS_READ])[1]).get(EVENTS).status_code == 403
    assert read_only.get(EVENTS).status_code == 200
    grant_revoke(
        grant=Grant.objects.get(user=organiser), revoked_by=anytown.user(Role.CLP_SECRETARY), reason="left"
    )
    assert read_only.get(EVENTS).status_code == 403
