import json
import time

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import hotp_value
from django.urls import reverse

from labourhub.mfa_enrolment import SESSION_KEY as ENROLMENT_SESSION_KEY
from labourhub.models import AuditEvent, Role
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


# --- Issue 10, item 13: enrolling an authenticator proves the email address too ------------------


def _fresh_officer(anytown, email="fresh.officer@anytown.example"):
    officer = UserFactory(email=email)
    GrantFactory(user=officer, role=Role.CLP_OFFICER, constituency=anytown.constituency)
    return officer


def _activate(client, email_code, totp_code=None):
    """Post the activation form with a right authenticator code for the secret on the page."""
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    code = totp_code or f"{hotp_value(secret, int(time.time()) // 30):06d}"
    return client.post(reverse("mfa_activate_totp"), {"code": code, "email_code": email_code})


def _emailed_code(client):
    return client.session[ENROLMENT_SESSION_KEY]["code"]


def test_an_authenticator_with_the_right_app_code_but_no_email_code_is_refused(client, anytown):
    """Whoever has an officer's password alone cannot enrol their own authenticator."""
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    response = _activate(client, email_code="")
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=officer).exists()
    response = _activate(client, email_code="12345678")
    assert "code we emailed" in response.text
    assert not Authenticator.objects.filter(user=officer).exists()


def test_the_emailed_code_and_the_app_code_activate_the_authenticator(client, anytown):
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    client.get(reverse("mfa_activate_totp"))
    response = _activate(client, email_code=_emailed_code(client))
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=officer, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(action="mfa.enrolment_code_sent", user=officer).exists()


def test_the_emailed_code_is_single_use(client, anytown):
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    client.get(reverse("mfa_activate_totp"))
    code = _emailed_code(client)
    _activate(client, email_code=code)
    Authenticator.objects.filter(user=officer).delete()
    response = _activate(client, email_code=code)
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=officer).exists()


def test_the_emailed_code_expires(client, anytown):
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    client.get(reverse("mfa_activate_totp"))
    code = _emailed_code(client)
    session = client.session
    state = session[ENROLMENT_SESSION_KEY]
    state["expires"] = time.time() - 1
    session[ENROLMENT_SESSION_KEY] = state
    session.save()
    response = _activate(client, email_code=code)
    assert "expired" in response.text
    assert not Authenticator.objects.filter(user=officer).exists()


def test_a_code_is_dead_after_five_wrong_guesses(client, anytown):
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    client.get(reverse("mfa_activate_totp"))
    code = _emailed_code(client)
    for guess in range(5):
        _activate(client, email_code=f"{guess:08d}" if f"{guess:08d}" != code else "99999999")
    response = _activate(client, email_code=code)
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=officer).exists()


def test_sending_codes_is_rate_limited(client, anytown):
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    client.get(reverse("mfa_activate_totp"))
    for _ in range(5):
        client.post(reverse("mfa_activate_totp"), {"send_code": "1"})
    sent = AuditEvent.objects.filter(action="mfa.enrolment_code_sent", user=officer).count()
    assert sent == 3
    response = client.post(reverse("mfa_activate_totp"), {"send_code": "1"}, follow=True)
    assert "Too many codes" in response.text


def test_an_unverified_email_address_gets_no_code(client, anytown):
    officer = _fresh_officer(anytown)
    EmailAddress.objects.filter(user=officer).update(verified=False)
    client.force_login(officer)
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert ENROLMENT_SESSION_KEY not in client.session
    assert "until you have verified your email address" in response.text
    assert not AuditEvent.objects.filter(action="mfa.enrolment_code_sent").exists()


def test_the_personas_helper_still_gives_a_working_authenticator(client, anytown_secretary):
    assert Authenticator.objects.filter(user=anytown_secretary, type=Authenticator.Type.TOTP).exists()
    client.force_login(anytown_secretary)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_enrolment_code_is_emailed_to_the_verified_address_by_the_worker(
    smtp_server, celery_worker, client, anytown
):
    client.force_login(_fresh_officer(anytown, email="sam@anytown.example"))
    client.get(reverse("mfa_activate_totp"))
    code = _emailed_code(client)
    celery_worker.wait_for(lambda: smtp_server.messages)
    [message] = smtp_server.messages
    assert message["rcpt_tos"] == ["sam@anytown.example"]
    assert code.encode() in message["data"]
    assert "labourhub.tasks.account_email_send" in celery_worker.log_path.read_text()


# --- Issue 14, item 8: after enrolling, the recovery codes page leads on to where the user was going --


def test_after_enrolling_the_recovery_codes_page_keeps_next_and_offers_a_way_on(client, anytown):
    officer = _fresh_officer(anytown)
    client.force_login(officer)
    going_to = reverse("members:list")
    sent_here = client.get(going_to)
    activate_url = sent_here["Location"]
    assert activate_url == f"{reverse('mfa_activate_totp')}?next={going_to}"
    page = client.get(activate_url)
    secret = page.context["form"].secret
    code = f"{hotp_value(secret, int(time.time()) // 30):06d}"
    assert page.text.count(f'action="{activate_url}"') == 2  # both forms post back with ?next=

    response = client.post(activate_url, {"code": code, "email_code": _emailed_code(client)})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_view_recovery_codes')}?next={going_to}"
    codes_page = client.get(response["Location"])
    assert codes_page.status_code == 200
    assert f'<a class="button" href="{going_to}">I have saved my codes: continue</a>' in codes_page.text


def test_the_recovery_codes_page_leads_home_and_never_off_site(client, anytown_secretary):
    client.force_login(anytown_secretary)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(anytown_secretary)
    page = client.get(reverse("mfa_view_recovery_codes") + "?next=https://evil.example/")
    assert "evil.example" not in page.text
    assert f'<a class="button" href="{reverse("home")}">I have saved my codes: continue</a>' in page.text
