"""Full registers in every format and with every quirk of DOMAIN.md §1, made by the generator."""

import dataclasses
import datetime

import pytest
from django.core.files import File
from django.db.models import ProtectedError

from labourhub.models import PollingDistrict
from voters.models import Elector, Property, RegisterEntry, RegisterImport
from voters.register_files import FORMATS, synthetic_people, write_register
from voters.services import importer_for, register_import_create

QUIRKS = {
    "plain": {},
    "tab_cp1252_crlf": {"delimiter": "\t", "encoding": "cp1252", "newline": "\r\n"},
    "utf8_bom": {"encoding": "utf-8-sig"},
    "nbsp_and_repeated_postcode": {"nbsp": True, "repeat_postcode": True},
}


@pytest.mark.parametrize("quirk", QUIRKS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_full_register_imports_in_every_format(fmt, quirk, tmp_path, anytown, anytown_people, run_import):
    path = write_register(tmp_path / f"{fmt}.csv", anytown_people, fmt, **QUIRKS[quirk])
    record = run_import(path, anytown.constituency)
    assert record.status == RegisterImport.Status.DONE, record.errors
    assert record.file_format == fmt
    assert (record.added, record.changed, record.removed, record.rejected) == (300, 0, 0, 0)
    electors = Elector.unscoped.filter(polling_district__constituency=anytown.constituency)
    assert electors.count() == 300
    for person in anytown_people[:60]:
        elector = electors.get(
            polling_district__code=person.pd, elector_number=person.number, elector_suffix=person.suffix
        )
        assert elector.surname == person.surname
        assert elector.first_names == person.first_names
        assert elector.opted_out == person.opted_out
        assert elector.attainment_date == person.attainment
        assert elector.elector_number_raw == person.elector_number
        if person.postcode:
            assert elector.home.postcode_display == person.postcode
            assert elector.home.address == ", ".join(person.lines)  # no NBSP, no repeated postcode
        else:
            assert elector.home is None
        assert set(person.markers) <= set(elector.markers)


def test_same_file_twice_changes_nothing(tmp_path, anytown, anytown_people, run_import):
    path = write_register(tmp_path / "r.csv", anytown_people, "xpress14")
    run_import(path, anytown.constituency)
    before = list(Elector.unscoped.values_list("pk", "updated_at").order_by("pk"))
    second = run_import(path, anytown.constituency)
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 300)
    assert list(Elector.unscoped.values_list("pk", "updated_at").order_by("pk")) == before
    assert RegisterEntry.unscoped.count() == 300


def test_republication_keeps_ids_when_numbers_change(tmp_path, anytown, anytown_people, run_import):
    run_import(
        write_register(tmp_path / "2025.csv", anytown_people, "idox"),
        anytown.constituency,
        published_on="2025-12-01",
    )
    ids = {(e.surname, e.first_names, e.home_id): e.pk for e in Elector.unscoped.all()}
    # December: one elector gone, everyone renumbered from 1000.
    gone, *kept = anytown_people
    for person in kept:
        person.number += 1000
    record = run_import(
        write_register(tmp_path / "2026.csv", kept, "idox"), anytown.constituency, published_on="2026-12-01"
    )
    assert record.status == "done", record.errors
    assert (record.added, record.removed) == (0, 1)
    assert record.changed == 299
    for e in Elector.unscoped.filter(on_register=True):
        assert ids[(e.surname, e.first_names, e.home_id)] == e.pk
        assert e.elector_number > 1000
    off = Elector.unscoped.get(on_register=False)
    assert (off.surname, off.elector_number) == (gone.surname, gone.number)
    assert any("marked off the register" in note for note in record.notes)
    assert not any("not matched" in note for note in record.notes)
    assert RegisterEntry.unscoped.filter(publication__published_on=datetime.date(2026, 12, 1)).count() == 299


def test_hyphenated_prefixes_and_new_polling_districts(tmp_path, anytown, run_import):
    from voters.register_files import synthetic_people

    people = list(synthetic_people(40, pds=["KD-2/2", anytown.polling_district.code]))
    record = run_import(write_register(tmp_path / "k.csv", people, "xpress14"), anytown.constituency)
    assert record.status == "done", record.errors
    assert "New polling districts created: KD-2/2." in record.notes
    elector = Elector.unscoped.get(polling_district__code="KD-2/2", elector_number=1)
    assert elector.elector_number_raw == "KD-2/2-1"
    assert Property.unscoped.filter(polling_district__code="KD-2/2").exists()


def test_republication_reports_who_could_not_be_matched(tmp_path, anytown, anytown_people, run_import):
    run_import(write_register(tmp_path / "a.csv", anytown_people, "xpress14"), anytown.constituency)
    renamed = [*anytown_people]
    # Another person in their place (a new surname alone is a name change: test_name_changes.py).
    renamed[0] = dataclasses.replace(renamed[0], surname="Anytown-Wed", first_names="Newcomer")
    record = run_import(
        write_register(tmp_path / "b.csv", renamed, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )
    assert (record.added, record.removed) == (1, 1)
    assert any(
        note.startswith("1 electors in the file were not matched") and "Anytown-Wed" in note
        for note in record.notes
    )


def test_a_polling_district_deleted_while_the_file_is_read_rejects_the_import(
    tmp_path, anytown, anytown_people, anytown_secretary
):
    spare = PollingDistrict.objects.create(
        constituency=anytown.constituency, code="ATX", name="Anytown spare"
    )
    path = write_register(tmp_path / "r.csv", anytown_people, "xpress14")
    with path.open("rb") as f:
        record = register_import_create(
            constituency=anytown.constituency,
            kind="full",
            file=File(f, name=path.name),
            user=anytown_secretary,
        )
    importer = importer_for(record)  # has read the constituency's polling districts
    spare.delete()
    record = importer.run(record.file.path)
    assert record.status == RegisterImport.Status.REJECTED
    assert "deleted while the file was read" in record.errors[0]["reason"]
    assert not Elector.unscoped.exists() and not Property.unscoped.exists()


def test_a_polling_district_with_electors_cannot_be_deleted(tmp_path, anytown, anytown_people, run_import):
    run_import(write_register(tmp_path / "r.csv", anytown_people, "xpress14"), anytown.constituency)
    with pytest.raises(ProtectedError):
        anytown.polling_district.delete()


def _clp_rows(clp):
    """Every property and elector of a CLP, as they are."""
    properties = Property.unscoped.filter(polling_district__constituency=clp).order_by("pk")
    electors = Elector.unscoped.filter(polling_district__constituency=clp).order_by("pk")
    return (
        list(
            properties.values_list("pk", "polling_district_id", "address_key", "address", "uprn", "postcode")
        ),
        list(electors.values_list("pk", "polling_district_id", "home_id", "surname", "on_register")),
    )


def test_an_import_never_changes_another_clps_properties(tmp_path, anytown, otherton, run_import):
    """Two CLPs importing files that hold the same addresses: each keeps its own properties. (The
    second import moved the shared properties into its own polling districts, and the first CLP's
    electors with them: a leak between CLPs.)"""
    people = list(synthetic_people(40, pds=[anytown.polling_district.code], town="Anytown"))
    run_import(write_register(tmp_path / "a.csv", people, "xpress14"), anytown.constituency)
    before = _clp_rows(anytown.constituency)
    assert len(before[0]) > 5 and len(before[1]) == 40
    # The same addresses (the same people), in an Otherton polling district.
    moved = [dataclasses.replace(p, pd=otherton.polling_district.code) for p in people]
    record = run_import(write_register(tmp_path / "o.csv", moved, "xpress14"), otherton.constituency)
    assert record.status == RegisterImport.Status.DONE, (record.errors, record.notes)
    assert _clp_rows(anytown.constituency) == before
    theirs = Elector.unscoped.filter(polling_district__constituency=otherton.constituency)
    assert theirs.count() == 40
    homeless = Elector.unscoped.filter(polling_district__constituency=anytown.constituency, home=None)
    assert theirs.filter(home=None).count() == homeless.count()  # those with no address in the file
    assert not theirs.exclude(home__polling_district__constituency=otherton.constituency).exists()
    assert Property.unscoped.count() == 2 * len(before[0])


def test_the_migration_keys_existing_properties_as_imports_now_do(anytown):
    """voters 0011 re-keys the properties held before it as property_key does, so the next import
    finds them (rather than adding a second property at each address)."""
    import importlib

    from django.db import connection

    from tests.voters.factories import PropertyFactory
    from voters.importers.register import property_key

    plain = "9" * 32  # an address key as imports wrote them before
    prop = PropertyFactory(polling_district=anytown.polling_district, address_key=plain)
    with connection.cursor() as cursor:
        cursor.execute(importlib.import_module("voters.migrations.0011_property_keys_per_clp").SQL)
    prop.refresh_from_db()
    assert prop.address_key == property_key(anytown.constituency.pk, plain)
