"""A full register that would take more than 2% of the register off it is shown and waits for an
explicit confirmation (issue #14, item 1): from the service, the command and the upload form."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from labourhub.models import Role
from voters.models import Elector, RegisterImport
from voters.register_files import write_register
from voters.services import register_import_confirm, register_import_run


@pytest.fixture
def registered(tmp_path, anytown, anytown_people, run_import):
    record = run_import(write_register(tmp_path / "full.csv", anytown_people), anytown.constituency)
    assert record.status == "done", record.errors
    return anytown_people


def on_register():
    return Elector.unscoped.filter(on_register=True).count()


def fingerprint():
    return sorted(Elector.unscoped.values_list("pk", "on_register", "removed_month", "surname", "updated_at"))


def test_a_short_full_register_waits_for_confirmation_and_changes_nothing(
    tmp_path, anytown, registered, run_import
):
    before = fingerprint()
    record = run_import(write_register(tmp_path / "short.csv", registered[:20]), anytown.constituency)
    assert record.status == RegisterImport.Status.CONFIRM
    assert (record.added, record.changed, record.removed, record.unchanged) == (0, 0, 280, 20)
    assert record.notes[0].startswith(
        "This import would take 280 of the 300 electors on the register off it (93%), add 0 and change 0."
    )
    gone = registered[20]
    assert f"{gone.first_names} {gone.surname}" in record.notes[0]  # examples of who would go
    assert f"{registered[29].surname} and 270 more." in record.notes[0]  # the first ten, in register order
    assert fingerprint() == before
    assert not record.errors


def test_the_waiting_import_reports_nothing_as_done(tmp_path, anytown, registered, run_import):
    """The notes of the rolled-back apply said 280 electors "were marked off the register" under
    the question saying nothing had been changed."""
    record = run_import(write_register(tmp_path / "short.csv", registered[:20]), anytown.constituency)
    assert record.status == RegisterImport.Status.CONFIRM
    assert [note.split(" ")[0] for note in record.notes] == ["This", "Read", "Took"]
    assert not any("were marked off" in note for note in record.notes)


def test_confirming_applies_up_to_the_number_shown(
    tmp_path, anytown, registered, run_import, anytown_secretary
):
    record = run_import(write_register(tmp_path / "short.csv", registered[:20]), anytown.constituency)
    record = register_import_confirm(register_import=record, user=anytown_secretary)
    assert record.status == RegisterImport.Status.QUEUED
    assert record.options["confirmed_removals"] == 280
    record = register_import_run(register_import=record)
    assert record.status == RegisterImport.Status.DONE, record.errors
    assert record.removed == 280
    assert on_register() == 20
    with pytest.raises(ValueError, match="not waiting for confirmation"):
        register_import_confirm(register_import=record, user=anytown_secretary)


def test_a_confirmation_does_not_cover_more_removals_than_were_shown(
    tmp_path, anytown, registered, run_import, anytown_secretary
):
    record = run_import(write_register(tmp_path / "short.csv", registered[:20]), anytown.constituency)
    record = register_import_confirm(register_import=record, user=anytown_secretary)
    record.options["confirmed_removals"] = 100  # as if the register had grown since it was shown
    record.save(update_fields=["options"])
    record = register_import_run(register_import=record)
    assert record.status == RegisterImport.Status.CONFIRM
    assert on_register() == 300


def test_a_small_share_removed_applies_at_once(tmp_path, anytown, registered, run_import):
    record = run_import(write_register(tmp_path / "most.csv", registered[:-6]), anytown.constituency)
    assert record.status == RegisterImport.Status.DONE  # 6 of 300 is 2%: not more than a small share
    assert on_register() == 294


def test_the_command_refuses_with_the_numbers_unless_yes(tmp_path, anytown, registered):
    path = write_register(tmp_path / "short.csv", registered[:20])
    gss = anytown.constituency.gss_code
    out = io.StringIO()
    with pytest.raises(CommandError, match="would take 280 electors off the register.*--yes"):
        call_command("import_register", str(path), "--constituency", gss, stdout=out)
    assert "would take 280 of the 300 electors on the register off it" in out.getvalue()
    assert "Would add 0, change 0, remove 280, leave unchanged 20" in out.getvalue()
    assert on_register() == 300
    call_command("import_register", str(path), "--constituency", gss, "--yes", stdout=io.StringIO())
    assert on_register() == 20


def test_the_upload_form_has_no_default_kind_and_keeps_what_was_typed(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    page = client.get(reverse("voters:imports")).content.decode()
    assert 'name="kind"' in page and "checked" not in page
    response = client.post(
        reverse("voters:imports"), {"constituency": anytown.constituency.pk, "model": "support 2026"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose what is in the file." in page
    assert 'value="support 2026"' in page and "checked" not in page
    assert not RegisterImport.unscoped.exists()
    response = client.post(reverse("voters:imports"), {"kind": "scores"})  # no file, no CLP
    checked = re.findall(
        r'<input type="radio" name="kind" value="(\w+)"[^>]* checked', response.content.decode()
    )
    assert checked == ["scores"]


def test_confirm_page_is_the_secretary_s_own(client, anytown, otherton_secretary, tmp_path):
    record = RegisterImport.unscoped.create(
        constituency=anytown.constituency, kind="full", file_name="short.csv", status="confirm", removed=280
    )
    client.force_login(otherton_secretary)
    assert client.post(reverse("voters:import_confirm", args=[record.pk])).status_code == 404
    record.refresh_from_db()
    assert record.status == "confirm"
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("voters:import", args=[record.pk])).content.decode()
    assert "Yes, this is the whole register: take 280 electors off it" in page
