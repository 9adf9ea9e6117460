"""Canvassing URLs for the scoping walker (see tests/test_scoping_walker.py)."""

from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory


def _pack(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    home = PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road")
    ElectorFactory(home=home, surname="Anytownson")
    return pack_with_doors(campaign, [home])


def _no_kwargs(anytown):
    return {}


URLS = {
    "campaigns:index": _no_kwargs,
    "campaigns:service_worker": _no_kwargs,
    "campaigns:sync": _no_kwargs,
    "campaigns:ping": _no_kwargs,
    "campaigns:pack_shared": lambda anytown: {"token": _pack(anytown).share_token},
    "campaigns:pack_canvass": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:pack_data": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:pack_today": lambda anytown: {"pk": _pack(anytown).pk},
}

ADMIN_OBJECTS = {}
