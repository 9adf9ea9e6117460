from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.urls import reverse

from labourhub.models import AuditEvent, Branch, Constituency, PollingDistrict, Region, Ward
from labourhub.services import audit_record

AREAS = """kind,name,code,parent_code
polling_district,Castle 1,CA1,E05000001
region,Eastern,E15000006,
constituency,Norwich South,E14001063,E15000006
ward,Castle,E05000001,E14001063
branch,Castle branch,CB,E14001063
polling_district,Loose 2,LX2,E14001063
"""


def _load(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "areas.csv"
    path.write_bytes(text.encode(encoding))
    out = StringIO()
    call_command("load_areas", str(path), stdout=out)
    return out.getvalue()


def test_load_areas_builds_the_tree_whatever_the_line_order(db, tmp_path):
    report = _load(tmp_path, AREAS)
    assert "polling_district: 2 created" in report
    pd = PollingDistrict.objects.get(code="CA1")
    assert pd.ward.name == "Castle"
    assert pd.constituency.gss_code == "E14001063"
    assert PollingDistrict.objects.get(code="LX2").ward is None
    assert Branch.objects.get(code="CB").constituency.name == "Norwich South"


def test_load_areas_twice_changes_nothing(db, tmp_path):
    _load(tmp_path, AREAS)
    report = _load(tmp_path, AREAS)
    assert "0 created, 0 updated, 2 unchanged" in report
    assert PollingDistrict.objects.count() == 2


def test_load_areas_updates_a_renamed_ward(db, tmp_path):
    _load(tmp_path, AREAS)
    report = _load(tmp_path, AREAS.replace("ward,Castle,", "ward,Castle and Cathedral,"))
    assert "ward: 0 created, 1 updated" in report
    assert Ward.objects.get(code="E05000001").name == "Castle and Cathedral"


def test_load_areas_reads_windows_1252_with_bom_free_names(db, tmp_path):
    _load(tmp_path, AREAS.replace("Castle branch", "Caf\u00e9 branch"), encoding="windows-1252")
    assert Branch.objects.get(code="CB").name == "Caf\u00e9 branch"


def test_bad_gss_code_rejects_the_whole_file_naming_the_line(db, tmp_path):
    bad = AREAS + "constituency,Nowhere,X1234,E15000006\n"
    with pytest.raises(CommandError, match=r"line 8: column code: 'X1234' is not a GSS code"):
        _load(tmp_path, bad)
    assert not Region.objects.exists()


def test_unknown_parent_rejects_the_whole_file(db, tmp_path):
    bad = AREAS + "ward,Orphan,E05999999,E14999999\n"
    with pytest.raises(CommandError, match=r"line 8: column parent_code: no area with code 'E14999999'"):
        _load(tmp_path, bad)
    assert not Constituency.objects.exists()


def test_missing_column_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="missing column.*parent_code"):
        _load(tmp_path, "kind,name,code\nregion,Eastern,E15000006\n")


def test_audit_log_refuses_updates_and_deletes(db):
    # The application's role has no UPDATE or DELETE on it; the owner's trigger refuses them too
    # (tests/labourhub/test_audit_db_roles.py).
    event = audit_record(action="test.event")
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_admin_change_view_is_audited(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    url = reverse("admin:labourhub_pollingdistrict_change", args=[anytown.polling_district.pk])
    client.get(url, HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action="admin.view")
    assert event.user == anytown_secretary
    assert event.object_id == str(anytown.polling_district.pk)
    assert event.constituency == anytown.constituency
    assert event.request_id == "req-42"
    assert event.ip_address == "203.0.113.9"


def test_secretary_sees_only_own_clp_in_admin(
    client, anytown, otherton, anytown_secretary, django_assert_max_num_queries
):
    client.force_login(anytown_secretary)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("admin:labourhub_pollingdistrict_changelist"))
    assert anytown.polling_district.code in response.text
    assert "Otherton" not in response.text
    assert client.get(reverse("admin:labourhub_ward_change", args=[otherton.ward.pk])).status_code == 302


def test_foreign_key_choices_are_scoped(client, anytown, otherton, anytown_secretary):
    client.force_login(anytown_secretary)
    # The party's shape is the operator's, so use a form officers do fill in (with a CLP choice).
    assert client.get(reverse("admin:labourhub_pollingdistrict_add")).status_code == 403
    response = client.get(reverse("admin:voters_contactrule_add"))
    assert response.status_code == 200 and "Anytown" in response.text
    assert "Otherton" not in response.text


def test_secretary_cannot_create_grants_in_admin(client, anytown_secretary):
    client.force_login(anytown_secretary)
    assert client.get(reverse("admin:labourhub_grant_add")).status_code == 403


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    counts = (Constituency.objects.count(), PollingDistrict.objects.count(), AuditEvent.objects.count())
    out = StringIO()
    call_command("seed_demo", "--if-new", stdout=out)
    assert "already loaded" in out.getvalue()
    assert "secretary@anytown.demo" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    assert (Constituency.objects.count(), PollingDistrict.objects.count()) == counts[:2]
