"""The staged-import core (labourhub/staged_import.py): one of each shared piece, used by every import."""

import pytest

from labourhub import staged_import
from labourhub.staged_import import Report, normalise_header


def test_every_import_uses_the_one_rejection_and_the_one_header_normalising():
    from gotv import stations
    from members import importers as members_importers
    from voters.importers import base, postcodes, register, scores

    for module in (base, register, scores, postcodes, members_importers, stations):
        assert getattr(module, "ImportRejected", staged_import.ImportRejected) is staged_import.ImportRejected
    for module in (base, register, postcodes, stations):
        assert module.normalise_header is normalise_header
    assert not hasattr(members_importers, "normalise")
    assert members_importers.guess_mapping(["\ufeffMembership No.", "Fore Name"]) == {
        "membership_number": "\ufeffMembership No.",
        "first_name": "Fore Name",
    }


@pytest.mark.parametrize(
    ("header", "normalised"),
    [("Elector Number Prefix", "electornumberprefix"), ("\ufeffPostCode", "postcode"), ("E-mail", "email")],
)
def test_header_normalising(header, normalised):
    assert normalise_header(header) == normalised


def test_the_report_lists_problems_by_line_and_counts_past_the_limit(monkeypatch):
    monkeypatch.setattr(staged_import, "MAX_ERRORS", 3)
    report = Report()
    for line in (9, 4, None, 7, 2):
        report.add_error(line, "c", "v\x00", "r")
    assert report.error_count == 5
    assert [e["line"] for e in report.errors] == [None, 4, 9]  # the first three found, in line order
    assert report.errors[1]["value"] == "v\\x00"


@pytest.mark.django_db
def test_duplicates_are_reported_on_every_line_of_the_group():
    from django.db import connection

    report = Report()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE dup_test (line integer, k text)")
        cursor.execute("INSERT INTO dup_test VALUES (2, 'a'), (3, 'b'), (5, 'a'), (8, 'a')")
        staged_import.report_duplicates(
            cursor, report, table="dup_test", key="k", shown="k", column="Key", reason="duplicate key"
        )
    assert [(e["line"], e["value"], e["reason"]) for e in report.errors] == [
        (2, "a", "duplicate key (also on line 5, 8)"),
        (5, "a", "duplicate key (first on line 2)"),
        (8, "a", "duplicate key (first on line 2)"),
    ]
