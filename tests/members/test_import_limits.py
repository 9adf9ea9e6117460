"""Member imports are bounded: the upload size, what a workbook unpacks to, the length of a cell, and
the memory of the process reading the file (the web request and the worker alike). An import whose
task fails ends as failed, with the reason, never stuck running."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from members import importers, tasks
from members.models import ImportMapping, Member, MemberImport
from tests.memory import MB, memory_bound

HEADER = "Membership Number,Forename,Surname\r\n"


def _workbook_parts():
    """The parts of a minimal valid workbook."""
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as source:
        return {name: source.read(name) for name in source.namelist()}


def write_bomb(path, *, rows, cells=20, string="x" * 1000):
    """A workbook whose first sheet holds `rows` rows of `cells` cells, each a reference to one shared
    `string`: a few hundred KB on disk, `rows * cells * len(string)` characters once read."""
    parts = _workbook_parts()
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
        f"<si><t>Membership Number</t></si><si><t>{string}</t></si></sst>"
    ).encode()
    row = ("<row>" + '<c t="s"><v>1</v></c>' * cells + "</row>").encode()
    parts["xl/sharedStrings.xml"] = shared
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                bomb.writestr(name, data)
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row><c t="s"><v>0</v></c></row>'
            )
            batch = row * 1000
            for _ in range(rows // 1000):
                sheet.write(batch)
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """About 450 KB that unpacks to a sheet of 112 MB (and to 5 GB of cells)."""
    path = write_bomb(tmp_path_factory.mktemp("bomb") / "members.xlsx", rows=260_000)
    assert path.stat().st_size < 1 * MB
    return path


def _stored_import(anytown, data, name="members.csv"):
    mapping = ImportMapping.unscoped.create(
        constituency=anytown.constituency,
        name="Export",
        columns={"membership_number": "Membership Number", "first_name": "Forename", "last_name": "Surname"},
    )
    return MemberImport.unscoped.create(
        constituency=anytown.constituency,
        mapping=mapping,
        file=ContentFile(data, name=name),
        file_name=name,
    )


def _upload(client, anytown, name, data):
    return client.post(
        reverse("members:import_upload"),
        {"constituency": anytown.constituency.pk, "file": SimpleUploadedFile(name, data)},
    )


def test_a_zip_bomb_workbook_is_refused_at_upload_with_bounded_memory(
    client, anytown, anytown_secretary, zip_bomb
):
    client.force_login(anytown_secretary)
    data = zip_bomb.read_bytes()
    with memory_bound(100) as peak:
        response = _upload(client, anytown, "members.xlsx", data)
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert "unpacks to more than" in error and "MB" in error
    assert not MemberImport.unscoped.exists()
    print(f"upload of a zip bomb: memory rose {peak.rise_mb} MB")


def test_a_zip_bomb_workbook_stored_for_the_worker_is_rejected_with_bounded_memory(anytown, zip_bomb):
    member_import = _stored_import(anytown, zip_bomb.read_bytes(), name="members.xlsx")
    with memory_bound(100) as peak:
        member_import = importers.member_import_run(import_id=member_import.pk)
    assert member_import.state == MemberImport.State.REJECTED
    assert "unpacks to more than" in member_import.report["error"]
    assert not Member.unscoped.exists()
    print(f"worker given a zip bomb: memory rose {peak.rise_mb} MB")


def test_a_workbook_with_an_over_long_cell_is_rejected_naming_the_cell(anytown, tmp_path):
    # Small on disk and when unpacked: the size is in one shared string that every cell repeats.
    path = write_bomb(tmp_path / "long.xlsx", rows=1000, string="x" * (importers.MAX_CELL_CHARS + 1))
    member_import = _stored_import(anytown, path.read_bytes(), name="members.xlsx")
    with memory_bound(100):
        member_import = importers.member_import_run(import_id=member_import.pk)
    assert member_import.state == MemberImport.State.REJECTED
    assert member_import.report["error"] == (
        f"Row 2, column A: a cell of {importers.MAX_CELL_CHARS + 1:,} characters; "
        f"a cell may hold at most {importers.MAX_CELL_CHARS:,}."
    )


def test_a_csv_over_the_upload_limit_is_refused_at_upload(client, anytown, anytown_secretary, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 2 * MB  # a 200 MB file, scaled down
    client.force_login(anytown_secretary)
    rows = "".join(f"A{100000 + n},Ann,Anytownley\r\n" for n in range(120_000))  # 2.7 MB
    response = _upload(client, anytown, "members.csv", (HEADER + rows).encode())
    (error,) = response.context["form"].errors["file"]
    assert error == "The file is 2.7 MB; the limit is 2 MB. Export the members of one CLP at a time."
    assert not MemberImport.unscoped.exists()


def test_a_stored_csv_over_the_limit_is_rejected_by_the_worker(anytown, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 1 * MB
    rows = "".join(f"A{100000 + n},Ann,Anytownley\r\n" for n in range(60_000))
    member_import = importers.member_import_run(
        import_id=_stored_import(anytown, (HEADER + rows).encode()).pk
    )
    assert member_import.state == MemberImport.State.REJECTED
    assert member_import.report["error"] == (
        "The file is 1.4 MB; the limit is 1 MB. Export the members of one CLP at a time."
    )
    assert not Member.unscoped.exists()


def test_a_csv_is_read_with_flat_memory(anytown):
    """A 40 MB file is staged through a temporary file a chunk at a time, not held in memory."""
    rows = "".join(f"A{100000 + n},Ann,Anytownley{'x' * 60}\r\n" for n in range(480_000))
    member_import = _stored_import(anytown, (HEADER + rows).encode())
    del rows
    with memory_bound(60) as peak:
        member_import = importers.member_import_run(import_id=member_import.pk)
    assert member_import.state == MemberImport.State.DONE, member_import.report
    print(f"40 MB CSV: memory rose {peak.rise_mb} MB")


def test_a_task_that_fails_ends_the_import_as_failed_with_the_reason(anytown):
    member_import = _stored_import(anytown, (HEADER + "A100001,Ann,Anytownley\r\n").encode())
    member_import.file.storage.delete(member_import.file.name)  # the stored file is lost
    with pytest.raises(FileNotFoundError):
        tasks.member_import_run(member_import.pk)
    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.FAILED
    assert member_import.finished_at is not None
    assert member_import.report["error"].startswith("The import failed unexpectedly (FileNotFoundError")
    assert "nothing was changed" in member_import.report["error"]


def test_the_page_of_a_failed_import_says_why_and_stops_polling(client, anytown, anytown_secretary):
    member_import = _stored_import(anytown, (HEADER + "A100001,Ann,Anytownley\r\n").encode())
    member_import.file.storage.delete(member_import.file.name)
    with pytest.raises(FileNotFoundError):
        tasks.member_import_run(member_import.pk)
    client.force_login(anytown_secretary)
    page = client.get(reverse("members:import_detail", args=[member_import.pk]), HTTP_HX_REQUEST="true")
    assert b"Failed" in page.content and b"failed unexpectedly" in page.content
    assert b"hx-trigger" not in page.content


# --- Files that are not what they say (issue #10, item 9) ----------------------------------------


def test_a_utf16_csv_is_mapped_and_imported(client, anytown, anytown_secretary):
    """Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated."""
    client.force_login(anytown_secretary)
    data = "Membership Number\tForename\tSurname\r\nA100001\tZoë\tAnytownley\r\n".encode("utf-16")
    response = _upload(client, anytown, "members.txt", data)
    mapper = client.get(response.url)
    assert mapper.status_code == 200
    assert [h for h, _ in mapper.context["form"].fields["col_first_name"].choices if h] == [
        "Membership Number",
        "Forename",
        "Surname",
    ]
    client.post(
        response.url,
        {
            "mapping_name": "Unicode text",
            "col_membership_number": "Membership Number",
            "col_first_name": "Forename",
            "col_last_name": "Surname",
        },
    )
    member_import = importers.member_import_run(import_id=MemberImport.unscoped.get().pk)
    assert member_import.state == MemberImport.State.DONE, member_import.report
    assert Member.unscoped.get().first_name == "Zoë"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            ("Membership Number," + "x" * 10_000_000 + "\r\nA1,x\r\n").encode(),
            "The first line (the column headers) is longer than 64 KB: this is not a membership export, "
            "or its lines do not end in line breaks.",
        ),
        (
            b"PK\x03\x04" + bytes(range(256)) * 20,
            "This is not a CSV or tab-separated text file: it looks like a spreadsheet (XLSX) or zip file. "
            "Save it as CSV (UTF-8) and upload that.",
        ),
        (
            bytes(range(256)) * 20,
            "This is not a CSV or tab-separated text file (it holds binary data, such as NUL bytes, in its "
            "first lines). Save it as CSV (UTF-8) and upload that.",
        ),
        (
            "Membership Number,Forename,Surname\r\nA100001,太郎,山田\r\nA100002,花子,佐藤\r\n".encode(
                "shift_jis"
            ),
            "The file is neither UTF-8 nor Windows-1252: it reads as symbols from line 2 (another encoding, "
            "such as Shift-JIS?). Save it as CSV (UTF-8) and upload that.",
        ),
    ],
    ids=["10 MB header line", "workbook named .csv", "binary", "Shift-JIS"],
)
def test_a_file_that_is_not_a_readable_csv_is_refused_at_upload_saying_why(
    client, anytown, anytown_secretary, data, message
):
    client.force_login(anytown_secretary)
    response = _upload(client, anytown, "members.csv", data)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert not MemberImport.unscoped.exists()


def test_a_long_line_is_rejected_by_the_worker_naming_it(anytown):
    data = (HEADER + "A100001,Ann,Anytownley\r\n" + "A100002,Bob," + "x" * 2_000_000 + "\r\n").encode()
    member_import = importers.member_import_run(import_id=_stored_import(anytown, data).pk)
    assert member_import.state == MemberImport.State.REJECTED
    assert member_import.report["error"] == (
        "Line 3 is longer than 1 MB: a line of a membership export is a few hundred characters."
    )


def test_a_csv_with_old_mac_line_endings_imports(anytown):
    """Lines ending in a carriage return alone (found by the fuzz test: it was a 500 at upload)."""
    data = (HEADER + "A100001,Ann,Anytownley\r\nA100002,Bob,Anytownby\r\n").replace("\r\n", "\r").encode()
    member_import = importers.member_import_run(import_id=_stored_import(anytown, data).pk)
    assert member_import.state == MemberImport.State.DONE, member_import.report
    assert sorted(Member.unscoped.values_list("first_name", flat=True)) == ["Ann", "Bob"]


def test_the_fuzz_tests_old_mac_file_is_offered_to_the_mapper(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    response = _upload(client, anytown, "members.csv", b"Membership Number,Forename,Surname\r,")
    assert response.status_code == 302
    mapper = client.get(response.url)
    assert [h for h, _ in mapper.context["form"].fields["col_first_name"].choices if h] == [
        "Membership Number",
        "Forename",
        "Surname",
    ]


def test_an_import_whose_worker_died_ends_failed_when_the_task_comes_back(anytown):
    """A worker killed mid-import (out of memory, say) leaves it running; with late acks the broker
    delivers the task again. The import then ends failed, saying so, and is not run again."""
    member_import = _stored_import(anytown, (HEADER + "A100001,Ann,Anytownley\r\n").encode())
    MemberImport.unscoped.filter(pk=member_import.pk).update(state=MemberImport.State.RUNNING)
    tasks.member_import_run(member_import.pk)
    member_import.refresh_from_db()
    assert member_import.state == MemberImport.State.FAILED
    assert member_import.report["error"].startswith("The import stopped without finishing")
    assert not Member.unscoped.exists()


def test_a_workbook_whose_shared_text_is_over_the_limit_is_refused(anytown, tmp_path, monkeypatch):
    """openpyxl reads a workbook's shared strings whole, so their size is capped on its own."""
    monkeypatch.setattr(importers, "MAX_SHARED_STRINGS_BYTES", 1 * MB)  # 32 MB, scaled down
    path = write_bomb(tmp_path / "text.xlsx", rows=1000, cells=1, string="x" * (MB + 1))
    member_import = _stored_import(anytown, path.read_bytes(), name="members.xlsx")
    member_import = importers.member_import_run(import_id=member_import.pk)
    assert member_import.state == MemberImport.State.REJECTED
    assert member_import.report["error"] == (
        "The workbook's table of text is more than 1 MB (1.0 MB): save it as CSV and upload that."
    )


def test_a_nul_byte_in_the_header_line_of_a_utf16_file_is_refused_at_upload(
    client, anytown, anytown_secretary
):
    client.force_login(anytown_secretary)
    data = "Membership Number,Fore\x00name,Surname\r\nA1,Ann,Anytownley\r\n".encode("utf-16")
    response = _upload(client, anytown, "members.csv", data)
    assert response.context["form"].errors["file"] == [
        "The first line (the column headers) holds a NUL byte: this is not a text export."
    ]
