"""Behind the TLS proxy every request comes from the proxy's address: the client's own address is
taken from X-Forwarded-For, trusting only as many right-most entries as there are proxies of ours
(TRUSTED_PROXY_COUNT). It is what the sign-in rate limits count and what the audit log records."""

import pytest
from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from labourhub.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _request(xff=None):
    headers = {"REMOTE_ADDR": PROXY}
    if xff is not None:
        headers["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **headers)


def test_with_no_trusted_proxy_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert get_adapter().get_client_ip(_request("203.0.113.7")) == PROXY


@pytest.mark.parametrize(
    ("xff", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a spoofed entry on the left is not believed
        ("6.6.6.6,203.0.113.7", "203.0.113.7"),
        ("not-an-ip", PROXY),  # garbage from the proxy: fall back to the peer, never a 500
        ("", PROXY),
        (None, PROXY),  # the request did not come through the proxy
    ],
)
def test_with_one_trusted_proxy_the_right_most_entry_is_the_client(settings, xff, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    assert get_adapter().get_client_ip(_request(xff)) == expected


def test_with_two_trusted_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert get_adapter().get_client_ip(_request("6.6.6.6, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"
    assert get_adapter().get_client_ip(_request("10.0.0.9")) == PROXY  # too few hops: the peer


@pytest.fixture
def anytown_organiser(anytown):
    """Searching the register needs a role with MFA (canvassers no longer search it)."""
    return anytown.user(Role.ORGANISER)


def test_audit_log_records_the_client_behind_the_proxy(settings, client, anytown_organiser):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(anytown_organiser)
    client.get(
        reverse("voters:search"),
        {"q": "Smith"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert AuditEvent.objects.get(action="elector.search").ip_address == "203.0.113.7"


def test_audit_log_ignores_a_spoofed_header_with_no_trusted_proxy(settings, client, anytown_organiser):
    settings.TRUSTED_PROXY_COUNT = 0
    client.force_login(anytown_organiser)
    client.get(
        reverse("voters:search"), {"q": "Smith"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert AuditEvent.objects.get(action="elector.search").ip_address == PROXY


def _fail_login(client, n, xff):
    """Fail to sign in as a different address each time (so only the per-address limit counts);
    True when refused as too many attempts."""
    response = client.post(
        reverse("account_login"),
        {"login": f"nobody{n}@example.org", "password": "wrong-password-123"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=xff,
    )
    assert response.status_code == 200
    return "Too many failed login attempts" in response.text


def test_sign_in_rate_limit_counts_each_client_behind_the_proxy(settings, client):
    settings.TRUSTED_PROXY_COUNT = 1
    limit = int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split("/")[0])
    for n in range(limit):
        assert not _fail_login(client, n, "203.0.113.7")
    # The same client, with a spoofed address on the left, is still limited ...
    assert _fail_login(client, 99, "198.51.100.1, 203.0.113.7")
    # ... while another client behind the same proxy is not locked out with it.
    assert not _fail_login(client, 100, "192.0.2.44")


def test_with_no_trusted_proxy_a_spoofed_header_does_not_escape_the_rate_limit(settings, client):
    settings.TRUSTED_PROXY_COUNT = 0
    limit = int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split("/")[0])
    for n in range(limit):
        _fail_login(client, n, f"192.0.2.{n}")
    assert _fail_login(client, 99, "192.0.2.200")
