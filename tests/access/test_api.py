import pytest

from labourhub.models import AuditEvent, Role
from tests.access.factories import ToolFactory, approved

pytestmark = pytest.mark.django_db


def _holding(member, anytown, reviewer, slug="contact-creator"):
    tool = ToolFactory(name=slug.title(), slug=slug, role="")
    endorser = anytown.user(Role.CLP_SECRETARY)
    return approved(tool, member, anytown.constituency, endorser=endorser, reviewer=reviewer).holding


def test_reviewers_list_who_should_have_an_account(client, member, anytown, regional_officer):
    holding = _holding(member, anytown, regional_officer)
    _holding(member, anytown, regional_officer, slug="insight")
    client.force_login(regional_officer)
    response = client.get("/api/access/holdings/", {"tool": "contact-creator", "active": "true"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == holding.pk and row["email"] == member.email and row["constituency"] == "E14000901"
    assert AuditEvent.objects.filter(action="access.api.holdings").exists()
    assert client.get(f"/api/access/holdings/{holding.pk}/").json()["tool"] == "contact-creator"


def test_clp_users_get_nothing(client, member, anytown, otherton, regional_officer):
    holding = _holding(member, anytown, regional_officer)
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert client.get("/api/access/holdings/").json()["results"] == []
    assert client.get(f"/api/access/holdings/{holding.pk}/").status_code == 404
