"""Searches, exports and lists of personal data are written with their area(s), so the auditors of
each CLP and each region see them on their own audit pages, and nobody else's."""

import re

import pytest
from django.urls import reverse

from labourhub.models import AuditEvent, Role
from tests.conftest import make_clp, make_persona
from tests.factories import RegionFactory
from tests.voters.factories import ElectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def farton():
    """A CLP in another region, Eastshire."""
    return make_clp("Farton", "E14000903", RegionFactory(name="Eastshire", code="E15000098"))


@pytest.fixture
def eastshire_officer(farton):
    return make_persona(
        "regional@eastshire.example", "Eastshire Officer", Role.REGIONAL_STAFF, farton.constituency.region
    )


def _search_and_export(client, clp):
    secretary = clp.user(Role.CLP_SECRETARY)
    ElectorFactory(polling_district=clp.polling_district, home__polling_district=clp.polling_district)
    client.force_login(secretary)
    assert client.get(reverse("voters:search"), {"q": "zz"}).status_code == 200
    response = client.get(reverse("voters:export"))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert client.get(reverse("members:export")).status_code == 200
    client.logout()
    return secretary


def _admin_audit_rows(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:labourhub_auditevent_changelist"), {"all": ""})
    assert response.status_code == 200
    return {(event.action, event.user.email) for event in response.context["cl"].result_list if event.user}


def _region_audit_rows(client, user):
    client.force_login(user)
    rows = set()
    for action in ACTIONS:
        # Searched by action: the page counts its events before writing its own read of the log,
        # so an unfiltered first page can drop the oldest row (see the report of issue 10).
        response = client.get(reverse("access:audit"), {"q": action})
        assert response.status_code == 200
        # (action, email) as the page shows them, one table row per event
        rows |= {
            (found, email)
            for email, found in re.findall(
                r"<tr><td>[^<]*</td><td>([^<]+)</td><td>([^<]+)</td>", response.text
            )
        }
    return rows


ACTIONS = ("elector.search", "elector.export", "members.export")


def test_clp_secretary_sees_searches_and_exports_in_their_clp_only(client, anytown, otherton):
    anytown_secretary = _search_and_export(client, anytown)
    otherton_secretary = _search_and_export(client, otherton)

    seen = _admin_audit_rows(client, anytown_secretary)
    for action in ACTIONS:
        assert (action, anytown_secretary.email) in seen
        assert (action, otherton_secretary.email) not in seen


def test_regional_staff_see_searches_and_exports_in_their_region_only(
    client, anytown, otherton, farton, regional_officer, eastshire_officer
):
    anytown_secretary = _search_and_export(client, anytown)
    otherton_secretary = _search_and_export(client, otherton)
    farton_secretary = _search_and_export(client, farton)

    westland = _region_audit_rows(client, regional_officer)
    eastshire = _region_audit_rows(client, eastshire_officer)
    for action in ACTIONS:
        assert (action, anytown_secretary.email) in westland
        assert (action, otherton_secretary.email) in westland
        assert (action, farton_secretary.email) not in westland
        assert (action, farton_secretary.email) in eastshire
        assert (action, anytown_secretary.email) not in eastshire


def test_a_search_over_several_clps_is_written_for_each(client, anytown, otherton, farton, westland):
    """Someone who searches in two CLPs appears on both CLPs' pages, and not on a third's."""
    both = make_persona("organiser@both.example", "Organiser of two", Role.ORGANISER, westland)
    client.force_login(both)
    client.get(reverse("voters:search"), {"q": "zz"})
    events = AuditEvent.objects.filter(action="elector.search", user=both)
    assert {e.constituency for e in events} == {anytown.constituency, otherton.constituency}
    assert {e.region for e in events} == {westland}
    assert len({e.request_id for e in events}) == 1  # one search, one request


def test_admin_list_carries_the_areas(client, anytown, otherton):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    client.get(reverse("admin:labourhub_pollingdistrict_changelist"))
    [event] = AuditEvent.objects.filter(action="admin.list")
    assert event.constituency == anytown.constituency
    assert (
        _admin_audit_rows(client, otherton.user(Role.CLP_SECRETARY))
        & {("admin.list", anytown.user(Role.CLP_SECRETARY).email)}
        == set()
    )


def test_a_canvassers_sync_and_a_reviewers_holdings_list_carry_their_areas(client, anytown, regional_officer):
    """The doorstep's batches and the API's holdings list were written with no area (issue 10, item 5)."""
    client.force_login(anytown.user(Role.CANVASSER))
    response = client.post(reverse("campaigns:sync"), {"answers": []}, content_type="application/json")
    assert response.status_code == 200
    assert set(AuditEvent.objects.filter(action="canvass.sync").values_list("constituency", flat=True)) == {
        anytown.constituency.pk
    }
    client.force_login(regional_officer)
    assert client.get(reverse("access-holding-list")).status_code == 200
    areas = set(
        AuditEvent.objects.filter(action="access.api.holdings").values_list("constituency", flat=True)
    )
    assert anytown.constituency.pk in areas and None not in areas
