import pytest
from rest_framework.test import APIClient

from labourhub.api_v1.models import Scope
from labourhub.api_v1.services import api_token_create


def make_token(user, scopes=tuple(Scope.values), expires_at=None, name="script"):
    """(token, secret) of `user` with `scopes`, made through the service the token page uses."""
    return api_token_create(user=user, name=name, scopes=list(scopes), expires_at=expires_at)


def bearer(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def generous_rate_limits(settings):
    settings.API_RATE_LIMIT_READS = 10_000
    settings.API_RATE_LIMIT_WRITES = 10_000
