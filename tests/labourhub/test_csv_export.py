import csv
import io

from labourhub.csv_export import line_writer, safe_cell, safe_row


def test_every_formula_start_is_quoted_and_nothing_else_changes():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"
    assert safe_row(["plain", "a=b", 42, None, ""]) == ["plain", "a=b", "42", "", ""]


def test_the_line_writer_returns_lines_a_csv_reader_reads_back():
    line = line_writer().writerow(safe_row(['=HYPERLINK("x")', "Smith, J"]))
    assert next(csv.reader(io.StringIO(line))) == ['\'=HYPERLINK("x")', "Smith, J"]
