"""Postcode locations: ONS Postcode Directory-style files with the column names the operator gives,
on the upload page and with `manage.py import_postcodes`, through the real staged pipeline."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import UserFactory, with_totp
from tests.voters.factories import PropertyFactory
from voters.models import PostcodeLocation, RegisterImport
from voters.register_files import write_rows
from voters.services import register_import_run

# The shape of the real ONSPD: many columns; the ones we read are pcds, doterm, lat and long.
pytestmark = pytest.mark.django_db

ONSPD_HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "lat", "long", "pcon"]


def onspd_row(pcds, lat, long, doterm=""):
    return [pcds.replace(" ", ""), pcds, pcds, "198001", doterm, "E99999999", lat, long, "E14099001"]


@pytest.fixture
def operator():
    user = UserFactory(email="operator@labourhub.example", is_superuser=True, is_staff=True)
    with_totp(user)
    return user


@pytest.fixture
def anytown_home(anytown):
    return PropertyFactory(
        polling_district=anytown.polling_district,
        address="1 Anytown Road",
        postcode="AT11AA",
        postcode_display="AT1 1AA",
    )


def run_command(*args):
    out = io.StringIO()
    call_command("import_postcodes", *map(str, args), stdout=out)
    return out.getvalue()


def test_command_reads_the_onspd_columns_by_default_and_keeps_terminated_postcodes(tmp_path, anytown_home):
    rows = [onspd_row("AT1 1AA", "52.2053", "0.1218"), onspd_row("AT9 9ZZ", "52.1", "0.2", doterm="201905")]
    report = run_command(write_rows(tmp_path / "ONSPD_NOV_2026_UK.csv", ONSPD_HEADER, rows))
    assert "Postcode locations ONSPD_NOV_2026_UK.csv: Imported" in report
    assert "Added 2, changed 0, removed 0, unchanged 0." in report
    assert "1 properties placed on the map." in report
    assert PostcodeLocation.objects.get(postcode="AT99ZZ").terminated == datetime.date(2019, 5, 1)
    anytown_home.refresh_from_db()
    assert (anytown_home.latitude, anytown_home.longitude) == (52.2053, 0.1218)
    record = RegisterImport.unscoped.get()
    assert (record.constituency, record.kind) == (None, "postcodes")
    assert record.options == {"postcode": "pcds", "latitude": "lat", "longitude": "long"}


def test_command_takes_the_column_names(tmp_path, anytown_home):
    header = ["Postcode", "Latitude", "Longitude", "Terminated"]
    path = write_rows(tmp_path / "locations.csv", header, [["at1 1aa", "52.3", "0.15", "202401"]])
    report = run_command(
        path,
        "--postcode-column", "Postcode", "--lat-column", "Latitude",
        "--long-column", "Longitude", "--terminated-column", "Terminated",
    )  # fmt: skip
    assert "Imported" in report
    location = PostcodeLocation.objects.get()
    assert (location.postcode_display, location.latitude, location.terminated) == (
        "AT1 1AA",
        52.3,
        datetime.date(2024, 1, 1),
    )
    assert RegisterImport.unscoped.get().options == {
        "postcode": "Postcode",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "terminated": "Terminated",
    }


def test_a_missing_named_column_is_rejected_naming_the_columns_seen(tmp_path, anytown_home):
    path = write_rows(tmp_path / "locations.csv", ["Postcode", "Lat", "Lon"], [["AT1 1AA", "52.3", "0.15"]])
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected; nothing was changed"):
        call_command("import_postcodes", str(path), "--postcode-column", "Postcode", stdout=out)
    report = out.getvalue()
    assert "Missing column(s) 'lat' (latitude)" not in report  # Lat matches lat whatever the case
    assert "Missing column(s) 'long' (longitude). The header line has: Postcode, Lat, Lon." in report
    assert not PostcodeLocation.objects.exists()
    anytown_home.refresh_from_db()
    assert anytown_home.latitude is None


def test_a_named_termination_column_must_be_there_and_a_blank_one_means_none(tmp_path):
    path = write_rows(tmp_path / "locations.csv", ["pcds", "lat", "long"], [["AT1 1AA", "52.3", "0.15"]])
    with pytest.raises(CommandError):
        run_command(path, "--terminated-column", "Ended")
    assert "Missing column(s) 'Ended' (termination date)" in RegisterImport.unscoped.get().errors[0]["reason"]
    assert "Imported" in run_command(path, "--terminated-column", "")
    assert PostcodeLocation.objects.get().terminated is None


def test_a_file_without_doterm_counts_every_postcode_live(tmp_path):
    path = write_rows(tmp_path / "locations.csv", ["pcds", "lat", "long"], [["AT1 1AA", "52.3", "0.15"]])
    report = run_command(path)
    assert "Note: No termination date column: every postcode is taken as live." in report


def test_the_operator_names_the_columns_on_the_upload_page(client, tmp_path, operator, anytown_home):
    client.force_login(operator)
    form = client.get(reverse("voters:imports")).context["form"]
    assert [form[f"{key}_column"].initial for key in ("postcode", "latitude", "longitude", "terminated")] == [
        "pcds",
        "lat",
        "long",
        "doterm",
    ]
    path = write_rows(
        tmp_path / "grid.csv",
        ["PC", "Y", "X", "End"],
        [["AT1 1AA", "52.4", "0.16", ""], ["AT2 2BB", "52", "0", ""]],
    )
    columns = {
        "postcode_column": "PC",
        "latitude_column": "Y",
        "longitude_column": "X",
        "terminated_column": "",
    }
    with path.open("rb") as f:
        response = client.post(reverse("voters:imports"), {"kind": "postcodes", "file": f, **columns})
    record = RegisterImport.unscoped.get()
    assert response.url == reverse("voters:import", args=[record.pk])
    assert record.options == {"postcode": "PC", "latitude": "Y", "longitude": "X", "terminated": ""}
    record = register_import_run(register_import=record)  # what the worker runs
    assert (record.status, record.added) == ("done", 2), record.errors
    anytown_home.refresh_from_db()
    assert anytown_home.latitude == 52.4
    page = client.get(reverse("voters:import", args=[record.pk])).content.decode()
    assert "postcode <code>PC</code>" in page and "termination date none" in page
    again = client.get(reverse("voters:imports")).context["form"]
    assert (again["postcode_column"].initial, again["terminated_column"].initial) == ("PC", "")


def test_the_upload_page_needs_the_location_columns(client, tmp_path, operator):
    client.force_login(operator)
    path = write_rows(tmp_path / "p.csv", ["pcds", "lat", "long"], [["AT1 1AA", "52", "0"]])
    with path.open("rb") as f:
        response = client.post(
            reverse("voters:imports"),
            {
                "kind": "postcodes",
                "file": f,
                "postcode_column": "pcds",
                "latitude_column": " ",
                "longitude_column": "long",
            },
        )
    assert response.status_code == 200
    assert response.context["form"].errors["latitude_column"] == ["Name the column with the latitude."]
    assert not RegisterImport.unscoped.exists()


def test_clp_officers_see_no_postcode_columns(client, anytown_secretary):
    client.force_login(anytown_secretary)
    form = client.get(reverse("voters:imports")).context["form"]
    assert "postcode_column" not in form.fields
    assert "postcodes" not in dict(form.fields["kind"].choices)
