"""Issue 10: every non-operator persona, of every role in the role table (and regional staff of
the same and of another region), POSTs valid add and change forms for the catalogue of access
(tools, escalation contacts) and for the party's shape (regions, constituencies, branches, wards,
polling districts) in the admin; no row of those tables may change.

The same POSTs made by the platform operator do change every table: that is the self-test
showing the forms are valid, so the walk would catch a persona that gets through."""

import hashlib

import pytest
from django.urls import reverse

from access.models import EscalationContact, Tool
from labourhub.models import Branch, Constituency, PollingDistrict, Region, Role, Ward
from tests.access.factories import ToolFactory
from tests.conftest import make_clp, make_persona
from tests.factories import BranchFactory, RegionFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

MODELS = [Tool, EscalationContact, Region, Constituency, Branch, Ward, PollingDistrict]


def checksums():
    """One digest per table over every column of every row."""
    return {
        model.__name__: hashlib.sha256(
            repr(list(model._base_manager.order_by("pk").values_list())).encode()
        ).hexdigest()
        for model in MODELS
    }


@pytest.fixture
def world(anytown, regional_officer):
    """Anytown with a user of each role, Westland's and Eastland's regional staff, and a row of
    each model to change."""
    eastland = RegionFactory(name="Eastland", code="E15000098")
    make_clp("Easton", "E14000950", eastland)
    people = {f"{role.value} of Anytown": user for role, user in anytown.users.items()}
    people["regional staff of Westland (same region)"] = regional_officer
    people["regional staff of Eastland (another region)"] = make_persona(
        "staff@eastland.example", "Eastland Staff", Role.REGIONAL_STAFF, eastland
    )
    flagged = make_persona("flag@anytown.example", "Flagged Organiser", Role.ORGANISER, anytown.constituency)
    flagged.is_staff = True
    flagged.save(update_fields=["is_staff"])
    people["organiser with is_staff (not superuser)"] = flagged
    tool = ToolFactory(name="Canvassing", slug="canvassing", role=Role.CANVASSER)
    contact = EscalationContact.objects.create(region=anytown.constituency.region, user=regional_officer)
    branch = BranchFactory(constituency=anytown.constituency, name="Anytown North", code="AN-N")
    return {"anytown": anytown, "people": people, "tool": tool, "contact": contact, "branch": branch}


def _forms(world, n):
    """(model, add data, object to change, change data) for each model; `n` keeps names unique."""
    anytown, westland = world["anytown"], world["anytown"].constituency.region
    clp = anytown.constituency
    tool_data = {
        "name": f"Made {n}",
        "slug": f"made-{n}",
        "description": "",
        "role": Role.CANVASSER,
        "level": "constituency",
        "training_months": "",
        "requires_role": "",
        "endorser_roles": [Role.CLP_SECRETARY],
        "approver_roles": [Role.REGIONAL_STAFF],
        "decision_hours": 48,
        "default_days": 365,
        "max_days": 730,
        "auto_approve": "on",
        "is_active": "on",
    }
    someone = UserFactory(email=f"someone{n}@example.org")
    return [
        (Tool, tool_data, world["tool"], tool_data | {"name": "Canvassing", "slug": "canvassing"}),
        (
            EscalationContact,
            {"region": westland.pk, "user": someone.pk, "title": f"Director {n}", "level": 2},
            world["contact"],
            {"region": westland.pk, "user": world["contact"].user_id, "title": f"Changed {n}", "level": 2},
        ),
        (
            Region,
            {"name": f"Region {n}", "code": f"E15{n:06d}"},
            westland,
            {"name": f"Westland {n}", "code": westland.code},
        ),
        (
            Constituency,
            {"name": f"Made {n}", "gss_code": f"E14{n:06d}", "region": westland.pk},
            clp,
            {"name": f"Anytown {n}", "gss_code": f"E14{n + 500:06d}", "region": westland.pk},
        ),
        (
            Branch,
            {"constituency": clp.pk, "name": f"Branch {n}", "code": f"B{n}"},
            world["branch"],
            {"constituency": clp.pk, "name": f"Anytown North {n}", "code": "AN-N"},
        ),
        (
            Ward,
            {"constituency": clp.pk, "name": f"Ward {n}", "code": f"E05{n:06d}"},
            anytown.ward,
            {"constituency": clp.pk, "name": f"Anytown Central {n}", "code": anytown.ward.code},
        ),
        (
            PollingDistrict,
            {"constituency": clp.pk, "ward": anytown.ward.pk, "code": f"PD{n}", "name": ""},
            anytown.polling_district,
            {"constituency": clp.pk, "ward": anytown.ward.pk, "code": f"AN{n}", "name": "Renamed"},
        ),
    ]


def _urls(model, obj):
    info = model._meta.app_label, model._meta.model_name
    return reverse("admin:{}_{}_add".format(*info)), reverse(
        "admin:{}_{}_change".format(*info), args=[obj.pk]
    )


def test_no_non_operator_changes_the_catalogue_or_the_shape(client, world):
    n = 1
    for who, user in world["people"].items():
        client.force_login(user)
        for model, add_data, obj, change_data in _forms(world, n):
            add_url, change_url = _urls(model, obj)
            for url, data in [(add_url, add_data), (change_url, change_data)]:
                before = checksums()
                response = client.post(url, data)
                assert checksums() == before, (
                    f"{who} changed {model.__name__} with a POST to {url} ({response.status_code})"
                )
                assert response.status_code in (302, 403), (who, url, response.status_code)
                if response.status_code == 302:  # only to the sign-in page, never a saved form
                    assert "/login/" in response["Location"] or "/accounts/" in response["Location"], (
                        who,
                        url,
                        response["Location"],
                    )
            n += 1


def test_self_test_the_same_posts_by_the_operator_change_every_table(client, world):
    operator = UserFactory(email="operator@labourhub.example", is_superuser=True, is_staff=True)
    with_totp(operator)
    client.force_login(operator)
    for model, add_data, obj, change_data in _forms(world, 900):
        add_url, change_url = _urls(model, obj)
        for url, data in [(add_url, add_data), (change_url, change_data)]:
            before = checksums()
            response = client.post(url, data)
            assert response.status_code == 302, f"{url}: {response.content.decode()[:3000]}"
            assert checksums()[model.__name__] != before[model.__name__], url
