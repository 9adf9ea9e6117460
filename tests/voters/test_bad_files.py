"""Bad files are rejected whole, with line-level reasons, and change nothing."""

import pytest

from labourhub.models import PollingDistrict
from voters.importers import base
from voters.models import Elector, Property
from voters.register_files import LAYOUTS, write_register, write_rows

XPRESS_HEADER = LAYOUTS["xpress14"][0]


def xpress_row(prefix="AN1", number="1", surname="Anytownson", postcode="AT1 1AA", **overrides):
    return [prefix, number, "", "", "", surname, "Ann", postcode, "1 High Street", "Anytown", "", "", "", ""]


def rejected(record):
    assert record.status == "rejected"
    assert not Elector.objects.exists() and not Property.objects.exists()
    return record.errors


def test_bad_rows_are_listed_with_line_column_value_and_reason(tmp_path, anytown, run_import):
    rows = [
        xpress_row(),
        xpress_row(number="12a"),
        xpress_row(number="3", postcode="NOT A PC"),
        xpress_row(number="4", surname=""),
        xpress_row(number="1"),
    ]
    errors = rejected(run_import(write_rows(tmp_path / "bad.csv", XPRESS_HEADER, rows), anytown.constituency))
    assert {(e["line"], e["column"], e["value"]) for e in errors} >= {
        (3, "Elector Number", "12a"),
        (4, "PostCode", "NOT A PC"),
        (5, "Elector Surname", ""),
    }
    assert any("is not a whole number" in e["reason"] for e in errors)


def test_duplicate_elector_numbers_reject_the_file(tmp_path, anytown, run_import):
    rows = [xpress_row(), xpress_row(surname="Other"), xpress_row(number="2")]
    errors = rejected(run_import(write_rows(tmp_path / "dup.csv", XPRESS_HEADER, rows), anytown.constituency))
    assert errors == [
        {
            "line": 3,
            "column": "Elector Number",
            "value": "AN1-1",
            "reason": "duplicate elector number (first on line 2)",
        }
    ]


def test_new_polling_district_is_not_created_when_the_file_is_rejected(tmp_path, anytown, run_import):
    rows = [xpress_row(prefix="ZZ9"), xpress_row(prefix="ZZ9", number="x")]
    rejected(run_import(write_rows(tmp_path / "pd.csv", XPRESS_HEADER, rows), anytown.constituency))
    assert not PollingDistrict.objects.filter(code="ZZ9").exists()


def test_unknown_format_names_the_headers_seen_and_expected(tmp_path, anytown, run_import):
    path = write_rows(tmp_path / "odd.csv", ["Name", "Street"], [["Ann Anytown", "High St"]])
    (error,) = rejected(run_import(path, anytown.constituency))
    assert "The header line has: Name, Street" in error["reason"]
    assert "Xpress (14 columns): Elector Number Prefix" in error["reason"]
    assert "Halarose" in error["reason"]


def test_missing_required_column_is_an_unknown_format(tmp_path, anytown, run_import):
    header = [h for h in XPRESS_HEADER if h != "PostCode"]
    path = write_rows(tmp_path / "m.csv", header, [xpress_row()[:7] + xpress_row()[8:]])
    (error,) = rejected(run_import(path, anytown.constituency))
    assert "Unknown file format" in error["reason"]


def test_truncated_file(tmp_path, anytown, anytown_people, run_import):
    path = write_register(tmp_path / "t.csv", anytown_people, "xpress14")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    errors = rejected(run_import(path, anytown.constituency))
    assert "truncated" in errors[-1]["reason"]
    assert errors[-1]["line"] == 301


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "not a CSV"),
        (",".join(XPRESS_HEADER).encode() + b"\n", "no rows"),
    ],
)
def test_empty_binary_and_header_only_files(content, message, tmp_path, anytown, run_import):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    (error,) = rejected(run_import(path, anytown.constituency))
    assert message in error["reason"]


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path, anytown, run_import, monkeypatch):
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 1000)  # a 2 GB file, scaled down
    path = write_rows(tmp_path / "big.csv", XPRESS_HEADER, [xpress_row(number=str(n)) for n in range(1, 50)])
    (error,) = rejected(run_import(path, anytown.constituency))
    assert "larger than" in error["reason"]


def test_first_thousand_errors_are_kept_and_all_counted(tmp_path, anytown, run_import):
    rows = [xpress_row(number=f"x{n}") for n in range(1500)]
    record = run_import(write_rows(tmp_path / "many.csv", XPRESS_HEADER, rows), anytown.constituency)
    assert len(rejected(record)) == 1000
    assert record.rejected == 1500
