"""Marked registers, postal/proxy lists, model scores and postcode locations through the staged pipeline."""

import datetime

import pytest

from voters.models import Elector, ElectorMark, ElectorScore, ModelVersion, PostcodeLocation
from voters.register_files import (
    write_absent_voters,
    write_marked_register,
    write_register,
    write_rows,
    write_scores,
)


@pytest.fixture
def registered(tmp_path, anytown, anytown_people, run_import):
    run_import(write_register(tmp_path / "full.csv", anytown_people, "halarose"), anytown.constituency)
    return anytown_people


def test_marked_register_flags_who_voted(tmp_path, anytown, registered, run_import):
    path = write_marked_register(tmp_path / "marked.csv", registered[:50])
    record = run_import(path, anytown.constituency, kind="marked", election="parl.2024-07-04")
    assert record.status == "done", record.errors
    assert record.added == 50
    mark = ElectorMark.unscoped.get(elector__elector_number_raw=registered[0].elector_number)
    assert (mark.kind, mark.election, mark.source) == ("voted", "parl.2024-07-04", record)
    again = run_import(path, anytown.constituency, kind="marked", election="parl.2024-07-04")
    assert (again.added, again.unchanged) == (0, 50)


def test_postal_and_proxy_list(tmp_path, anytown, registered, run_import):
    path = write_absent_voters(tmp_path / "avl.csv", registered[:30], proxy_every=10)
    record = run_import(path, anytown.constituency, kind="postal", election="local.anytown.2026-05-07")
    assert record.status == "done", record.errors
    assert ElectorMark.unscoped.filter(kind="proxy").count() == 3
    assert ElectorMark.unscoped.filter(kind="postal").count() == 27


def test_marks_need_an_election_id(tmp_path, anytown, registered, run_import):
    record = run_import(
        write_marked_register(tmp_path / "m.csv", registered[:5]),
        anytown.constituency,
        kind="marked",
        election="last thursday",
    )
    assert record.status == "rejected"
    assert "Democracy Club id" in record.errors[0]["reason"]


def test_scores_become_a_model_version_and_reimport_changes_nothing(
    tmp_path, anytown, registered, run_import
):
    path = write_scores(tmp_path / "s.csv", registered)
    record = run_import(path, anytown.constituency, kind="scores", model="Support model", run_on="2026-11-01")
    assert record.status == "done", record.errors
    version = ModelVersion.unscoped.get()
    assert (version.name, version.run_on, version.score_names) == (
        "Support model",
        datetime.date(2026, 11, 1),
        ["support", "turnout"],
    )
    assert ElectorScore.unscoped.count() == 600
    again = run_import(path, anytown.constituency, kind="scores", model="Support model", run_on="2026-11-01")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 600)
    likely = Elector.unscoped.filter(
        scores__model_version=version, scores__name="support", scores__value__gte=0.5
    )
    assert 100 < likely.count() < 200


def test_scores_by_elector_id(tmp_path, anytown, registered, run_import):
    elector = Elector.unscoped.first()
    path = write_rows(tmp_path / "ids.csv", ["Elector ID", "Support"], [[str(elector.pk), "0.75"]])
    record = run_import(path, anytown.constituency, kind="scores", model="By id")
    assert record.status == "done", record.errors
    assert elector.scores.get().value == 0.75


def test_non_numeric_score_rejects_the_file(tmp_path, anytown, registered, run_import):
    path = write_rows(
        tmp_path / "bad.csv", ["Elector Number", "support"], [[registered[0].elector_number, "high"]]
    )
    record = run_import(path, anytown.constituency, kind="scores", model="Bad")
    assert record.status == "rejected"
    assert record.errors[0] == {"line": 2, "column": "support", "value": "high", "reason": "is not a number"}
    assert not ModelVersion.unscoped.exists()


def test_postcode_locations_place_properties(tmp_path, anytown, registered, run_import):
    postcode = next(p.postcode for p in registered if p.postcode)
    rows = [[postcode, "52.1", "0.12", ""], ["ZZ1 1ZZ", "51.5", "-0.1", "202001"]]
    path = write_rows(tmp_path / "onspd.csv", ["PCD", "Latitude", "Longitude", "Terminated"], rows)
    record = run_import(
        path,
        None,
        kind="postcodes",
        postcode="PCD",
        latitude="Latitude",
        longitude="Longitude",
        terminated="Terminated",
    )
    assert record.status == "done", record.errors
    assert PostcodeLocation.objects.get(postcode="ZZ11ZZ").terminated == datetime.date(2020, 1, 1)
    placed = Elector.unscoped.filter(home__postcode_display=postcode).first().home
    assert (placed.latitude, placed.longitude) == (52.1, 0.12)


def test_postcode_columns_are_checked(tmp_path, run_import, anytown):
    path = write_rows(tmp_path / "onspd.csv", ["pcd", "lat"], [["AB1 1AA", "52"]])
    record = run_import(path, None, kind="postcodes")
    assert record.status == "rejected"
    assert "Missing column(s) 'pcds' (postcode), 'long' (longitude)" in record.errors[0]["reason"]


def test_the_same_elector_twice_rejects_a_score_file(tmp_path, anytown, registered, run_import):
    number = registered[0].elector_number
    path = write_rows(tmp_path / "dup.csv", ["Elector Number", "support"], [[number, "0.1"], [number, "0.2"]])
    record = run_import(path, anytown.constituency, kind="scores", model="Dup")
    assert record.status == "rejected"
    assert record.errors == [
        {"line": 2, "column": "elector", "value": "", "reason": "the same elector twice (also on line 3)"},
        {"line": 3, "column": "elector", "value": "", "reason": "the same elector twice (first on line 2)"},
    ]
