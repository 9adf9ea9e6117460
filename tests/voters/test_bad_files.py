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
    assert not Elector.unscoped.exists() and not Property.unscoped.exists()
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
            "line": 2,
            "column": "Elector Number",
            "value": "AN1-1",
            "reason": "duplicate elector number (also on line 3)",
        },
        {
            "line": 3,
            "column": "Elector Number",
            "value": "AN1-1",
            "reason": "duplicate elector number (first on line 2)",
        },
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


# --- Encodings and over-long lines (issue #10, item 9) ----------------------------------------


def test_a_shift_jis_register_is_refused_not_imported_as_mojibake(tmp_path, anytown, run_import):
    rows = [xpress_row(number=str(n), surname=name) for n, name in enumerate(["山田", "佐藤", "鈴木"], 1)]
    rows[1][8] = "東京都新宿区西新宿2-8-1"
    path = write_rows(tmp_path / "sjis.csv", XPRESS_HEADER, rows, encoding="shift_jis")
    (error,) = rejected(run_import(path, anytown.constituency))
    # Line 2's 山田 happens to read as letters and quotes in Windows-1252 ("ŽR“c"); line 3 does not.
    assert error["reason"] == (
        "The file is neither UTF-8 nor Windows-1252: it reads as symbols from line 3 (another "
        "encoding, such as Shift-JIS?). Save it as CSV (UTF-8) and upload that."
    )


def test_a_windows_1252_register_with_accents_and_curly_apostrophes_still_imports(
    tmp_path, anytown, run_import
):
    rows = [
        xpress_row(number="1", surname="O’Brien"),
        xpress_row(number="2", surname="Brontë"),
        xpress_row(number="3", surname="Þórðardóttir"),
    ]
    path = write_rows(tmp_path / "cp1252.csv", XPRESS_HEADER, rows, encoding="cp1252")
    record = run_import(path, anytown.constituency)
    assert record.status == "done", record.errors
    assert set(Elector.unscoped.values_list("surname", flat=True)) == {"O’Brien", "Brontë", "Þórðardóttir"}


def test_a_utf16_register_from_excel_unicode_text_imports(tmp_path, anytown, run_import):
    rows = [xpress_row(number="1", surname="Zoë"), xpress_row(number="2")]
    path = write_rows(tmp_path / "u16.txt", XPRESS_HEADER, rows, encoding="utf-16", delimiter="\t")
    record = run_import(path, anytown.constituency)
    assert record.status == "done", record.errors
    assert Elector.unscoped.filter(surname="Zoë").exists()


def test_a_ten_megabyte_line_is_rejected_naming_the_line(tmp_path, anytown, run_import):
    rows = [xpress_row(number="1"), xpress_row(number="2", surname="x" * 10_000_000), xpress_row(number="3")]
    record = run_import(write_rows(tmp_path / "long.csv", XPRESS_HEADER, rows), anytown.constituency)
    (error,) = rejected(record)
    assert (error["line"], error["column"]) == (3, "(whole line)")
    assert error["reason"] == f"the line is longer than {base.MAX_LINE_CHARS // 1024} KB"


def test_a_ten_megabyte_header_line_is_rejected(tmp_path, anytown, run_import):
    path = tmp_path / "header.csv"
    path.write_text("Elector Number," + "x" * 10_000_000 + "\nAN1-1,x\n")
    (error,) = rejected(run_import(path, anytown.constituency))
    assert error["reason"] == (
        f"The first line (the column headers) is longer than {base.MAX_LINE_CHARS // 1024} KB: "
        "this is not a register file, or its lines do not end in line breaks."
    )


def test_a_binary_file_named_csv_is_refused_saying_what_it_looks_like(tmp_path, anytown, run_import):
    path = tmp_path / "register.csv"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (error,) = rejected(run_import(path, anytown.constituency))
    assert error["reason"] == (
        "This is not a CSV or tab-separated text file: it looks like a PDF. "
        "Save it as CSV (UTF-8) and upload that."
    )


def test_a_workbook_uploaded_as_a_register_is_refused_by_the_form(client, anytown, anytown_secretary):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from voters.models import RegisterImport

    client.force_login(anytown_secretary)
    response = client.post(
        reverse("voters:imports"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "full",
            "file": SimpleUploadedFile("register.csv", b"PK\x03\x04" + bytes(range(256)) * 8),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This is not a CSV or tab-separated text file: it looks like a spreadsheet (XLSX) or zip file. "
        "Save it as CSV (UTF-8) and upload that."
    ]
    assert not RegisterImport.unscoped.exists()


def test_a_register_import_whose_worker_died_ends_failed_when_its_task_comes_back(tmp_path, anytown):
    """A killed worker leaves the import running; late acks deliver the task again: it then ends
    failed, saying why, instead of staying "running" for ever."""
    from django.core.files import File

    from voters.models import RegisterImport
    from voters.services import register_import_create
    from voters.tasks import register_import_task

    path = write_rows(tmp_path / "r.csv", XPRESS_HEADER, [xpress_row()])
    with open(path, "rb") as f:
        record = register_import_create(
            constituency=anytown.constituency, kind="full", file=File(f, name="r.csv")
        )
    RegisterImport.unscoped.filter(pk=record.pk).update(status=RegisterImport.Status.RUNNING)
    register_import_task(record.pk)
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.FAILED and record.finished_at
    assert record.notes == [
        "The import stopped without finishing: the worker running it was stopped (it may have run out "
        "of memory). Nothing was changed. Try again; if it stops again, tell the platform operator."
    ]
    assert not Elector.unscoped.exists()


def test_a_nul_byte_in_a_bad_value_is_reported_not_a_crash(tmp_path, anytown, run_import):
    """Found by the fuzz test: the report (jsonb) could not hold the value, and the import crashed."""
    rows = [xpress_row(number=str(n)) for n in range(1, 301)]  # the NUL past the first 8 KB:
    rows[249][1] = "250\x00x"  # earlier, it is taken for a binary file
    errors = rejected(run_import(write_rows(tmp_path / "nul.csv", XPRESS_HEADER, rows), anytown.constituency))
    assert [(e["line"], e["column"], e["value"]) for e in errors] == [(251, "Elector Number", "250\\x00x")]


def test_every_problem_is_reported_in_one_pass(tmp_path, anytown, run_import):
    """A bad value on one line and a duplicate elector number on two others: all three lines are
    reported at once, not the duplicate only after the bad value is fixed and the file uploaded again."""
    rows = [
        xpress_row(number="1"),
        xpress_row(number="2"),
        xpress_row(number="x3"),
        xpress_row(number="2", surname="Other"),
        xpress_row(number="5"),
    ]
    errors = rejected(
        run_import(write_rows(tmp_path / "both.csv", XPRESS_HEADER, rows), anytown.constituency)
    )
    assert [(e["line"], e["column"], e["value"], e["reason"]) for e in errors] == [
        (3, "Elector Number", "AN1-2", "duplicate elector number (also on line 5)"),
        (4, "Elector Number", "x3", "is not a whole number (up to 9 digits)"),
        (5, "Elector Number", "AN1-2", "duplicate elector number (first on line 3)"),
    ]
