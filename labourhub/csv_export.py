"""CSV exports: the one place cells are made safe for spreadsheets, and a writer for streamed responses.

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return) as a formula
(CSV injection): every exported cell goes through `safe_cell`, which prefixes such a cell with a quote.
"""

import csv

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as text a spreadsheet shows as it is: None is empty, formula-like text gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_row(row):
    return [safe_cell(value) for value in row]


class _Echo:
    def write(self, value):
        return value


def line_writer():
    """A csv writer whose writerow() returns the line instead of writing it (for StreamingHttpResponse)."""
    return csv.writer(_Echo())
