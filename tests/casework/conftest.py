import pytest

from tests.casework.factories import AgencyFactory, office_of


@pytest.fixture
def office(anytown):
    return office_of(anytown)


@pytest.fixture
def other_office(otherton):
    return office_of(otherton)


@pytest.fixture
def dwp(db):
    return AgencyFactory(name="DWP", response_working_days=20)
