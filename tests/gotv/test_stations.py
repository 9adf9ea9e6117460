"""Stations and boxes from the council's list: real files, all or nothing, errors with line numbers."""

import shutil
from pathlib import Path

import pytest

from gotv.models import BallotBox, PollingStation
from gotv.services import station_import
from gotv.stations import BOX_LIST, DEMOCRACY_CLUB
from tests.factories import PollingDistrictFactory
from tests.gotv.factories import polling_day
from voters.models import PostcodeLocation

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"


@pytest.fixture
def election(anytown):
    for code in ("AN2", "AN3", "AN4"):
        PollingDistrictFactory(constituency=anytown.constituency, ward=anytown.ward, code=code)
    anytown.polling_district.code = "AN1"
    anytown.polling_district.save(update_fields=["code"])
    election = polling_day(anytown).election
    election.stations.all().delete()  # start with none: the import brings them
    return election


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _boxes(election):
    return {
        box.label: (
            box.station.name,
            box.co_located,
            sorted(d.polling_district.code for d in box.districts.all()),
        )
        for box in BallotBox.unscoped.filter(election=election).select_related("station")
    }


def test_a_democracy_club_file_makes_a_box_per_district_at_each_station(election):
    PostcodeLocation.objects.create(
        postcode="AT13DD", postcode_display="AT1 3DD", latitude=52.1, longitude=-1.3
    )
    result = station_import(election=election, path=FILES / "democracy_club.tsv", layout=DEMOCRACY_CLUB)
    assert result.status == "done", result.errors
    assert _boxes(election) == {
        "AN1": ("St Mary's Church Hall", True, ["AN1"]),
        "AN2": ("St Mary's Church Hall", True, ["AN2"]),
        "AN3": ("Northgate Primary School", False, ["AN3"]),
    }
    church = PollingStation.unscoped.get(election=election, council_id="5854")
    assert (church.address, church.postcode, church.uprn) == (
        "Church Lane, Anytown",
        "AT11AA",
        "100060000001",
    )
    school = PollingStation.unscoped.get(election=election, council_id="5901")
    assert (school.latitude, school.longitude) == (52.1, -1.3)  # from the postcode
    assert any("OT1" in note for note in result.notes)  # another CLP's district, skipped
    assert any("1 address row" in note for note in result.notes)  # no polling place allocated
    assert result.counts["stations_added"] == 2 and result.counts["boxes_added"] == 3


def test_importing_the_same_file_again_changes_nothing(election):
    station_import(election=election, path=FILES / "democracy_club.tsv", layout=DEMOCRACY_CLUB)
    again = station_import(election=election, path=FILES / "democracy_club.tsv", layout=DEMOCRACY_CLUB)
    assert again.status == "done"
    assert again.counts == {
        "stations_added": 0, "stations_changed": 0, "stations_unchanged": 2,
        "boxes_added": 0, "boxes_changed": 0, "boxes_unchanged": 3,
    }  # fmt: skip
    assert PollingStation.unscoped.filter(election=election).count() == 2


def test_a_box_list_with_its_own_locations(election):
    result = station_import(election=election, path=FILES / "box_list.csv", layout=BOX_LIST)
    assert result.status == "done", result.errors
    assert _boxes(election) == {
        "Box 1": ("St Mary's Church Hall", True, ["AN1"]),
        "Box 2": ("St Mary's Church Hall", True, ["AN2"]),
        "Box 3": ("Northgate Primary School", False, ["AN3", "AN4"]),
    }
    church = PollingStation.unscoped.get(election=election, name="St Mary's Church Hall")
    assert (church.latitude, church.longitude) == (52.0101, -1.2202)


def test_the_operator_names_the_columns(election, tmp_path):
    path = _write(
        tmp_path,
        "renamed.csv",
        "Polling place;x,Where,PC,Ballot box,PD\nTown Hall,1 Main St,AT1 1AA,B7,AN1\n".replace(";x", ""),
    )
    named = {
        "name": "Polling place",
        "address": "Where",
        "postcode": "PC",
        "box": "Ballot box",
        "districts": "PD",
    }
    result = station_import(election=election, path=path, layout=BOX_LIST, columns=named)
    assert result.status == "done", result.errors
    assert _boxes(election) == {"B7": ("Town Hall", False, ["AN1"])}
    assert any("latitude" in note for note in result.notes)  # optional default column absent: left out


def test_a_missing_named_column_is_rejected_naming_the_columns_seen(election, tmp_path):
    path = _write(tmp_path, "stations.csv", "Name,Postcode,Box\nTown Hall,AT1 1AA,B1\n")
    result = station_import(election=election, path=path, layout=BOX_LIST, columns={"name": "Name"})
    assert result.rejected
    reason = result.errors[0]["reason"]
    assert "'districts' (polling district(s))" in reason
    assert "The header line has: Name, Postcode, Box" in reason
    assert not PollingStation.unscoped.filter(election=election).exists()


def test_a_named_optional_column_is_binding(election, tmp_path):
    path = _write(tmp_path, "stations.csv", "station,box,districts\nTown Hall,B1,AN1\n")
    result = station_import(election=election, path=path, layout=BOX_LIST, columns={"uprn": "UPRN"})
    assert result.rejected
    assert "'UPRN' (station UPRN)" in result.errors[0]["reason"]


def test_bad_lines_reject_the_whole_file_with_their_numbers(election, tmp_path):
    path = _write(
        tmp_path,
        "stations.csv",
        "station,address,postcode,box,districts,latitude,longitude\n"
        "Town Hall,1 Main St,AT1 1AA,B1,AN1,52.1,-1.2\n"
        "Scout Hut,2 Main St,AT1 1AB,B2,AN2,north,-1.2\n"
        ",3 Main St,AT1 1AC,B3,AN3,,\n"
        "Library,4 Main St,NOT A POSTCODE,B4,AN4,,\n"
        "Chapel,5 Main St,AT1 1AD,B5,,,\n",
    )
    result = station_import(election=election, path=path, layout=BOX_LIST)
    assert result.rejected
    assert [(e["line"], e["column"]) for e in result.errors] == [
        (3, "latitude"),
        (4, "station"),
        (5, "postcode"),
        (6, "districts"),
    ]
    assert "is not a number" in result.errors[0]["reason"]
    assert not PollingStation.unscoped.filter(election=election).exists()


def test_one_box_label_at_two_stations_is_rejected(election, tmp_path):
    path = _write(tmp_path, "stations.csv", "station,box,districts\nTown Hall,B1,AN1\nScout Hut,B1,AN2\n")
    result = station_import(election=election, path=path, layout=BOX_LIST)
    assert result.rejected
    assert (
        "'B1' is listed at two stations: Town Hall (line 2) and Scout Hut (line 3)"
        in result.errors[0]["reason"]
    )
    assert not PollingStation.unscoped.filter(election=election).exists()


def test_a_file_for_another_constituency_is_rejected(election, tmp_path):
    path = _write(tmp_path, "stations.csv", "station,box,districts\nOtherton Library,B1,OT1\n")
    result = station_import(election=election, path=path, layout=BOX_LIST)
    assert result.rejected
    assert "None of the polling districts in the file are in Anytown" in result.errors[0]["reason"]
    assert "OT1" in result.errors[0]["reason"]


def test_not_a_text_file_is_rejected(election, tmp_path):
    path = tmp_path / "stations.xlsx"
    shutil.copy(FILES / "box_list.csv", path)
    path.write_bytes(b"PK\x03\x04" + path.read_bytes())
    result = station_import(election=election, path=path, layout=BOX_LIST)
    assert result.rejected
    assert "not a CSV" in result.errors[0]["reason"]


def test_a_windows_1252_file_is_read(election, tmp_path):
    path = _write(
        tmp_path, "stations.csv", "station,box,districts\nCaf\u00e9 Hall,B1,AN1\n", encoding="cp1252"
    )
    result = station_import(election=election, path=path, layout=BOX_LIST)
    assert result.status == "done", result.errors
    assert PollingStation.unscoped.get(election=election).name == "Caf\u00e9 Hall"
