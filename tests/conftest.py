"""Personas: Anytown and Otherton (two CLPs in the Westland region) and a user of every role in each.

Anytown's people and records carry the word "Anytown" in their names and emails; the
scoping walker checks that no page shown to an Otherton user contains it.
"""

from dataclasses import dataclass, field

import pytest

from labourhub.models import Region, Role
from labourhub.scoping import ROLES_NEEDING_MFA
from tests.factories import (
    ConstituencyFactory,
    GrantFactory,
    PollingDistrictFactory,
    RegionFactory,
    UserFactory,
    WardFactory,
    with_totp,
)


@dataclass
class Clp:
    """One CLP with its areas and a user for each role (`clp.users[Role.CANVASSER]`)."""

    constituency: object
    ward: object
    polling_district: object
    users: dict = field(default_factory=dict)

    def user(self, role):
        return self.users[role]


def make_persona(email, name, role, area):
    user = UserFactory(email=email, full_name=name)
    if isinstance(area, Region):
        GrantFactory(user=user, role=role, constituency=None, region=area)
    else:
        GrantFactory(user=user, role=role, constituency=area)
    if role in ROLES_NEEDING_MFA:
        with_totp(user)
    return user


def make_clp(name, gss_code, region):
    constituency = ConstituencyFactory(name=name, gss_code=gss_code, region=region)
    ward = WardFactory(constituency=constituency, name=f"{name} Central")
    polling_district = PollingDistrictFactory(
        constituency=constituency, ward=ward, code=f"{name[:2].upper()}1"
    )
    clp = Clp(constituency, ward, polling_district)
    for role in Role:
        if role is Role.REGIONAL_STAFF:
            continue
        clp.users[role] = make_persona(
            f"{role.value}@{name.lower()}.example", f"{role.label} of {name}", role, constituency
        )
    return clp


@pytest.fixture
def westland(db):
    return RegionFactory(name="Westland", code="E15000099")


@pytest.fixture
def anytown(westland):
    return make_clp("Anytown", "E14000901", westland)


@pytest.fixture
def otherton(westland):
    return make_clp("Otherton", "E14000902", westland)


@pytest.fixture
def regional_officer(westland):
    return make_persona("regional@westland.example", "Regional Officer", Role.REGIONAL_STAFF, westland)


@pytest.fixture
def anytown_secretary(anytown):
    return anytown.user(Role.CLP_SECRETARY)


@pytest.fixture
def anytown_canvasser(anytown):
    return anytown.user(Role.CANVASSER)


@pytest.fixture
def otherton_secretary(otherton):
    return otherton.user(Role.CLP_SECRETARY)
