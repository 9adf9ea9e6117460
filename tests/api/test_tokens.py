"""API tokens: hashed at rest, shown once, MFA to make one, scope ∩ grant at every call, expiry and
revocation (issue 18, item 2)."""

import hashlib
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils import timezone

from labourhub.api_v1.models import ApiToken, Scope
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from tests.api.conftest import bearer, make_token
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Elector

pytestmark = pytest.mark.usefixtures("generous_rate_limits")


def _electors(clp, count, surname="Anytownson"):
    homes = [PropertyFactory(polling_district=clp.polling_district) for _ in range(count)]
    return [ElectorFactory(home=home, surname=surname) for home in homes]


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_token_is_shown_once_and_only_its_hash_is_kept(client, anytown):
    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(secretary)
    page = client.post(reverse("api_tokens"), {"name": "turnout model", "scopes": ["electors:read"]})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=secretary)
    secret = page.context["secret"]
    assert secret.startswith("lh_") and secret in page.content.decode()
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values_list().get()]
    assert not any(secret in value or secret[3:] in value for value in stored)
    assert secret not in client.get(reverse("api_tokens")).content.decode()  # never shown again
    assert AuditEvent.objects.filter(action="api.token_create", user=secretary).exists()


def test_making_a_token_needs_mfa_when_the_role_needs_it(client, anytown):
    secretary = anytown.user(Role.CLP_SECRETARY)
    Authenticator.objects.filter(user=secretary).delete()
    client.force_login(secretary)
    page = client.post(reverse("api_tokens"), {"name": "x", "scopes": ["electors:read"]})
    assert page.status_code == 403
    assert "set up two-factor authentication" in page.content.decode()
    assert not ApiToken.objects.filter(user=secretary).exists()


def test_a_canvasser_makes_a_token_without_mfa(client, anytown):
    canvasser = anytown.user(Role.CANVASSER)
    client.force_login(canvasser)
    client.post(reverse("api_tokens"), {"name": "my app", "scopes": ["contacts:write"]})
    assert ApiToken.objects.get(user=canvasser).scopes == ["contacts:write"]


def test_a_bad_expiry_is_an_error_beside_its_box(client, anytown):
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.post(
        reverse("api_tokens"), {"name": "x", "scopes": ["contacts:write"], "expires_on": "01/31/2027"}
    )
    assert page.status_code == 200 and page.context["form"].errors["expires_on"]
    assert not ApiToken.objects.exists()


def test_a_token_sees_exactly_what_its_owner_sees(anytown, otherton):
    ours, theirs = _electors(anytown, 3), _electors(otherton, 2, surname="Othertonson")
    organiser = anytown.user(Role.ORGANISER)
    _, secret = make_token(organiser, [Scope.ELECTORS_READ])
    seen = _ids(bearer(secret).get("/api/v1/electors/"))
    assert seen == sorted(Elector.objects.for_user(organiser).values_list("pk", flat=True))
    assert set(seen) == {e.pk for e in ours} and not set(seen) & {e.pk for e in theirs}
    assert bearer(secret).get(f"/api/v1/electors/{theirs[0].pk}/").status_code == 404


def test_a_canvassers_token_cannot_search_the_register_as_the_canvasser_cannot(client, anytown):
    _electors(anytown, 2)
    canvasser = anytown.user(Role.CANVASSER)
    _, secret = make_token(canvasser, [Scope.ELECTORS_READ])
    response = bearer(secret).get("/api/v1/electors/")
    assert response.status_code == 403
    client.force_login(canvasser)
    assert client.get(reverse("voters:search")).status_code == 403  # the page it mirrors


def test_a_token_without_the_scope_is_refused(anytown):
    _, secret = make_token(anytown.user(Role.CLP_SECRETARY), [Scope.CONTACTS_READ])
    response = bearer(secret).get("/api/v1/electors/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "electors:read" in response.json()["detail"]


def test_a_token_stops_on_the_next_call_when_the_owners_grant_ends(anytown):
    _electors(anytown, 1)
    organiser = anytown.user(Role.ORGANISER)
    _, secret = make_token(organiser, [Scope.ELECTORS_READ])
    client = bearer(secret)
    assert client.get("/api/v1/electors/").status_code == 200
    grant_revoke(
        grant=Grant.objects.get(user=organiser), revoked_by=anytown.user(Role.CLP_SECRETARY), reason="left"
    )
    response = client.get("/api/v1/electors/")
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"


def test_expired_and_revoked_tokens_are_refused(anytown):
    organiser = anytown.user(Role.ORGANISER)
    expired, old = make_token(organiser, expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(old).get("/api/v1/electors/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    revoked, gone = make_token(organiser)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert bearer(gone).get("/api/v1/electors/").status_code == 401
    assert bearer("lh_not-a-token").get("/api/v1/electors/").status_code == 401


def test_the_osdi_header_works_too_and_last_used_is_kept(client, anytown):
    token, secret = make_token(anytown.user(Role.ORGANISER), [Scope.ELECTORS_READ])
    assert client.get("/api/v1/electors/", HTTP_OSDI_API_TOKEN=secret).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoking_asks_first_then_stops_the_token(client, anytown):
    owner = anytown.user(Role.ORGANISER)
    token, secret = make_token(owner, [Scope.ELECTORS_READ])
    client.force_login(owner)
    ask = client.get(reverse("api_token_revoke", args=[token.pk]))
    assert ask.status_code == 200 and "stops working at once" in ask.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 302
    assert bearer(secret).get("/api/v1/electors/").status_code == 401


def test_nobody_revokes_anothers_token(client, anytown, otherton):
    token, _ = make_token(anytown.user(Role.ORGANISER))
    client.force_login(otherton.user(Role.ORGANISER))
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_every_call_is_audited_like_the_page(anytown):
    organiser = anytown.user(Role.ORGANISER)
    token, secret = make_token(organiser, [Scope.ELECTORS_READ])
    bearer(secret).get("/api/v1/electors/?name=Any")
    event = AuditEvent.objects.get(action="voters.api.electors")
    assert event.user == organiser and event.constituency == anytown.constituency
    assert event.detail == {"query": "name=Any", "token": token.pk}


def test_the_session_still_works_for_the_sites_own_pages(client, anytown):
    _electors(anytown, 1)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get("/api/v1/electors/").status_code == 200
    assert client.get(reverse("voters:search")).status_code == 200


def test_the_token_page_says_each_scope_in_plain_words_with_its_name_as_a_hint(client, anytown):
    canvasser = anytown.user(Role.CANVASSER)
    make_token(canvasser, scopes=[Scope.CONTACTS_WRITE, Scope.WALKLISTS_READ])
    client.force_login(canvasser)
    page = client.get(reverse("api_tokens")).content.decode()
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    for scope in (Scope.CONTACTS_WRITE, Scope.WALKLISTS_READ):
        assert f"<li>{scope.label} <code>{scope.value}</code></li>" in row
    assert "contacts:write, walklists:read" not in row  # no longer the bare names, joined
    form = page[page.index("Make a token") :]
    assert f"{Scope.ELECTORS_READ.label} <code>electors:read</code>" in form.replace("&#x27;", "'")
