"""An import's progress is the rows read so far, saved and committed after each COPYed chunk, so
the page (another database session) sees it move while the file is read."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse

from members import importers
from members.models import ImportMapping, Member, MemberImport

HEADER = "Membership Number,Forename,Surname,Address1\r\n"


@pytest.fixture
def small_chunks(monkeypatch):
    """About a hundred rows a chunk, so a file of a few thousand rows is read in many."""
    monkeypatch.setattr(importers, "COPY_CHUNK_BYTES", 4096)


def _stored_import(anytown, rows, name="Export"):
    mapping = ImportMapping.unscoped.create(
        constituency=anytown.constituency,
        name=name,
        columns=importers.guess_mapping(HEADER.strip().split(",")),
    )
    return MemberImport.unscoped.create(
        constituency=anytown.constituency,
        mapping=mapping,
        file=ContentFile((HEADER + "".join(rows)).encode(), name="members.csv"),
        file_name="members.csv",
    )


@pytest.mark.django_db(transaction=True)
def test_progress_is_saved_chunk_by_chunk_where_another_session_sees_it(anytown, small_chunks):
    member_import = _stored_import(
        anytown, [f"A{100000 + n},Ann,Anytownley,{n} Long Road\r\n" for n in range(2000)]
    )
    page = connection.get_new_connection(connection.get_connection_params())  # as the progress page would
    seen = []

    def observe(rows_read, rows_total):
        with page.cursor() as cursor:
            cursor.execute(
                "SELECT rows_read, rows_total FROM members_memberimport WHERE id = %s", [member_import.pk]
            )
            seen.append(((rows_read, rows_total), cursor.fetchone()))

    try:
        importers.member_import_run(import_id=member_import.pk, on_progress=observe)
    finally:
        page.close()
    reported = [told for told, _ in seen]
    assert [stored for _, stored in seen] == reported  # committed as soon as reported
    assert len(reported) > 10
    assert {total for _, total in reported} == {2000}
    done = [read for read, _ in reported]
    assert done == sorted(set(done)) and done[0] > 0 and done[-1] == 2000
    assert Member.unscoped.count() == 2000
    member_import.refresh_from_db()
    assert (member_import.state, member_import.rows_read, member_import.rows_total) == ("done", 2000, 2000)


def test_a_line_break_inside_quotes_never_splits_a_row_between_chunks(anytown, small_chunks):
    rows = [f'A{100000 + n},Ann,Anytownley,"Flat 1\r\n{n} Long Road"\r\n' for n in range(1000)]
    member_import = importers.member_import_run(import_id=_stored_import(anytown, rows).pk)
    assert member_import.state == "done", member_import.report
    assert Member.unscoped.count() == 1000
    assert Member.unscoped.get(membership_number="A100777").address_line1 == "Flat 1\r\n777 Long Road"


def test_a_bad_line_in_a_later_chunk_is_named_by_its_line_in_the_file(anytown, small_chunks):
    rows = [f"A{100000 + n},Ann,Anytownley,{n} Long Road\r\n" for n in range(1000)]
    rows[900] = "A100900,Ann,Anytownley,900 Long Road,Surplus\r\n"
    member_import = importers.member_import_run(import_id=_stored_import(anytown, rows).pk)
    assert member_import.state == "rejected"
    assert member_import.report["error"] == "line 902: extra data after last expected column"
    assert not Member.unscoped.exists()
    # Nothing of the failed run is left in the session: the fixed file imports.
    rows[900] = "A100900,Ann,Anytownley,900 Long Road\r\n"
    assert (
        importers.member_import_run(import_id=_stored_import(anytown, rows, name="Fixed").pk).state == "done"
    )
    assert Member.unscoped.count() == 1000


def test_the_progress_bar_shows_rows_read_of_the_total_while_the_file_is_read(
    client, anytown, anytown_secretary, small_chunks
):
    member_import = _stored_import(
        anytown, [f"A{100000 + n},Ann,Anytownley,{n} Long Road\r\n" for n in range(1000)]
    )
    client.force_login(anytown_secretary)
    url = reverse("members:import_detail", args=[member_import.pk])
    pages = []

    def observe(rows_read, rows_total):
        pages.append((rows_read, client.get(url, HTTP_HX_REQUEST="true").content.decode()))

    importers.member_import_run(import_id=member_import.pk, on_progress=observe)
    rows_read, first = pages[0]
    assert 0 < rows_read < 1000
    assert f'max="1000" value="{rows_read}"' in first and f"{rows_read} of 1000 lines read." in first
    assert "All 1000 lines read; checking them and applying them" in pages[-1][1]
