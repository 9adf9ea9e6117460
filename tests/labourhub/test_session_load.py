"""Every signed-in request loads its session and its user (labourhub/session_auth.py): whatever makes
that cheaper must refuse, as Django does, an expired session, a signed-out one (from any process), a
deactivated or deleted user, a changed password and a session hash that does not match."""

from datetime import timedelta
from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from labourhub.models import Role
from tests.factories import PASSWORD, GrantFactory


def _user_of(client):
    """Who the site takes the client's next request to come from (AnonymousUser when signed out)."""
    return client.get(reverse("home")).wsgi_request.user


def _session_key(client):
    return client.cookies["sessionid"].value


@pytest.fixture(params=["force_login", "password"])
def signed_in(request, client, anytown):
    """A canvasser (no MFA needed) signed in, through either backend: the test client's
    force_login (the first backend) and allauth's sign-in form with the password."""
    canvasser = anytown.user(Role.CANVASSER)
    if request.param == "force_login":
        client.force_login(canvasser)
    else:
        response = client.post(reverse("account_login"), {"login": canvasser.email, "password": PASSWORD})
        assert response.status_code == 302, response.content
    assert _user_of(client) == canvasser
    return canvasser


def test_a_signed_in_session_is_recognised_on_every_request(client, signed_in):
    for _ in range(3):
        user = _user_of(client)
        assert user.is_authenticated and user.pk == signed_in.pk
    assert user.email == signed_in.email and user.full_name == signed_in.full_name


def test_an_expired_session_is_refused(client, signed_in):
    Session.objects.filter(session_key=_session_key(client)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert not _user_of(client).is_authenticated


def test_a_session_expires_when_its_expiry_date_passes_not_before(client, signed_in):
    Session.objects.filter(session_key=_session_key(client)).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    assert _user_of(client) == signed_in


def test_signing_out_refuses_the_same_cookie_elsewhere(client, signed_in):
    """A copy of the cookie (another tab, another worker process) is dead once the user signs out."""
    elsewhere = Client()
    elsewhere.cookies["sessionid"] = _session_key(client)
    assert _user_of(elsewhere) == signed_in

    client.post(reverse("account_logout"))

    assert not _user_of(elsewhere).is_authenticated
    assert not _user_of(client).is_authenticated


def test_a_session_deleted_by_another_process_is_refused_at_once(client, signed_in):
    assert _user_of(client) == signed_in
    Session.objects.filter(session_key=_session_key(client)).delete()
    assert not _user_of(client).is_authenticated


def test_a_deactivated_user_is_refused(client, signed_in):
    assert _user_of(client) == signed_in
    signed_in.is_active = False
    signed_in.save(update_fields=["is_active"])
    assert not _user_of(client).is_authenticated


def test_a_deleted_user_is_refused(client, signed_in):
    assert _user_of(client) == signed_in
    signed_in.delete()
    assert not _user_of(client).is_authenticated


def test_a_changed_password_signs_out_every_session_and_ends_it(client, signed_in):
    key = _session_key(client)
    signed_in.set_password("a-brand-new-passphrase-2026")
    signed_in.save(update_fields=["password"])

    assert not _user_of(client).is_authenticated
    assert not Session.objects.filter(session_key=key).exists()  # flushed, as Django does


def test_a_session_whose_hash_does_not_match_is_refused(client, signed_in):
    session = client.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    assert not _user_of(client).is_authenticated


def test_a_made_up_session_key_is_nobody(client, db):
    client.cookies["sessionid"] = "x" * 32
    assert not _user_of(client).is_authenticated


def test_what_a_request_writes_to_the_session_is_read_back(client, signed_in):
    session = client.session
    session["note"] = "kept"
    session.save()
    assert client.get(reverse("home")).wsgi_request.session["note"] == "kept"


@pytest.mark.parametrize(
    "backend",
    ["django.contrib.auth.backends.ModelBackend", "allauth.account.auth_backends.AuthenticationBackend"],
)
def test_a_session_from_before_the_faster_backends_stays_signed_in(client, anytown, backend):
    """Sessions written before labourhub.session_auth name Django's and allauth's backends: the
    deploy signs nobody out, and the hash is still checked."""
    canvasser = anytown.user(Role.CANVASSER)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update({SESSION_KEY: str(canvasser.pk), BACKEND_SESSION_KEY: backend})
    store[HASH_SESSION_KEY] = canvasser.get_session_auth_hash()
    store.create()
    client.cookies["sessionid"] = store.session_key
    assert _user_of(client) == canvasser
    again = import_module(settings.SESSION_ENGINE).SessionStore(store.session_key)
    assert async_to_sync(again.aload)()[BACKEND_SESSION_KEY].startswith("labourhub.session_auth.")

    canvasser.set_password("a-brand-new-passphrase-2026")
    canvasser.save(update_fields=["password"])
    assert not _user_of(client).is_authenticated


def test_a_signed_in_request_reads_session_user_and_mfa_need_in_two_statements(
    client, signed_in, django_assert_num_queries
):
    _user_of(client)
    with django_assert_num_queries(2):  # the session; the user with "must set up MFA now?"
        assert client.get(reverse("campaigns:ping")).wsgi_request.user == signed_in


def test_a_role_needing_mfa_granted_mid_session_sends_the_user_to_set_it_up(client, signed_in, anytown):
    assert client.get(reverse("home")).status_code == 200
    GrantFactory(user=signed_in, role=Role.ORGANISER, constituency=anytown.constituency)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_activate_totp"))


def test_an_officer_whose_authenticator_is_removed_is_sent_to_set_one_up(client, anytown):
    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(secretary)
    assert client.get(reverse("home")).status_code == 200
    Authenticator.objects.filter(user=secretary).delete()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_activate_totp"))
