"""Issue 10, findings 7 and 11: national data (postcode locations) and the party's shape (regions,
constituencies, branches, wards, polling districts) are changed by the platform operator only."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from labourhub.models import Constituency, PollingDistrict, Role, Ward
from tests.factories import UserFactory, with_totp
from voters.models import RegisterImport
from voters.services import register_import_create

pytestmark = pytest.mark.django_db
POSTCODES_CSV = b"pcds,lat,long,doterm\nAT1 1AA,0.0,0.0,\n"


def _postcodes_upload():
    return SimpleUploadedFile("ONSPD.csv", POSTCODES_CSV, content_type="text/csv")


@pytest.fixture
def operator(db):
    user = UserFactory(email="operator@labourhub.example", is_superuser=True, is_staff=True)
    with_totp(user)
    return user


def test_an_organiser_cannot_import_postcode_locations_through_the_admin(client, anytown):
    """The attack: the admin's register-import form offered kind=postcodes to everyone."""
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("admin:voters_registerimport_add")
    page = client.get(url).content.decode()
    assert 'value="postcodes"' not in page
    response = client.post(
        url,
        {
            "constituency": anytown.constituency.pk,
            "kind": "postcodes",
            "file": _postcodes_upload(),
            "options": "{}",
        },
    )
    assert response.status_code == 200
    assert "postcodes is not one of the available choices" in response.content.decode()
    assert not RegisterImport.unscoped.filter(kind=RegisterImport.Kind.POSTCODES).exists()


def test_the_import_service_refuses_postcodes_from_anyone_but_the_operator(anytown):
    with pytest.raises(PermissionDenied, match="operator"):
        register_import_create(
            constituency=None,
            kind="postcodes",
            file=_postcodes_upload(),
            user=anytown.user(Role.CLP_SECRETARY),
        )
    assert not RegisterImport.unscoped.exists()


def test_the_operator_still_imports_postcodes_in_the_admin(client, operator):
    client.force_login(operator)
    url = reverse("admin:voters_registerimport_add")
    assert 'value="postcodes"' in client.get(url).content.decode()
    response = client.post(
        url, {"constituency": "", "kind": "postcodes", "file": _postcodes_upload(), "options": "{}"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert RegisterImport.unscoped.get().kind == RegisterImport.Kind.POSTCODES


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.CLP_SECRETARY, Role.ADMIN])
def test_clp_roles_cannot_rename_or_recode_their_constituency(client, anytown, role):
    client.force_login(anytown.user(role))
    constituency = anytown.constituency
    url = reverse("admin:labourhub_constituency_change", args=[constituency.pk])
    response = client.post(
        url, {"name": "Renamed", "gss_code": "E14000999", "region": constituency.region_id}
    )
    assert response.status_code == 403
    constituency.refresh_from_db()
    assert (constituency.name, constituency.gss_code) == ("Anytown", "E14000901")


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.CLP_SECRETARY])
def test_clp_roles_cannot_change_their_wards_or_polling_districts(client, anytown, role):
    client.force_login(anytown.user(role))
    ward, district = anytown.ward, anytown.polling_district
    client.post(
        reverse("admin:labourhub_ward_change", args=[ward.pk]),
        {"constituency": anytown.constituency.pk, "name": "Moved", "code": "E05999999"},
    )
    client.post(
        reverse("admin:labourhub_pollingdistrict_change", args=[district.pk]),
        {"constituency": anytown.constituency.pk, "ward": ward.pk, "code": "ZZ9", "name": "Moved"},
    )
    assert Ward.objects.get(pk=ward.pk).name == "Anytown Central"
    assert PollingDistrict.objects.get(pk=district.pk).code == "AN1"


def test_officers_still_read_their_constituency_in_the_admin(client, anytown):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("admin:labourhub_constituency_change", args=[anytown.constituency.pk]))
    assert page.status_code == 200 and b"Anytown" in page.content and b'name="_save"' not in page.content


def test_the_operator_renames_a_constituency(client, anytown, operator):
    client.force_login(operator)
    constituency = anytown.constituency
    response = client.post(
        reverse("admin:labourhub_constituency_change", args=[constituency.pk]),
        {"name": "Anytown and Beyond", "gss_code": constituency.gss_code, "region": constituency.region_id},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Constituency.objects.get(pk=constituency.pk).name == "Anytown and Beyond"
