import pytest
from django.urls import reverse

from access.models import Tool
from labourhub.models import Role
from tests.access.factories import submit
from tests.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db


def operator():
    user = UserFactory(email="operator@labourhub.example", is_superuser=True, is_staff=True)
    with_totp(user)
    return user


def test_the_operator_edits_the_catalogue(client, anytown, canvassing):
    client.force_login(operator())
    url = reverse("admin:access_tool_change", args=[canvassing.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "name": "Doorstep canvassing",
        "slug": "canvassing",
        "description": "",
        "role": Role.CANVASSER,
        "level": "constituency",
        "requires_good_standing": "on",
        "training_months": 12,
        "requires_role": "",
        "needs_endorsement": "on",
        "endorser_roles": [Role.CLP_SECRETARY, Role.CLP_OFFICER],
        "approver_roles": [Role.REGIONAL_STAFF],
        "decision_hours": 24,
        "default_days": 100,
        "max_days": 200,
        "is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    canvassing.refresh_from_db()
    assert canvassing.name == "Doorstep canvassing" and canvassing.decision_hours == 24


def test_clp_officers_do_not_edit_the_catalogue(client, anytown, canvassing):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get(reverse("admin:access_tool_changelist")).status_code == 403
    assert Tool.objects.get().name == "Canvassing"


def test_requests_are_read_only_in_the_admin(client, anytown, member, canvassing):
    access_request = submit(canvassing, member, anytown.constituency)
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("admin:access_accessrequest_change", args=[access_request.pk]))
    assert page.status_code == 200 and b"Morgan Anytownson" in page.content
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:access_accessrequest_add")).status_code == 403


def test_regional_staff_see_training_records_of_their_regions_members(
    client, anytown, member, regional_officer
):
    from access.models import TrainingRecord

    record = TrainingRecord.objects.get(user=member)
    client.force_login(regional_officer)
    page = client.get(reverse("admin:access_trainingrecord_changelist"))
    assert b"Morgan Anytownson" in page.content
    assert client.get(reverse("admin:access_trainingrecord_change", args=[record.pk])).status_code == 200
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert client.get(reverse("admin:access_trainingrecord_changelist")).status_code == 403
