"""Monthly updates in the Xpress, Idox and Halarose layouts: adds, changes, deletions and precedence."""

import copy
import datetime

import pytest

from tests.voters.factories import ContactFactory
from voters.importers import fields
from voters.models import Elector, RegisterEntry
from voters.register_files import ADD, CHANGE, DELETE, Person, write_register, write_update


@pytest.fixture
def registered(tmp_path, anytown, anytown_people, run_import):
    record = run_import(
        write_register(tmp_path / "full.csv", anytown_people, "xpress14"), anytown.constituency
    )
    assert record.status == "done", record.errors
    return anytown_people


def newcomer(pd):
    return Person(
        pd=pd,
        number=9001,
        suffix=0,
        title="Ms",
        first_names="Nadia",
        surname="Newcomer",
        lines=["1 New Street", "Anytown"],
        postcode="AT9 9ZZ",
    )


@pytest.mark.parametrize("fmt", ["xpress_update", "idox_update", "halarose_update"])
def test_update_adds_changes_and_removes(fmt, tmp_path, anytown, registered, run_import):
    moved, leaver = copy.deepcopy(registered[0]), registered[1]
    moved.lines, moved.postcode = ["7 Elsewhere Road", "Anytown"], "AT8 8YY"
    leaver_elector = Elector.unscoped.get(elector_number_raw=leaver.elector_number)
    ContactFactory(elector=leaver_elector, notes="Anytown doorstep chat")
    changes = [(ADD, newcomer(registered[0].pd)), (CHANGE, moved), (DELETE, leaver)]
    record = run_import(write_update(tmp_path / "u.csv", changes, fmt), anytown.constituency, kind="update")
    assert record.status == "done", record.errors
    assert (record.added, record.changed, record.removed) == (1, 1, 1)
    added = Elector.unscoped.get(surname="Newcomer")
    assert added.on_register and added.first_seen_month is not None
    assert Elector.unscoped.get(elector_number_raw=moved.elector_number).home.postcode_display == "AT8 8YY"
    leaver_elector.refresh_from_db()
    assert not leaver_elector.on_register and leaver_elector.removed_month is not None
    assert leaver_elector.contacts.count() == 1  # history stays
    assert not RegisterEntry.unscoped.filter(elector=leaver_elector).exists()
    again = run_import(write_update(tmp_path / "u.csv", changes, fmt), anytown.constituency, kind="update")
    assert (again.added, again.changed, again.removed) == (0, 0, 0)


def test_xpress_month_precedence(tmp_path, anytown, registered, run_import):
    a, b, c = registered[:3]
    ghost = newcomer(a.pd)
    changes = [
        (CHANGE, a, ("0", "2026-01", "2026-01")),  # deleted beats changed
        (CHANGE, b, ("0", "0", "0")),  # all zero: an amendment
        (ADD, ghost, ("2026-01", "0", "2026-01")),  # created and deleted in one file: ignored
    ]
    b = copy.deepcopy(b)
    b.first_names = "Amended"
    changes[1] = (CHANGE, b, ("0", "0", "0"))
    record = run_import(write_update(tmp_path / "u.csv", changes), anytown.constituency, kind="update")
    assert record.status == "done", record.errors
    assert not Elector.unscoped.get(elector_number_raw=a.elector_number).on_register
    assert Elector.unscoped.get(elector_number_raw=b.elector_number).first_names == "Amended"
    assert not Elector.unscoped.filter(surname="Newcomer").exists()
    assert Elector.unscoped.get(elector_number_raw=c.elector_number).on_register
    assert record.removed == 1 and record.changed == 1 and record.added == 0


def test_update_before_any_full_register_is_refused(tmp_path, anytown, anytown_people, run_import):
    record = run_import(
        write_update(tmp_path / "u.csv", [(ADD, anytown_people[0])]), anytown.constituency, kind="update"
    )
    assert record.status == "rejected"
    assert "import the full register first" in record.errors[0]["reason"]


def test_an_objection_follows_the_voter_back_onto_the_register(
    tmp_path, anytown, registered, run_import, anytown_secretary
):
    from voters.services import elector_set_do_not_contact

    person = registered[5]
    objector = Elector.unscoped.get(elector_number_raw=person.elector_number)
    elector_set_do_not_contact(elector=objector, user=anytown_secretary, reason="Objected to contact")
    run_import(write_update(tmp_path / "gone.csv", [(DELETE, person)]), anytown.constituency, kind="update")
    moved = copy.deepcopy(person)
    moved.number, moved.lines, moved.postcode = 9500, ["3 Fresh Lane", "Anytown"], "AT7 7QQ"
    record = run_import(
        write_update(tmp_path / "back.csv", [(ADD, moved)]), anytown.constituency, kind="update"
    )
    returned = Elector.unscoped.get(elector_number=9500)
    assert returned.pk != objector.pk
    assert returned.do_not_contact and returned.do_not_contact_reason == "Objected to contact"
    assert record.suppressed == 1
    assert (
        "1 electors match an earlier objection or erasure and are kept do not contact (1 newly flagged); "
        "nothing the party held on them is brought back."
    ) in record.notes


@pytest.mark.parametrize(
    ("fmt", "month", "expected"),
    [
        ("xpress_update", "2025-11", datetime.date(2025, 11, 1)),
        ("idox_update", "Mar", datetime.date(2026 if datetime.date.today().month >= 3 else 2025, 3, 1)),
    ],
)
def test_new_electors_first_seen_in_the_month_the_update_names(
    fmt, month, expected, tmp_path, anytown, registered, run_import
):
    person = newcomer(registered[0].pd)
    changes = [(ADD, person, (month, "0", "0"))] if fmt == "xpress_update" else [(ADD, person)]
    path = write_update(tmp_path / "u.csv", changes, fmt, month=month)
    record = run_import(path, anytown.constituency, kind="update")
    assert record.status == "done", record.errors
    assert Elector.unscoped.get(surname="Newcomer").first_seen_month == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01", datetime.date(2026, 1, 1)),
        ("03/2025", datetime.date(2025, 3, 1)),
        ("Nov", datetime.date(2025, 11, 1)),  # later than today's month: last year's
        ("jan", datetime.date(2026, 1, 1)),
        ("2026-13", None),
        ("0", None),
    ],
)
def test_month_of_update(value, expected):
    assert fields.month_of_update(value, today=datetime.date(2026, 6, 15)) == expected
