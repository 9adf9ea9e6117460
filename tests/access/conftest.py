import pytest

from labourhub.models import Role
from tests.access.factories import canvassing_tool, make_eligible
from tests.factories import UserFactory


@pytest.fixture
def canvassing(db):
    return canvassing_tool()


@pytest.fixture
def member(anytown):
    """A current Anytown member (members.Member linked to the user) with training done and no roles yet."""
    user = UserFactory(email="morgan@anytown.example", full_name="Morgan Anytownson")
    return make_eligible(user, anytown.constituency)


@pytest.fixture
def anytown_endorser(anytown):
    return anytown.user(Role.CLP_SECRETARY)
