"""/api/v1/members/ and consents (issue 18, item 1): read as the member pages show them, scope ∩
grant at every call, consent changes through members' own consent service, problem+json naming the
field."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labourhub.api_v1.models import Scope
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from members.models import Consent, Member
from tests.api.conftest import bearer, make_token
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.usefixtures("generous_rate_limits")
MEMBERS = "/api/v1/members/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_an_organiser_reads_the_clps_members_and_searches_them(anytown, otherton):
    alice = MemberFactory(constituency=anytown.constituency, first_name="Alice", last_name="Smith",
                          email="alice@anytown.example", membership_number="L123456")  # fmt: skip
    bob = MemberFactory(constituency=anytown.constituency, first_name="Bob", last_name="Jones")
    MemberFactory(constituency=otherton.constituency, last_name="Smithers")
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.MEMBERS_READ])
    client = bearer(secret)
    assert sorted(_ids(client.get(MEMBERS))) == sorted([alice.pk, bob.pk])
    assert _ids(client.get(MEMBERS, {"name": "smi"})) == [alice.pk]
    assert _ids(client.get(MEMBERS, {"email": "ALICE@anytown.example"})) == [alice.pk]
    assert _ids(client.get(MEMBERS, {"membership_number": "l123456"})) == [alice.pk]
    row = client.get(f"{MEMBERS}{alice.pk}/").json()
    assert (row["email"], row["consent_email"], row["constituency"]) == (
        "alice@anytown.example",
        True,
        "E14000901",
    )
    Member.unscoped.filter(pk=bob.pk).update(updated_at=timezone.now() - timedelta(days=5))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert _ids(client.get(MEMBERS, {"modified_since": since})) == [alice.pk]
    assert AuditEvent.objects.filter(action="members.api.list", user=anytown.user(Role.ORGANISER)).exists()


def test_another_clp_sees_none_of_anytowns_members(anytown, otherton):
    anytowner = MemberFactory(constituency=anytown.constituency)
    _, secret = make_token(otherton.user(Role.CLP_SECRETARY), [Scope.MEMBERS_READ, Scope.MEMBERS_WRITE])
    client = bearer(secret)
    assert _ids(client.get(MEMBERS)) == []
    assert client.get(f"{MEMBERS}{anytowner.pk}/").status_code == 404
    assert client.get(f"{MEMBERS}{anytowner.pk}/consents/").status_code == 404
    refused = client.post(
        f"{MEMBERS}{anytowner.pk}/consents/",
        {"channel": "email", "granted": False, "wording": "x"},
        format="json",
    )
    assert refused.status_code == 404 and refused["Content-Type"] == "application/problem+json"
    assert not Consent.unscoped.filter(member=anytowner).exists()


def test_without_the_scope_or_the_role_the_call_is_refused(anytown):
    MemberFactory(constituency=anytown.constituency)
    _, electors_only = make_token(anytown.user(Role.CLP_SECRETARY), [Scope.ELECTORS_READ])
    refused = bearer(electors_only).get(MEMBERS)
    assert refused.status_code == 403 and "members:read" in refused.json()["detail"]
    # A canvasser's token with the scope: the canvasser does not see members, nor does the token.
    _, canvasser = make_token(anytown.user(Role.CANVASSER), [Scope.MEMBERS_READ])
    assert bearer(canvasser).get(MEMBERS).status_code == 403


def test_a_consent_change_goes_through_the_consent_service(anytown):
    member = MemberFactory(constituency=anytown.constituency, consent_email=True)
    secretary = anytown.user(Role.CLP_SECRETARY)
    token, secret = make_token(secretary, [Scope.MEMBERS_READ, Scope.MEMBERS_WRITE])
    client = bearer(secret)
    url = f"{MEMBERS}{member.pk}/consents/"
    response = client.post(
        url, {"channel": "email", "granted": False, "wording": "Asked us to stop by phone"}, format="json"
    )
    assert response.status_code == 201, response.content
    member.refresh_from_db()
    assert member.consent_email is False  # the answer the email engine reads
    assert not Member.unscoped.filter(pk=member.pk).emailable().exists()
    consent = Consent.unscoped.get(member=member)
    assert (consent.recorded_by, consent.source) == (secretary, f"API client {token.pk}: {token.name}")
    assert AuditEvent.objects.filter(action="members.consent", user=secretary).exists()
    assert client.get(url).json()[0]["id"] == consent.pk


def test_an_organiser_reads_but_may_not_change_consents(anytown):
    member = MemberFactory(constituency=anytown.constituency)
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.MEMBERS_READ, Scope.MEMBERS_WRITE])
    response = bearer(secret).post(
        f"{MEMBERS}{member.pk}/consents/", {"channel": "sms", "granted": True, "wording": "x"}, format="json"
    )
    assert response.status_code == 403  # changing members is MANAGE_MEMBERS, as on the member page
    assert not Consent.unscoped.exists()


def test_a_bad_consent_is_a_problem_naming_each_field(anytown):
    member = MemberFactory(constituency=anytown.constituency)
    _, secret = make_token(anytown.user(Role.CLP_SECRETARY), [Scope.MEMBERS_WRITE])
    response = bearer(secret).post(
        f"{MEMBERS}{member.pk}/consents/", {"channel": "pigeon", "granted": "perhaps"}, format="json"
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"channel", "granted", "wording"}
    assert "pigeon" in response.json()["detail"]
    bad_since = bearer(make_token(anytown.user(Role.CLP_SECRETARY), [Scope.MEMBERS_READ])[1]).get(
        MEMBERS, {"modified_since": "yesterday"}
    )
    assert bad_since.status_code == 400 and bad_since.json()["errors"][0]["field"] == "modified_since"


def test_a_consent_post_with_one_key_applies_once_and_an_ended_grant_stops_the_token(anytown):
    member = MemberFactory(constituency=anytown.constituency)
    secretary = anytown.user(Role.CLP_SECRETARY)
    _, secret = make_token(secretary, [Scope.MEMBERS_READ, Scope.MEMBERS_WRITE])
    client = bearer(secret)
    body = {"channel": "post", "granted": True, "wording": "Ticked the box on the form"}
    url = f"{MEMBERS}{member.pk}/consents/"
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Consent.unscoped.filter(member=member).count() == 1
    grant_revoke(
        grant=Grant.objects.get(user=secretary), revoked_by=anytown.user(Role.CLP_OFFICER), reason="left"
    )
    assert client.get(MEMBERS).status_code == 403
    assert client.post(url, body, format="json").status_code == 403
    assert Consent.unscoped.filter(member=member).count() == 1
