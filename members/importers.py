"""Membership imports: a members export (CSV or XLSX) COPYed as it is into a staging table, checked
line by line in SQL through a saved column mapping, and applied in one set-based upsert. All or
nothing: one bad line and nothing changes. Running the same file again changes nothing. Members
missing from the file are reported, never deleted. Consents in a file only ever start a new member's
record: a consent withdrawn in LabourHub (say, by the unsubscribe link) is not given back by the next
export."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from labourhub.services import audit_record
from labourhub.staged_import import (
    ImportRejected,
    copy_csv_chunks,
    database_failure_message,
    import_lock,
    is_database_failure,
    normalise_header,
    on_a_working_connection,
)
from members.models import Member, MemberImport, Source, Status
from members.privacy import drop_suppressed_rows
from members.webhooks import members_joined_emit, members_lapsing_emit
from voters.importers.encoding import EncodingScan, NotText, sniff

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import IO, Any

    from django.db.backends.utils import CursorWrapper

    from labourhub.models import Constituency

logger = logging.getLogger(__name__)

# field -> (label, required); the order is the order of the mapper page and of the staging table.
FIELDS = {
    "membership_number": ("Membership number", True),
    "title": ("Title", False),
    "first_name": ("First name", True),
    "last_name": ("Last name", True),
    "email": ("Email", False),
    "mobile": ("Mobile", False),
    "phone": ("Phone", False),
    "address_line1": ("Address line 1", False),
    "address_line2": ("Address line 2", False),
    "address_line3": ("Address line 3", False),
    "town": ("Town", False),
    "postcode": ("Postcode", False),
    "date_of_birth": ("Date of birth", False),
    "joined_on": ("Join date", False),
    "status": ("Status", False),
    "arrears_since": ("In arrears since", False),
    "lapsed_on": ("Lapsed on", False),
    "membership_type": ("Membership type", False),
    "branch": ("Branch", False),
    "ward": ("Ward", False),
    "trade_union": ("Trade union", False),
    "socialist_societies": ("Socialist societies", False),
    "consent_email": ("Agreed to email", False),
}
# Header spellings seen in exports, for the mapper's first guess (normalised: lower case, letters only).
SYNONYMS = {
    "membership_number": ["membershipnumber", "membershipno", "membernumber", "memberno", "membershipid"],
    "first_name": ["firstname", "forename", "forenames", "givenname"],
    "last_name": ["lastname", "surname", "familyname"],
    "email": ["email", "emailaddress"],
    "mobile": ["mobile", "mobilenumber", "mobilephone"],
    "phone": ["phone", "telephone", "homephone", "landline"],
    "address_line1": ["address1", "addressline1", "address"],
    "address_line2": ["address2", "addressline2"],
    "address_line3": ["address3", "addressline3"],
    "town": ["town", "city", "posttown"],
    "postcode": ["postcode", "postalcode"],
    "date_of_birth": ["dateofbirth", "dob", "birthdate"],
    "joined_on": ["joined", "joindate", "joiningdate", "datejoined"],
    "status": ["status", "membershipstatus"],
    "arrears_since": ["arrearssince", "arrearsdate", "inarrearssince"],
    "lapsed_on": ["lapsed", "lapseddate", "lapsedon", "datelapsed"],
    "membership_type": ["membershiptype", "type"],
    "branch": ["branch", "branchname"],
    "ward": ["ward", "wardname"],
    "trade_union": ["tradeunion", "union"],
    "socialist_societies": ["socialistsocieties", "socialistsociety", "societies"],
    "consent_email": ["emailconsent", "emailoptin", "consentemail", "agreedtoemail"],
}
STATUS_WORDS = {
    "current": Status.CURRENT,
    "active": Status.CURRENT,
    "member": Status.CURRENT,
    "arrears": Status.ARREARS,
    "inarrears": Status.ARREARS,
    "lapsed": Status.LAPSED,
}
YES = ["y", "yes", "true", "1", "x"]
NO = ["", "n", "no", "false", "0"]
MAX_ERRORS_LISTED = 500
COPY_CHUNK_BYTES = 4 << 20  # rows are COPYed (and progress saved) about 40,000 at a time
DATES = ["date_of_birth", "joined_on", "arrears_since", "lapsed_on"]
# Simple on purpose: Postgres's regex engine is slow on counted repetitions ({0,61}), and the SMTP
# server has the last word on an address anyway.
EMAIL_RE = r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$"


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{field: header} for the headers that look like a field."""
    by_key = {normalise_header(h): h for h in headers}
    guessed = {}
    for name in FIELDS:
        for key in [normalise_header(name), normalise_header(FIELDS[name][0]), *SYNONYMS.get(name, [])]:
            if key in by_key:
                guessed[name] = by_key[key]
                break
    return guessed


# --- Reading files ------------------------------------------------------------------
# Files are read as streams: the web request reads only the header line (or a workbook's first row),
# and the worker writes the file out as UTF-8 CSV to a temporary file, a megabyte at a time, which is
# COPYed from there a chunk at a time. Memory stays flat whatever the file's size.

MB = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024  # the header line of a real export is a few hundred bytes
MAX_LINE_CHARS = 1024 * 1024  # a line of a membership export is well under a kilobyte
MAX_CELL_CHARS = 2000  # the longest member field is 300 characters
MAX_COLUMNS = 1000
# A workbook's text cells are one shared table that openpyxl reads whole; 100k members need about 30 MB.
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
_READ_BYTES = 1 << 20


@dataclass
class Table:
    """A file ready for COPY: its header names, and its rows as UTF-8 CSV in a file at `path`."""

    headers: list
    delimiter: str
    path: str
    rows_total: int


def _is_workbook(file_name: str) -> bool:
    return file_name.lower().endswith((".xlsx", ".xlsm"))


def check_size(size: int) -> None:
    """ImportRejected when a file of `size` bytes is over the site's limit."""
    limit = settings.MEMBER_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportRejected(
            f"The file is {size / MB:.1f} MB; the limit is {limit / MB:g} MB. "
            "Export the members of one CLP at a time."
        )


def read_headers(file: IO[bytes], file_name: str) -> list[str]:
    """The header names of a CSV or XLSX, reading no more than its first line (or first row)."""
    if _is_workbook(file_name):
        for headers in _workbook_rows(file):
            return headers
        raise ImportRejected("The workbook's first sheet is empty.")
    first = file.read(MAX_HEADER_BYTES + 4)
    try:
        encoding = sniff(first)
        if encoding is None:
            scan = EncodingScan()
            scan.feed(first)
            encoding = scan.encoding()
    except NotText as problem:
        raise ImportRejected(str(problem)) from None
    return _header_line(_prefix(first, encoding), complete=len(first) <= MAX_HEADER_BYTES)[0]


def _header_line(text: str, complete: bool) -> tuple[list[str], str, str]:
    """(headers, delimiter, line ending) from the start of a CSV's text."""
    match = _FIRST_LINE.match(text.lstrip("\ufeff"))
    line, ending = match["line"], match["ending"]  # type: ignore[index]  # the pattern matches any text
    if not ending and not complete:
        raise ImportRejected(
            f"The first line (the column headers) is longer than {MAX_HEADER_BYTES // 1024} KB: "
            "this is not a membership export, or its lines do not end in line breaks."
        )
    line = line.replace("\xa0", " ")
    delimiter = "\t" if line.count("\t") > line.count(",") else ","
    try:
        headers = [h.strip() for h in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error as problem:
        raise ImportRejected(
            f"The first line (the column headers) cannot be read as CSV: {problem}."
        ) from None
    if not any(headers):
        raise ImportRejected("The file is empty.")
    if "\x00" in line:
        raise ImportRejected(
            "The first line (the column headers) holds a NUL byte: this is not a text export."
        )
    return headers, delimiter, ending


# The header line and how it ends: \r\n, \n, or \r alone (old Mac exports).
_FIRST_LINE = re.compile(r"(?P<line>[^\r\n]*)(?P<ending>\r\n|\n|\r(?!$)|)", re.S)


def write_table(file: IO[bytes], file_name: str, out: IO[bytes]) -> Table:
    """Write the file's rows to the binary file `out` as UTF-8 CSV; return its Table. A CSV may be
    UTF-8 (with or without BOM), UTF-16 or Windows-1252; an XLSX is read from its first sheet."""
    if _is_workbook(file_name):
        return _write_workbook(file, out)
    first = file.read(MAX_HEADER_BYTES + 4)
    try:
        encoding = sniff(first)
        if encoding is None:
            scan = EncodingScan()
            chunk = first
            while chunk:
                scan.feed(chunk)
                chunk = file.read(_READ_BYTES)
            encoding = scan.encoding()
    except NotText as problem:
        raise ImportRejected(str(problem)) from None
    headers, delimiter, ending = _header_line(
        _prefix(first, encoding), complete=len(first) <= MAX_HEADER_BYTES
    )
    old_mac = ending == "\r"  # lines end in \r alone: read as \n, which COPY and the chunks split on
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    line, run, start = 1, 0, True
    while True:
        raw = file.read(_READ_BYTES)
        text = decoder.decode(raw, final=not raw).replace("\xa0", " ")  # non-breaking spaces
        if old_mac:
            text = text.replace("\r", "\n")
        if start:
            text, start = text.lstrip("\ufeff"), False
        pieces = text.split("\n")
        for number, piece in enumerate(pieces):
            run = run + len(piece) if number == 0 else len(piece)
            if run > MAX_LINE_CHARS:
                raise ImportRejected(
                    f"Line {line + number} is longer than {MAX_LINE_CHARS // MB} MB: "
                    "a line of a membership export is a few hundred characters."
                )
        line += len(pieces) - 1
        out.write(text.encode("utf-8"))
        if not raw:
            break
    return Table(headers, delimiter, out.name, _end_after_last_row(out))


def _prefix(first: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(first)


def _end_after_last_row(out: IO[bytes]) -> int:
    """Drop trailing blank lines and end the last row with a line break like the others; return the
    number of rows after the header line (a line break inside a quoted field counts one more)."""
    out.flush()
    out.seek(0)
    ending = b"\r\n" if out.readline().endswith(b"\r\n") else b"\n"
    end = out.seek(0, io.SEEK_END)
    while end:  # back to the last character that is not white space
        block_start = max(end - 65536, 0)
        out.seek(block_start)
        kept = out.read(end - block_start).rstrip(b" \t\r\n")
        end = block_start + len(kept)
        if kept:
            break
    out.seek(end)
    tail = out.read(65536)
    line_end = tail.find(b"\n")  # the spaces or tabs of the last row's empty fields are its own
    if line_end >= 0:
        end += line_end + 1
        ending = b""
    out.seek(end)
    out.truncate()
    out.write(ending)
    out.flush()
    out.seek(0)
    newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(_READ_BYTES), b""))
    return newlines - 1


def _workbook_rows(file: IO[bytes]) -> Iterator[list[str]]:
    """A workbook's first sheet, row by row as lists of text (the header row first, empty rows
    skipped), after checking what it unpacks to and refusing over-long cells and rows."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    limit = settings.MEMBER_IMPORT_MAX_BYTES
    try:
        with zipfile.ZipFile(file) as archive:
            # What each part declares it unpacks to is all that reading it can produce.
            unpacked = sum(info.file_size for info in archive.infolist())
            shared = sum(i.file_size for i in archive.infolist() if i.filename.endswith("sharedStrings.xml"))
        file.seek(0)
        if unpacked > limit:
            raise ImportRejected(
                f"The workbook unpacks to more than {limit / MB:g} MB ({unpacked / MB:,.0f} MB): "
                "this is not a membership export. Save it as CSV, or export one CLP at a time."
            )
        if shared > MAX_SHARED_STRINGS_BYTES:  # openpyxl holds the whole table in memory
            raise ImportRejected(
                f"The workbook's table of text is more than {MAX_SHARED_STRINGS_BYTES // MB} MB "
                f"({shared / MB:,.1f} MB): save it as CSV and upload that."
            )
        sheet = load_workbook(file, read_only=True, data_only=True).worksheets[0]
    except ImportRejected:
        raise
    except Exception as error:  # zipfile and openpyxl raise many kinds for a file that is not a workbook
        raise ImportRejected(
            f"The file is not a readable XLSX workbook ({error.__class__.__name__})."
        ) from None
    sheet.reset_dimensions()  # trust the cells, not a declared size of a million rows by 16,384 columns
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            return
        except Exception as error:  # a broken part of the workbook (a missing shared string, say)
            raise ImportRejected(
                f"The workbook could not be read after row {number if 'number' in locals() else 0} "
                f"({error.__class__.__name__}). Open it in a spreadsheet and save it again, or save it as CSV."
            ) from None
        if len(row) > MAX_COLUMNS:
            raise ImportRejected(
                f"Row {number} reaches column {get_column_letter(len(row))}; "
                f"a membership export has at most {MAX_COLUMNS} columns."
            )
        cells = [_cell_text(v) for v in row]
        for column, cell in enumerate(cells, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise ImportRejected(
                    f"Row {number}, column {get_column_letter(column)}: a cell of {len(cell):,} "
                    f"characters; a cell may hold at most {MAX_CELL_CHARS:,}."
                )
        if any(cells):
            yield cells


def _write_workbook(file: IO[bytes], out: IO[bytes]) -> Table:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    headers, written = None, 0
    limit = settings.MEMBER_IMPORT_MAX_BYTES
    for cells in _workbook_rows(file):
        if headers is None:
            headers = [h.strip() for h in cells]
        while len(cells) > len(headers) and not cells[-1]:
            cells.pop()  # empty cells right of the columns (a formatted but empty column)
        writer.writerow(cells + [""] * (len(headers) - len(cells)))
        if buffer.tell() > _READ_BYTES:
            written += _flush(buffer, out)
            if written > limit:
                raise ImportRejected(f"The workbook holds more than {limit / MB:g} MB of data, the limit.")
    _flush(buffer, out)
    if not headers or not any(headers):
        raise ImportRejected("The workbook's first sheet is empty.")
    return Table(headers, ",", out.name, _end_after_last_row(out))


def _flush(buffer: io.StringIO, out: IO[bytes]) -> int:
    data = buffer.getvalue().encode("utf-8")
    out.write(data)
    buffer.seek(0)
    buffer.truncate()
    return len(data)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\u00a0", " ").strip()


# --- Checking, in SQL --------------------------------------------------------------------


def _columns(mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """{field: staging column} for the mapped fields; ImportRejected when the mapping does not fit the file."""
    columns, missing = {}, []
    for name, header in mapping.items():
        if name not in FIELDS:
            raise ImportRejected(f"The mapping names an unknown field {name!r}.")
        if header not in headers:
            missing.append(f"{header!r} (for {FIELDS[name][0].lower()})")
        else:
            columns[name] = f"c{headers.index(header)}"
    if missing:
        raise ImportRejected(
            f"These mapped columns are not in the file: {', '.join(missing)}. "
            f"The file's columns are: {', '.join(repr(h) for h in headers)}."
        )
    unmapped = [FIELDS[n][0] for n, (_, required) in FIELDS.items() if required and n not in columns]
    if unmapped:
        raise ImportRejected(f"Map a column to each of: {', '.join(unmapped)}.")
    return columns


def _key(sql: str) -> str:
    """The same normalisation as `normalise_header` (for these ASCII names and codes), in SQL."""
    return f"regexp_replace(lower({sql}), '[^a-z0-9]', '', 'g')"


def _stage(cursor: CursorWrapper, table: Table, on_chunk: Callable[[int], object]) -> int:
    """COPY the file into a temporary staging table of text columns (an empty field is ''), a chunk
    at a time with progress committed between chunks (the core's copy_csv_chunks). Temporary: it dies
    with its session, so a killed worker leaves nothing behind. Returns the number of rows."""
    width = len(table.headers)
    names = ", ".join(f"c{i}" for i in range(width))
    cursor.execute(
        f"CREATE TEMP TABLE member_import_raw ({', '.join(f'c{i} text' for i in range(width))}, "
        "n bigint GENERATED ALWAYS AS IDENTITY)"
    )
    return copy_csv_chunks(
        cursor,
        table="member_import_raw",
        names=names,
        path=table.path,
        delimiter=table.delimiter,
        chunk_bytes=COPY_CHUNK_BYTES,
        on_chunk=on_chunk,
    )


def _drop_raw(cursor: CursorWrapper) -> None:
    """Drop the staging table on every path. A temporary table: when the failure took the connection,
    it went with it, and the failure (not this DROP's) is the error to report."""
    try:
        cursor.execute("DROP TABLE IF EXISTS member_import_raw")
    except (DatabaseError, psycopg.Error):
        if connection.is_usable():
            raise
        logger.warning("Member import: the connection was lost; its temporary tables went with it")


def member_import_drop_orphan_tables() -> list[str]:
    """Drop the import tables a stopped database server left in the catalog. An import's tables are
    temporary: they go with its session, but when the server crashes their files go and their catalog
    entries stay, in the temporary schema of a session that no longer exists, until a new session with
    the same number first makes a temporary table. Dropped here when no other live session has that
    number (PostgreSQL 16 numbers sessions as their temporary schemas; the sweeper's own session runs no
    import). Returns the tables dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT n.nspname, c.relname, c.relkind FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname LIKE 'member\\_import\\_%%' AND c.relkind IN ('r', 'v')
                 AND n.nspname ~ '^pg_temp_[0-9]+$'
                 -- Before 16, backend "ids" were positions in a list, not the schemas' numbers.
                 AND current_setting('server_version_num')::int >= 160000
                 AND substr(n.nspname, 9)::int NOT IN (
                     SELECT id FROM pg_stat_get_backend_idset() id
                     WHERE pg_stat_get_backend_pid(id) <> pg_backend_pid())
               ORDER BY c.relkind DESC"""
        )
        orphans = cursor.fetchall()
        for schema, name, kind in orphans:  # views first: they depend on the tables
            cursor.execute(
                f"DROP {'VIEW' if kind == 'v' else 'TABLE'} IF EXISTS "
                f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(name)} CASCADE"
            )
    dropped = [f"{schema}.{name}" for schema, name, _ in orphans]
    if dropped:
        logger.warning("Dropped member import tables left by a stopped database server: %s", dropped)
    return dropped


def _define_lines(cursor: CursorWrapper, columns: dict[str, str]) -> None:
    """The view of one row per line (`line` is the file's line number) with each field trimmed, and
    each coded field also as it is (`<field>_raw`, the key of its code)."""
    trimmed = {name: f"btrim({columns[name]})" if name in columns else "''::text" for name in FIELDS}
    trimmed["membership_number"] = f"upper(replace({trimmed['membership_number']}, ' ', ''))"
    fields = [f"{sql} AS {name}" for name, sql in trimmed.items()]
    fields += [f"{columns[name]} AS {name}_raw" for name in _CODED if name in columns]
    cursor.execute(
        f"CREATE TEMP VIEW member_import_lines AS SELECT n + 1 AS line, {', '.join(fields)} FROM member_import_raw"
    )


_AREAS_SQL = f"""
CREATE TEMP TABLE member_import_areas AS
SELECT 'branch' AS kind, id, {_key("name")} AS key FROM labourhub_branch WHERE constituency_id = %(clp)s
UNION ALL SELECT 'branch', id, {_key("code")} FROM labourhub_branch WHERE constituency_id = %(clp)s
UNION ALL SELECT 'ward', id, {_key("name")} FROM labourhub_ward WHERE constituency_id = %(clp)s
UNION ALL SELECT 'ward', id, {_key("code")} FROM labourhub_ward WHERE constituency_id = %(clp)s
"""


# Fields with few distinct values (status, consent, branch, ward, dates) are checked and typed once per
# distinct value, in `member_import_codes`, and joined back: a 500k-row file has a few thousand.
_CODED = {
    "status": "status",
    "consent_email": "consent",
    "branch": "branch",
    "ward": "ward",
    **dict.fromkeys(DATES, "date"),
}
_DATE_RE = "^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4})$"


def _codes_sql(columns: dict[str, str]) -> str:
    status_case = " ".join(f"WHEN '{word}' THEN '{status}'" for word, status in STATUS_WORDS.items())
    distinct = " UNION ".join(
        f"SELECT DISTINCT '{kind}' AS kind, {name}_raw AS raw FROM member_import_lines"
        for name, kind in _CODED.items()
        if name in columns
    )
    area = "(SELECT min(a.id)::text FROM member_import_areas a WHERE a.kind = v.kind AND a.key = {key})"
    return f"""
    CREATE TEMP TABLE member_import_codes AS
    SELECT kind, raw, CASE
        WHEN kind = 'status' THEN CASE {_key("text")} WHEN '' THEN 'current' {status_case} END
        WHEN kind = 'consent' THEN CASE WHEN lower(text) = ANY(%(yes)s) THEN 't' WHEN lower(text) = ANY(%(no)s) THEN 'f' END
        WHEN text = '' THEN ''
        WHEN kind IN ('branch', 'ward') THEN {area.format(key=_key("text"))}
        WHEN text ~ '{_DATE_RE}' AND pg_input_is_valid(text, 'date') THEN text::date::text
    END AS value
    FROM (SELECT kind, raw, btrim(raw) AS text FROM ({distinct or "SELECT '' AS kind, '' AS raw"}) d) v
    """


def _coded_joins(columns: dict[str, str]) -> str:
    """LEFT JOINs from the lines `r` to the codes of their mapped coded fields: alias `k_<field>`."""
    return " ".join(
        f"LEFT JOIN member_import_codes k_{name} ON k_{name}.kind = '{kind}' AND k_{name}.raw = r.{name}_raw"
        for name, kind in _CODED.items()
        if name in columns
    )


# (condition, message) for each problem a line `r` can have on its own. A membership number is up to two
# letters and up to ten digits (a counted regex, {0,2}, costs Postgres twice as much as this).
_LINE_CHECKS = [
    (
        "r.membership_number !~ '^[A-Z]?[A-Z]?[0-9]+$' OR length(ltrim(r.membership_number, "
        "'ABCDEFGHIJKLMNOPQRSTUVWXYZ')) > 10",
        "format('membership number %%L is not a letter and digits, e.g. A135679', r.membership_number)",
    ),
    ("r.first_name = ''", "'first name is empty'"),
    ("r.last_name = ''", "'last name is empty'"),
    (
        f"r.email <> '' AND (r.email !~* %(email_re)s OR length(r.email) > {Member._meta.get_field('email').max_length})",
        "format('email %%L is not a valid address', r.email)",
    ),
]
_CODE_MESSAGES = {
    "status": "format('status %%L is not one of current, arrears, lapsed', r.status)",
    "consent_email": "format('agreed to email %%L is not yes or no', r.consent_email)",
    "branch": "format('branch %%L is not a branch of this CLP', r.branch)",
    "ward": "format('ward %%L is not a ward of this CLP', r.ward)",
    **{name: f"format('%%L is not a date (use YYYY-MM-DD or DD/MM/YYYY)', r.{name})" for name in DATES},
}


def _rows_sql(columns: dict[str, str]) -> str:
    """The member table's values for every line, typed, and whether the line has a problem of its own:
    the one pass over the file's rows that both the check and the upsert read."""
    values = _values_sql(columns)
    bad = " OR ".join(f"({where})" for where, _ in _LINE_CHECKS)
    return f"""
    CREATE TEMP TABLE member_import_rows AS
    SELECT r.line, {", ".join(f"{sql} AS {name}" for name, sql in values.items())}, ({bad}) AS bad
    FROM member_import_lines r {_coded_joins(columns)}
    """


def _problems_sql(columns: dict[str, str]) -> str:
    """Every problem with every line, as (line, message), in one pass over the lines (only run when
    the quick check found any)."""
    checks = [
        *_LINE_CHECKS,
        *((f"k_{name}.value IS NULL", _CODE_MESSAGES[name]) for name in _CODED if name in columns),
        (
            "d.first_line IS NOT NULL AND r.line > d.first_line",
            "format('membership number %%s is also on line %%s', r.membership_number, d.first_line)",
        ),
    ]
    messages = ", ".join(f"CASE WHEN {where} THEN {message} END" for where, message in checks)
    return f"""
    SELECT r.line, message FROM member_import_lines r {_coded_joins(columns)}
    LEFT JOIN (
        SELECT membership_number, min(line) AS first_line FROM member_import_rows
        GROUP BY membership_number HAVING count(*) > 1
    ) d ON d.membership_number = r.membership_number
    CROSS JOIN LATERAL unnest(ARRAY[{messages}]) AS message
    WHERE message IS NOT NULL
    """


def _check(
    cursor: CursorWrapper, constituency: Constituency, columns: dict[str, str]
) -> tuple[int, list[dict[str, Any]]]:
    """Type every line into `member_import_rows`; (problem count, the first MAX_ERRORS_LISTED problems
    in line order). A value that does not type is seen once, in the codes; a line's own problems in
    its `bad` flag; so the messages are only worked out for a file that has problems."""
    cursor.execute(_AREAS_SQL, {"clp": constituency.pk})
    cursor.execute(_codes_sql(columns), {"yes": YES, "no": NO})
    cursor.execute("ANALYZE member_import_codes")  # temp tables get no autovacuum
    cursor.execute(_rows_sql(columns), {"email_re": EMAIL_RE})
    cursor.execute(
        """SELECT EXISTS (SELECT 1 FROM member_import_codes WHERE value IS NULL)
            OR EXISTS (SELECT 1 FROM member_import_rows WHERE bad)
            OR EXISTS (SELECT 1 FROM member_import_rows GROUP BY membership_number HAVING count(*) > 1)"""
    )
    if not cursor.fetchone()[0]:
        return 0, []
    cursor.execute(
        f"SELECT count(*) OVER (), line, message FROM ({_problems_sql(columns)}) p ORDER BY line LIMIT %(limit)s",
        {"email_re": EMAIL_RE, "limit": MAX_ERRORS_LISTED},
    )
    rows = cursor.fetchall()
    return rows[0][0], [{"line": line, "error": message} for _, line, message in rows]


# --- Applying --------------------------------------------------------------------------

_IMPORT_LOCK_NAMESPACE = 0x4D494D  # "MIM"
_TEXT = [
    "membership_number", "title", "first_name", "last_name", "mobile", "phone", "address_line1", "address_line2",
    "address_line3", "town", "membership_type", "trade_union", "socialist_societies",
]  # fmt: skip
_UPDATED = [*_TEXT, "email", "postcode", *DATES, "status", "branch_id", "ward_id"]
_UPDATED.remove("membership_number")
_INSERTED = ["membership_number", *_UPDATED, "consent_email"]


def _values_sql(columns: dict[str, str]) -> dict[str, str]:
    """The member table's columns from a line `r` and its codes, typed (a coded field not in the file
    takes its default)."""
    # A cast to varchar(n) cuts an over-long value to the column's length (and is cheaper than left()).
    values = {name: f"r.{name}::varchar({Member._meta.get_field(name).max_length})" for name in _TEXT}  # type: ignore[union-attr]
    values |= {
        "email": "lower(r.email)",  # an address too long for the column is a line error, not cut
        "postcode": f"upper(r.postcode)::varchar({Member._meta.get_field('postcode').max_length})",
        "status": "k_status.value" if "status" in columns else f"'{Status.CURRENT}'",
        "branch_id": "NULLIF(k_branch.value, '')::bigint" if "branch" in columns else "NULL::bigint",
        "ward_id": "NULLIF(k_ward.value, '')::bigint" if "ward" in columns else "NULL::bigint",
        "consent_email": "k_consent_email.value::boolean" if "consent_email" in columns else "false",
    }
    values |= {
        name: f"NULLIF(k_{name}.value, '')::date" if name in columns else "NULL::date" for name in DATES
    }
    return values


STOPPED = (
    "The import stopped without finishing: the worker running it was stopped (it may have run out of "
    "memory). Nothing was changed. Try again; if it stops again, tell the platform operator."
)


MEMBER_IMPORT_LOCK = 0x4D4952  # "MIR": the advisory lock namespace of a running member import


def member_import_run(
    *, import_id: int, on_progress: Callable[[int, int], object] | None = None
) -> MemberImport:
    """Run a stored import: stage the file, check every line, then apply all of it or none of it.
    While the rows are read, the import's rows_read and heartbeat are saved (and committed) after each
    chunk, and `on_progress(rows_read, rows_total)` is called: the page's progress bar and the
    command's output. The import's lock is held throughout (the sweeper's sign of a live worker).
    Whatever goes wrong, the import ends: rejected (the file's fault) or failed (ours), with the reason."""
    with import_lock(MEMBER_IMPORT_LOCK, import_id, wait=False) as free:
        if not free:  # a live worker is running it (a second delivery of the task): leave it be
            return MemberImport.unscoped.get(pk=import_id)
        return _run_locked(import_id, on_progress)


def member_import_abandon(*, member_import: MemberImport, reason: str = STOPPED) -> bool:
    """End a running import whose worker is gone as failed, with the reason; only when no session holds
    its lock and it is still running (safe twice, or beside a live worker). Returns whether it ended."""
    with import_lock(MEMBER_IMPORT_LOCK, member_import.pk, wait=False) as free:
        if not free:
            return False
        member_import.refresh_from_db()
        if member_import.state != MemberImport.State.RUNNING:
            return False
        _finish(member_import, MemberImport.State.FAILED, {"error": reason})
        return True


def _run_locked(import_id: int, on_progress: Callable[[int, int], object] | None) -> MemberImport:
    member_import = MemberImport.unscoped.select_related("constituency", "mapping").get(pk=import_id)
    if member_import.state == MemberImport.State.RUNNING:
        # The task was delivered again (CELERY_TASK_ACKS_LATE) because the worker running it stopped:
        # killed, or out of memory (no session holds its lock). Running the same file again could stop
        # the next worker too.
        return _finish(member_import, MemberImport.State.FAILED, {"error": STOPPED})
    if member_import.state != MemberImport.State.WAITING:
        return member_import
    MemberImport.unscoped.filter(pk=import_id).update(
        state=MemberImport.State.RUNNING, heartbeat_at=timezone.now()
    )
    try:
        return _run(member_import, on_progress)
    except Exception as error:
        logger.exception("Member import %s failed", import_id)
        if is_database_failure(error):  # never the file's fault: said as such, with no line blamed
            report = {"error": database_failure_message(error)}
        else:
            report = {
                "error": f"The import failed unexpectedly ({error.__class__.__name__}); nothing was changed. "
                "Try again; if it fails again, tell the platform operator."
            }
        # The connection may have gone with the failure: then it is recorded on a new one.
        on_a_working_connection(lambda: _finish(member_import, MemberImport.State.FAILED, report))
        raise


def _run(member_import: MemberImport, on_progress: Callable[[int, int], object] | None) -> MemberImport:
    import_id = member_import.pk
    try:
        check_size(member_import.file.size)
        with (
            member_import.file.open("rb") as file,
            tempfile.NamedTemporaryFile(prefix="member-import-", suffix=".csv") as out,
        ):
            table = write_table(file, member_import.file_name, out)
            columns = _columns(member_import.mapping.columns, table.headers)  # type: ignore[union-attr]  # queued with its mapping
            mapped = set(member_import.mapping.columns.values())  # type: ignore[union-attr]
            ignored = [h for h in table.headers if h and h not in mapped]
            rows_total = table.rows_total
            MemberImport.unscoped.filter(pk=import_id).update(rows_read=0, rows_total=rows_total)

            def progress(rows_read: int) -> None:
                MemberImport.unscoped.filter(pk=import_id).update(
                    rows_read=rows_read, heartbeat_at=timezone.now()
                )
                if on_progress:
                    on_progress(rows_read, rows_total)

            with connection.cursor() as cursor:
                try:
                    rows = _stage(cursor, table, progress)
                    report = _check_and_apply(cursor, member_import, columns, rows) | {
                        "ignored_columns": ignored
                    }
                finally:
                    _drop_raw(cursor)
    except ImportRejected as rejected:
        return _finish(member_import, MemberImport.State.REJECTED, {"error": str(rejected)})
    if "error" in report:
        return _finish(member_import, MemberImport.State.REJECTED, report, rows=rows)
    from members.services import member_match_electors

    linked, proposed = member_match_electors(
        constituency=member_import.constituency, user=member_import.uploaded_by
    )
    report |= {"electors_linked": linked, "electors_to_review": proposed}
    return _finish(member_import, MemberImport.State.DONE, report, rows=rows)


@transaction.atomic
def _check_and_apply(
    cursor: CursorWrapper, member_import: MemberImport, columns: dict[str, str], rows: int
) -> dict[str, Any]:
    """Check the staged rows and apply them, in one transaction: all or nothing. Returns the report."""
    cursor.execute("SET LOCAL datestyle = 'ISO, DMY'")  # 01/02/2020 is the 1st of February
    # Imports are re-runnable, so a crash losing the last commit costs nothing.
    cursor.execute("SET LOCAL synchronous_commit = off")
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    _define_lines(cursor, columns)
    error_count, errors = _check(cursor, member_import.constituency, columns)
    if error_count:
        transaction.set_rollback(True)  # the temporary view and tables go with it
        return {"error": f"{error_count} problem(s) in the file; nothing was imported.", "lines": errors}
    report = _apply(cursor, member_import, rows)
    cursor.execute("DROP VIEW member_import_lines")
    cursor.execute("DROP TABLE member_import_rows, member_import_areas, member_import_codes")
    return report


def _finish(member_import: MemberImport, state: str, report: dict[str, Any], rows: int = 0) -> MemberImport:
    member_import.state, member_import.report = state, report
    member_import.rows_read = member_import.rows_total = rows
    member_import.finished_at = timezone.now()
    member_import.save(update_fields=["state", "report", "rows_read", "rows_total", "finished_at"])
    audit_record(
        action="members.import",
        user=member_import.uploaded_by,
        obj=member_import,
        detail={"state": state, **{k: v for k, v in report.items() if isinstance(v, int)}},
    )
    return member_import


def _apply(cursor: CursorWrapper, member_import: MemberImport, rows: int) -> dict[str, Any]:
    """Set-based: one UPDATE of the members whose details changed, one INSERT of the new ones (so an
    unchanged member's row is not even touched); consents only for new members. Returns the report."""
    constituency = member_import.constituency
    now = timezone.now()
    # One import per CLP at a time, so the INSERT's "not there yet" holds until commit.
    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s::int)", [_IMPORT_LOCK_NAMESPACE, constituency.pk])
    # Erased members stay erased: their rows are taken out before anything is applied (members.privacy).
    suppressed = drop_suppressed_rows(cursor, constituency.pk, "member_import_rows")
    rows -= suppressed
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM members_member WHERE constituency_id = %s)", [constituency.pk]
    )
    (any_members,) = cursor.fetchone()
    changed_count, not_there, missing_count, missing_sample = 0, "", 0, []
    if any_members:  # a CLP's first import has nothing to match: no UPDATE, no lookups
        # Members not in the file (new members are all in it, so this can come first).
        cursor.execute(
            """
            SELECT count(*), (array_agg(m.membership_number ORDER BY m.membership_number))[1:100]
            FROM members_member m
            WHERE m.constituency_id = %s
              AND NOT EXISTS (SELECT 1 FROM member_import_rows r WHERE r.membership_number = m.membership_number)
            """,
            [constituency.pk],
        )
        missing_count, missing_sample = cursor.fetchone()
        members_lapsing_emit(constituency_id=constituency.pk, now=now)  # webhooks, before the UPDATE
        changed = " OR ".join(f"m.{name} IS DISTINCT FROM t.{name}" for name in _UPDATED)
        cursor.execute(
            f"""
            UPDATE members_member m
            SET {", ".join(f"{name} = t.{name}" for name in _UPDATED)}, updated_at = %s,
                email_bounced_at = CASE WHEN m.email IS DISTINCT FROM t.email THEN NULL ELSE m.email_bounced_at END,
                email_hard_bounces = CASE WHEN m.email IS DISTINCT FROM t.email THEN 0 ELSE m.email_hard_bounces END
            FROM member_import_rows t
            WHERE m.constituency_id = %s AND m.membership_number = t.membership_number AND ({changed})
            """,
            [now, constituency.pk],
        )
        changed_count = cursor.rowcount
        not_there = f"""WHERE NOT EXISTS (
            SELECT 1 FROM members_member m
            WHERE m.constituency_id = {int(constituency.pk)} AND m.membership_number = t.membership_number
        )"""
    # New members and, for those who agreed in the file, their email consent, in one statement.
    cursor.execute(
        f"""
        WITH added AS (
            INSERT INTO members_member (
                {", ".join(_INSERTED)}, constituency_id, consent_sms, consent_phone, consent_post,
                email_hard_bounces, created_at, updated_at, source, source_import_id)
            SELECT {", ".join(f"t.{n}" for n in _INSERTED)}, %s, false, false, false, 0, %s, %s, %s, %s
            FROM member_import_rows t {not_there}
            RETURNING id, consent_email
        ), consents AS (
            INSERT INTO members_consent (member_id, channel, granted, recorded_at, wording, source)
            SELECT id, 'email', true, %s, %s, 'import' FROM added WHERE consent_email
        )
        SELECT count(*) FROM added
        """,
        [
            constituency.pk,
            now,
            now,
            Source.IMPORT,
            member_import.pk,
            now,
            f"Agreed to email, as recorded in the membership export {member_import.file_name}.",
        ],
    )
    (added,) = cursor.fetchone()
    members_joined_emit(import_id=member_import.pk, now=now)  # webhooks (members/webhooks.py)
    return {
        "added": added,
        "changed": changed_count,
        "unchanged": rows - added - changed_count,
        "missing": missing_count,
        "missing_sample": missing_sample or [],
        "suppressed": suppressed,
    }
