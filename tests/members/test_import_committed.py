"""A membership import is all or nothing for real: these tests commit (no test transaction around
them), so the import's atomic block is a real transaction, and what is left is read on a fresh
connection."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from members.models import Member, MemberImport
from tests.committed import changed_tables, committed_tables, refused_by_the_database

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "Membership Number,Forename,Surname,Email,Postcode,Status,Joined,Branch,Email Opt-in\r\n"
# The import's own record, its saved column mapping and the audit log: they say what happened.
BOOKKEEPING = ("members_memberimport", "members_importmapping", "labourhub_auditevent")


def _line(n, surname="Anytownley", status="current"):
    return f"A{100000 + n},Ann,{surname},ann{n}@anytown.example,AN1 1AA,{status},2020-01-01,,yes"


def _import(anytown, tmp_path, lines, name="members.csv"):
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(line + "\r\n" for line in lines)).encode())
    out = io.StringIO()
    call_command("import_members", str(path), "--constituency", anytown.constituency.gss_code, stdout=out)
    return out.getvalue()


@pytest.fixture
def forty_members(anytown, tmp_path):
    """Forty members already imported (and committed)."""
    _import(anytown, tmp_path, [_line(n) for n in range(40)], name="first.csv")
    assert Member.unscoped.count() == 40


def test_a_bad_line_at_the_end_of_the_file_leaves_nothing(anytown, tmp_path, forty_members):
    lines = [_line(n, surname="Changedname") for n in range(40)] + [_line(n) for n in range(40, 80)]
    lines[-1] = _line(79, status="retired")
    before = committed_tables(exclude=BOOKKEEPING)
    with pytest.raises(CommandError, match="line 81: status 'retired'"):
        _import(anytown, tmp_path, lines)
    assert MemberImport.unscoped.latest("pk").state == MemberImport.State.REJECTED
    assert changed_tables(before, committed_tables(exclude=BOOKKEEPING)) == {}


def test_a_row_the_database_refuses_late_in_the_apply_leaves_nothing(anytown, tmp_path, forty_members):
    """The forty members' new surnames are written (one UPDATE) before the new members are inserted;
    PostgreSQL refuses the last new member, so the changed surnames must roll back too."""
    lines = [_line(n, surname="Changedname") for n in range(40)] + [_line(n) for n in range(40, 80)]
    before = committed_tables(exclude=BOOKKEEPING)
    with (
        refused_by_the_database(table="members_member", column="membership_number", value="A100079"),
        pytest.raises(DatabaseError),
    ):
        _import(anytown, tmp_path, lines)
    failed = MemberImport.unscoped.latest("pk")
    assert failed.state == MemberImport.State.FAILED
    assert "nothing was changed" in failed.report["error"]
    assert changed_tables(before, committed_tables(exclude=BOOKKEEPING)) == {}
    assert not Member.unscoped.filter(last_name="Changedname").exists()


def test_a_good_file_lands_whole_and_running_it_again_changes_nothing(anytown, tmp_path):
    lines = [_line(n) for n in range(60)]
    before = committed_tables(exclude=BOOKKEEPING)
    assert "60 added, 0 changed, 0 unchanged" in _import(anytown, tmp_path, lines)
    after_first = committed_tables(exclude=BOOKKEEPING)
    assert changed_tables(before, after_first) == {"members_member": (0, 60), "members_consent": (0, 60)}
    assert "0 added, 0 changed, 60 unchanged" in _import(anytown, tmp_path, lines)
    assert changed_tables(after_first, committed_tables(exclude=BOOKKEEPING)) == {}
