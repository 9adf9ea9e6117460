"""Records of processing: generated from the apps' declarations and the role table, and a new table
of personal data cannot be missed."""

import pytest
from django.apps import apps
from django.urls import reverse

from labourhub.dataprotection import records
from labourhub.models import Role
from labourhub.scoping import ScopedModel


def test_every_scoped_model_and_the_user_are_declared():
    assert records.undeclared() == []


def test_the_check_fails_when_a_scoped_model_has_no_declaration():
    """The net's self-test: a declaration taken away is reported by name."""
    processing, not_personal = records._declared()
    declared = set(processing) | set(not_personal)
    assert records.undeclared(declared - {"voters.Elector"}) == ["voters.Elector"]
    assert records.undeclared(declared - {"labourhub.User"}) == ["labourhub.User"]


def test_the_scoped_models_are_found_from_the_installed_apps():
    must = {m._meta.label for m in records.must_declare()}
    scoped = {m._meta.label for m in apps.get_models() if issubclass(m, ScopedModel)}
    assert scoped <= must
    assert {"members.Member", "casework.Case", "labourhub.SubjectRequest", "labourhub.User"} <= must


def test_every_declaration_names_a_real_model_and_says_everything():
    assert records.problems() == []


def test_who_can_see_comes_from_the_role_table(monkeypatch):
    by_label = {r.label: r for r in records.processing_records()}
    assert "Caseworker" in by_label["casework.Case"].who
    assert "Canvasser" not in by_label["casework.Case"].who
    assert "Organiser (their CLP)" in by_label["voters.Elector"].who
    # Change the role table and the page changes with it.
    from labourhub import scoping

    monkeypatch.setitem(scoping.ROLES_FOR, scoping.Action.VIEW_VOTERS, {Role.CLP_SECRETARY})
    assert records.who_can_see(apps.get_model("voters", "Elector"), {}) == "CLP secretary (their CLP)"


@pytest.mark.django_db
def test_the_records_page_lists_each_kind_of_data(client, anytown):
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    response = client.get(reverse("dataprotection:records"))
    assert response.status_code == 200
    page = response.content.decode()
    for record in records.processing_records():
        assert record.name in page
    assert "Democratic engagement" in page
    assert "Lawful basis" in page


@pytest.mark.django_db
def test_a_canvasser_cannot_open_the_records_page(client, anytown):
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(reverse("dataprotection:records")).status_code == 403
