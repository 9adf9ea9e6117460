import json

from allauth.mfa.models import Authenticator
from django.urls import reverse

from labourhub.models import Role
from tests.factories import GrantFactory, UserFactory


def test_officer_without_mfa_is_sent_to_set_it_up(client, anytown):
    officer = UserFactory(email="fresh.officer@anytown.example")
    GrantFactory(user=officer, role=Role.CLP_OFFICER, constituency=anytown.constituency)
    client.force_login(officer)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_officer_without_mfa_gets_403_from_the_api(client, anytown):
    officer = UserFactory()
    GrantFactory(user=officer, role=Role.CLP_SECRETARY, constituency=anytown.constituency)
    client.force_login(officer)
    response = client.get("/api/")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_canvasser_needs_no_mfa(client, anytown_canvasser):
    client.force_login(anytown_canvasser)
    assert not Authenticator.objects.filter(user=anytown_canvasser).exists()
    assert client.get(reverse("home")).status_code == 200


def test_home_page_lists_the_roles_held(client, anytown_secretary):
    client.force_login(anytown_secretary)
    response = client.get(reverse("home"))
    assert "CLP secretary" in response.text
    assert "Anytown" in response.text
    assert reverse("admin:index") in response.text


def test_canvasser_home_has_no_office_admin_link(client, anytown_canvasser):
    client.force_login(anytown_canvasser)
    assert reverse("admin:index") not in client.get(reverse("home")).text


def test_anonymous_home_offers_sign_in(client, db):
    response = client.get(reverse("home"))
    assert reverse("account_login") in response.text


def test_admin_login_goes_through_the_one_sign_in(client, db):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_pages_carry_a_csp_without_inline_script(client, db):
    response = client.get(reverse("account_login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in response.text


def test_request_id_comes_back_on_the_response(client, db):
    response = client.get(reverse("home"), HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert len(client.get(reverse("home"))["X-Request-ID"]) == 32


def test_healthz_reports_each_part(client, db):
    response = client.get(reverse("healthz"))
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_reports_a_broken_broker(client, db, settings):
    from labourhub.celery import app as celery_app

    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = None
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_url = previous
        celery_app._pool = None
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["broker"].startswith("error")


def test_password_must_be_at_least_12_characters(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "Short1!x", "password2": "Short1!x"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.text


def test_repeated_failed_logins_are_rate_limited(client, db):
    UserFactory(email="target@example.org")
    for _ in range(5):
        client.post(
            reverse("account_login"), {"login": "target@example.org", "password": "wrong-password-guess"}
        )
    response = client.post(
        reverse("account_login"), {"login": "target@example.org", "password": "another-guess-1"}
    )
    assert "Too many failed login attempts" in response.text
