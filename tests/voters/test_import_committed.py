"""A register import is all or nothing for real: these tests commit (no test transaction around them),
so the importer's atomic block is a real transaction, and what is left is read on a fresh connection."""

import pytest
from django.db import DatabaseError

from tests.committed import changed_tables, committed_tables, refused_by_the_database
from voters.models import Elector, RegisterImport
from voters.register_files import write_register

pytestmark = pytest.mark.django_db(transaction=True)

# The import's own record (it says "rejected" or "failed") and the audit log (it says who imported).
BOOKKEEPING = ("voters_registerimport", "labourhub_auditevent")


def test_a_bad_line_at_the_end_of_the_file_leaves_nothing(tmp_path, anytown, anytown_people, run_import):
    last = anytown_people[-1]
    path = write_register(tmp_path / "late.csv", anytown_people, "xpress14")
    text = path.read_text().splitlines()
    assert last.surname in text[-1]
    path.write_text("\n".join([*text[:-1], text[-1].replace(last.postcode, "NOT A PC")]) + "\n")
    before = committed_tables(exclude=BOOKKEEPING)
    record = run_import(path, anytown.constituency)
    assert record.status == RegisterImport.Status.REJECTED
    assert [e["line"] for e in record.errors] == [301]
    assert changed_tables(before, committed_tables(exclude=BOOKKEEPING)) == {}


def test_a_row_the_database_refuses_late_in_the_apply_leaves_nothing(
    tmp_path, anytown, anytown_people, run_import
):
    """Properties are inserted (and a new polling district created) before electors; the last
    elector of the file is refused by PostgreSQL itself, so everything before it must roll back."""
    anytown_people[-1].surname = "Refusedbythedatabase"
    path = write_register(tmp_path / "refused.csv", anytown_people, "xpress14")
    before = committed_tables(exclude=BOOKKEEPING)
    with (
        refused_by_the_database(table="voters_elector", column="surname", value="Refusedbythedatabase"),
        pytest.raises(DatabaseError, match="refused by a test trigger"),
    ):
        run_import(path, anytown.constituency)
    assert RegisterImport.unscoped.get().status == RegisterImport.Status.FAILED
    assert changed_tables(before, committed_tables(exclude=BOOKKEEPING)) == {}


def test_a_good_file_lands_whole_and_running_it_again_changes_nothing(
    tmp_path, anytown, anytown_people, run_import
):
    path = write_register(tmp_path / "good.csv", anytown_people, "xpress14")
    before = committed_tables(exclude=BOOKKEEPING)
    first = run_import(path, anytown.constituency)
    assert first.status == RegisterImport.Status.DONE, first.errors
    after_first = committed_tables(exclude=BOOKKEEPING)
    landed = changed_tables(before, after_first)
    assert landed["voters_elector"] == (0, 300)
    assert landed["voters_registerentry"] == (0, 300)
    assert landed["voters_property"][0] == 0 and landed["voters_property"][1] > 50
    assert Elector.unscoped.filter(polling_district__code="AT2").count() == 150  # a new district, created

    second = run_import(path, anytown.constituency)
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 300)
    assert changed_tables(after_first, committed_tables(exclude=BOOKKEEPING)) == {}
