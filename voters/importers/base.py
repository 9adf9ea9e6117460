"""The staged import pipeline every file goes through (DESIGN.md, "Data flow").

    facts = file_facts(path)            one pass: checksum, encoding, line count, not-a-text-file
    for line, row in read_rows(...)     streaming csv, headers normalised, one dict per row
    adapter.row(row) -> tuple | None    one small adapter per format maps a row (or skips it)
    StagingTable.write(...)             valid rows COPY'd into an unlogged table in chunks
    importer.apply(cursor)              set-based SQL in one transaction: all or nothing

Memory stays flat: rows are never held in a list, only a buffer of one COPY chunk.
A bad row does not stop the reading (every bad line is reported, the first 1,000 kept),
but any bad row rejects the whole file before anything is applied.
"""

import contextlib
import csv
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from voters.importers.encoding import EncodingScan, NotText, sniff
from voters.models import RegisterImport

logger = logging.getLogger(__name__)
MAX_ERRORS = 1000
CHUNK_ROWS = 20_000  # rows between progress updates (each ends one COPY and starts the next)
MAX_FILE_BYTES = getattr(settings, "VOTERS_MAX_IMPORT_BYTES", 1024**3)
MAX_LINE_CHARS = 1024 * 1024  # a register line is a few hundred characters
_NOT_WORDS = re.compile(r"[^a-z0-9]")


class ImportRejected(Exception):
    """The file as a whole cannot be imported; the message says why, in the user's words."""


# Errors of the database or the connection to it, not of the file: a cancelled statement (a
# statement_timeout, an operator's pg_cancel_backend), a lost connection, a server shutting down.
DATABASE_FAILURES = (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError)


def is_database_failure(error):
    errors = (error, error.__cause__)
    if any(isinstance(e, psycopg.errors.ProgramLimitExceeded) for e in errors):
        return False  # a file too wide or a value too large: the file's shape, not the database
    return any(isinstance(e, DATABASE_FAILURES) for e in errors)


def database_failure_message(error):
    """What an import that the database failed says: not the file's fault, nothing changed, try again."""
    detail = str(error.__cause__ or error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return (
        f"The import failed: the database did not finish it ({error.__class__.__name__}"
        f"{': ' + detail if detail else ''}). Nothing was changed; try again."
    )


def worker_gone_message(seconds):
    """What an import the sweeper ends says (register and members alike)."""
    quiet = f"{seconds // 60} minutes" if seconds >= 120 else f"{seconds} seconds"
    return (
        f"The import stopped without finishing: its worker stopped (nothing heard from it for {quiet}; "
        "it may have been restarted or run out of memory). Nothing was changed. Try again; if it stops "
        "again, tell the platform operator."
    )


def database_started_at():
    """When the database server last started: after a crash (or any restart), when it came back.
    An import whose last heartbeat is older ran on a server that stopped under it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


def database_restarted_message(started_at):
    """What an import the sweeper ends says when the database server stopped while it ran (register and
    members alike): the database's failure, never the file's."""
    return (
        "The import failed: the database did not finish it (the database server stopped while it ran; "
        f"it was back at {timezone.localtime(started_at):%d %b %Y %H:%M}). Nothing was changed; try again."
    )


def import_stopped_reason(heartbeat_at, *, seconds, started):
    """Why a running import that no session holds stopped, for the sweeper to say: heard of shortly
    before the database server (re)started at `started`, the server stopped under it; otherwise its
    worker went quiet (more than `seconds` ago)."""
    if heartbeat_at and started - timedelta(seconds=seconds) <= heartbeat_at < started:
        return database_restarted_message(started)
    return worker_gone_message(seconds)


REGISTER_IMPORT_LOCK = 0x52494D  # "RIM": the advisory lock namespace of a running register import


@contextlib.contextmanager
def import_lock(namespace, pk, *, wait):
    """A session advisory lock on one import, held while a worker runs it: the sign, for the sweeper,
    that a live session owns the import (and its staging tables), also through a long apply step
    that saves no heartbeat. It dies with the session, so a killed worker's import is free at once.
    Yields whether the lock is held (always, with `wait`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {'pg_advisory_lock' if wait else 'pg_try_advisory_lock'}(%s, %s::int)", [namespace, pk]
        )
        held = True if wait else cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            # If the connection went, the lock went with its session.
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s::int)", [namespace, pk])


def staging_table_names(pk):
    """The unlogged tables an import with this pk may have staged rows in."""
    base = f"voters_staging_{int(pk)}"
    return [base, f"{base}_homes", f"{base}_matched"]


def on_a_working_connection(action):
    """Run `action()`; if the connection went with an earlier failure, once more on a new one.
    Outside a transaction only (inside one, the caller's rollback owns the connection)."""
    try:
        return action()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        connection.close()
        return action()


@dataclass
class RowError(Exception):
    column: str
    value: str
    reason: str


@dataclass
class FileFacts:
    checksum: str
    encoding: str
    lines: int
    size: int


def normalise_header(name):
    """'Elector Number Prefix' -> 'electornumberprefix'; 'PostCode' -> 'postcode'."""
    return _NOT_WORDS.sub("", name.replace("\ufeff", "").lower())


def file_facts(path):
    """Read the file once: SHA-256, encoding (UTF-8 with or without BOM, UTF-16, else windows-1252;
    see encoding.py), number of lines. Refuses files that are empty, too large, not text, or in
    another encoding."""
    digest = hashlib.sha256()
    scan = EncodingScan()
    lines, size, first, declared = 0, 0, b"", None
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if not first:
                first = chunk
                try:
                    declared = sniff(first)
                except NotText as problem:
                    raise ImportRejected(str(problem)) from None
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ImportRejected(
                    f"The file is larger than {MAX_FILE_BYTES // 1024**2} MB; split it by polling district."
                )
            digest.update(chunk)
            lines += chunk.count(b"\n")
            if declared is None:
                scan.feed(chunk)
    if not first.strip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t"):
        raise ImportRejected("The file is empty.")
    if not first.endswith(b"\n") or size > len(first):
        lines += 1  # a last line without a newline
    try:
        encoding = declared or scan.encoding()
    except NotText as problem:
        raise ImportRejected(str(problem)) from None
    return FileFacts(checksum=digest.hexdigest(), encoding=encoding, lines=lines, size=size)


def read_rows(path, encoding):
    """Yield (headers, original_headers) once, then (line_number, row dict) for each data row.

    Tab or comma separated, detected from the header line. Non-breaking spaces become spaces. A line
    longer than MAX_LINE_CHARS is a line error (read a piece at a time, never held whole).
    """
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        header_line = f.readline(MAX_LINE_CHARS + 1)
        if len(header_line) > MAX_LINE_CHARS:
            raise ImportRejected(
                f"The first line (the column headers) is longer than {MAX_LINE_CHARS // 1024} KB: "
                "this is not a register file, or its lines do not end in line breaks."
            )
        delimiter = "\t" if "\t" in header_line else ","
        original = next(csv.reader([header_line], delimiter=delimiter), [])
        headers = [normalise_header(h) for h in original]
        yield headers, [h.strip().lstrip("\ufeff") for h in original]
        width = len(headers)
        too_long = []

        def lines():
            while line := f.readline(MAX_LINE_CHARS + 1):
                if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                    while (rest := f.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                        pass
                    too_long.append(True)
                    line = "\n"  # read as a blank line, reported below
                yield line.replace("\xa0", " ")

        reader = csv.reader(lines(), delimiter=delimiter)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as problem:  # a field over the csv module's limit, say
                yield reader.line_num + 1, RowError("(whole line)", "", f"cannot be read as CSV ({problem})")
                continue
            line = reader.line_num + 1
            if too_long:
                too_long.clear()
                yield (
                    line,
                    RowError("(whole line)", "", f"the line is longer than {MAX_LINE_CHARS // 1024} KB"),
                )
                continue
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if len(values) != width:
                if len(values) > width and not any(v.strip() for v in values[width:]):
                    values = values[:width]
                else:
                    yield (
                        line,
                        RowError(
                            "(whole line)",
                            f"{len(values)} fields",
                            f"expected {width} fields like the header line"
                            + (" (the file may be truncated)" if len(values) < width else ""),
                        ),
                    )
                    continue
            yield line, dict(zip(headers, values, strict=True))


@dataclass
class Report:
    errors: list = field(default_factory=list)
    error_count: int = 0
    notes: list = field(default_factory=list)

    def add_error(self, line, column, value, reason):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                {
                    "line": line,
                    "column": _storable(column),
                    "value": _storable(str(value)[:100]),
                    "reason": _storable(reason),
                }
            )


def _storable(text):
    """Text a jsonb column can hold: a NUL byte from the file is shown as \\x00."""
    return text.replace("\x00", "\\x00")


class StagingTable:
    """An unlogged table the rows are COPY'd into, one COPY per chunk so progress can be reported
    between chunks. Binary COPY when the rows hold Python values of the column types (the server
    then parses nothing); text COPY when some values are still text (dates, arrays)."""

    def __init__(self, name, columns, on_chunk, binary=False):
        self.name = name
        self.columns = columns  # [(name, sql type)]
        self.on_chunk = on_chunk
        self.binary = binary
        self.copy = None
        self.open_copy = contextlib.ExitStack()
        self.pending = 0
        self.written = 0

    def create(self, cursor):
        cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        cursor.execute(f"CREATE UNLOGGED TABLE {self.name} ({cols})")

    def drop(self, cursor):
        with contextlib.suppress(DatabaseError, psycopg.Error):  # the COPY failed: nothing to end
            self.open_copy.close()
        self.copy = None
        cursor.execute(f"DROP TABLE IF EXISTS {self.name}")

    def add(self, row):
        if self.copy is None:
            names = ", ".join(name for name, _ in self.columns)
            cursor = self.open_copy.enter_context(connection.cursor())
            self.copy = self.open_copy.enter_context(
                cursor.copy(
                    f"COPY {self.name} ({names}) FROM STDIN{' (FORMAT binary)' if self.binary else ''}"
                )
            )
            if self.binary:
                self.copy.set_types([sql_type for _, sql_type in self.columns])
        self.copy.write_row(row)
        self.pending += 1
        if self.pending >= CHUNK_ROWS:
            self.flush()

    def flush(self):
        if self.copy is None:
            return
        self.open_copy.close()
        self.copy = None
        self.written += self.pending
        self.pending = 0
        self.on_chunk()


class StagedImporter:
    """Base of every importer. Subclasses set `staging_columns`, pick an adapter from the
    headers (`adapter_for`) and write the set-based `apply`."""

    staging_columns = []
    staging_binary = False  # True when adapters return Python values of the staging column types

    def __init__(self, record):
        self.record = record
        self.options = record.options
        self.constituency = record.constituency
        self.report = Report()
        self.rows_seen = 0

    # -- to override -------------------------------------------------------------
    def adapter_for(self, headers, original):
        raise NotImplementedError

    def apply(self, cursor, staging):
        """Apply the staged rows; return counts {added, changed, removed, unchanged}."""
        raise NotImplementedError

    def check_staged(self, cursor, staging):
        """Checks across rows (duplicates), after staging and before applying."""

    def staging_tables(self):
        """Every table rows are staged in (an importer may stage into more than one)."""
        return [self.staging]

    def stage(self, staged):
        self.staging.add(staged)

    # -- the pipeline --------------------------------------------------------------
    def run(self, path):
        record = self.record
        started = time.monotonic()
        record.started_at = timezone.now()
        self._set_stage("Reading the file")
        staging = self.staging = StagingTable(
            staging_table_names(record.pk)[0],
            self.staging_columns,
            self._progress,
            binary=self.staging_binary,
        )
        try:
            facts = file_facts(path)
            record.checksum, record.rows_total = facts.checksum, max(facts.lines - 1, 0)
            record.save(update_fields=["checksum", "rows_total"])
            with connection.cursor() as cursor:
                # A re-runnable bulk load need not wait for each commit to reach the disk (a crash
                # loses the last moments of work, consistently, never half an import).
                cursor.execute("SET synchronous_commit = off")
                for table in self.staging_tables():
                    table.create(cursor)
            self._stage_rows(path, facts.encoding)
            self.report.notes.append(f"Read {self.rows_seen} rows in {time.monotonic() - started:.1f} s.")
            if not self.report.error_count:
                self._set_stage("Applying changes")
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL default_statistics_target = 10")  # a quick sample is enough
                    # Room for the set-based joins of a million-row file to hash in memory, not on disk.
                    cursor.execute("SET LOCAL work_mem = '256MB'")
                    cursor.execute(f"ANALYZE {', '.join(t.name for t in self.staging_tables())}")
                    self.check_staged(cursor, staging)
                    if self.report.error_count:
                        raise _RolledBack
                    counts = self.apply(cursor, staging)
        except ImportRejected as problem:
            self.report.add_error(None, "", "", str(problem))
        except _RolledBack:
            pass
        except Exception as error:
            logger.exception("Import %s failed", record.pk)
            self._fail(error)
            raise
        finally:
            self._drop_staging()
        record.finished_at = timezone.now()
        record.rows_done = self.rows_seen
        record.errors = self.report.errors
        record.notes = self.report.notes + [f"Took {time.monotonic() - started:.1f} s in all."]
        record.rejected = self.report.error_count
        if self.report.error_count:
            record.status = RegisterImport.Status.REJECTED
            record.stage = "Rejected: nothing was changed"
        else:
            record.status = RegisterImport.Status.DONE
            record.stage = "Done"
            for name, value in counts.items():
                setattr(record, name, value)
        record.save()
        return record

    def _stage_rows(self, path, encoding):
        rows = read_rows(path, encoding)
        headers, original = next(rows)
        self.original_names = dict(zip(headers, original, strict=True))
        adapter = self.adapter_for(headers, original)
        self.record.file_format = adapter.name
        self.record.save(update_fields=["file_format"])
        for line, row in rows:
            self.rows_seen += 1
            if isinstance(row, RowError):
                self.report.add_error(line, row.column, row.value, row.reason)
                continue
            try:
                staged = adapter.row(row, line)
            except RowError as problem:
                self.report.add_error(
                    line,
                    self.original_names.get(problem.column, problem.column),
                    problem.value,
                    problem.reason,
                )
                continue
            if staged is not None and not self.report.error_count:
                self.stage(staged)
        if not self.rows_seen:
            raise ImportRejected("The file has a header line but no rows.")
        if not self.report.error_count:
            for table in self.staging_tables():
                table.flush()

    def _fail(self, error):
        """End the import as failed with the reason: a database failure says so (it is never the
        file's fault), anything else is unexpected. Recorded on a new connection if need be."""
        record = self.record
        record.status, record.stage, record.finished_at = (
            RegisterImport.Status.FAILED,
            "Failed",
            timezone.now(),
        )
        record.errors, record.rejected = [], 0
        if is_database_failure(error):
            record.notes = [database_failure_message(error)]
        else:
            record.notes = [
                f"Stopped by an unexpected error ({error.__class__.__name__}); nothing was changed."
            ]
        fields = ["status", "stage", "finished_at", "notes", "errors", "rejected"]
        try:
            on_a_working_connection(lambda: record.save(update_fields=fields))
        except DatabaseError:
            logger.exception("Import %s: could not record its failure (the sweeper will)", record.pk)

    def _drop_staging(self):
        """Drop the staging tables, whatever happened; on a new connection if the failure took the
        old one (they are unlogged tables, not temporary: they outlive their session). Never raises:
        the import's own outcome or error is what matters, and the sweeper drops what is left."""

        def drop():
            with connection.cursor() as cursor:
                for table in self.staging_tables():
                    table.drop(cursor)
                cursor.execute("RESET synchronous_commit")

        try:
            on_a_working_connection(drop)
        except DatabaseError:
            logger.exception("Import %s: staging tables left for the sweeper", self.record.pk)

    def _progress(self):
        self.record.rows_done = self.rows_seen
        self.record.heartbeat_at = timezone.now()
        self.record.save(update_fields=["rows_done", "heartbeat_at"])

    def _set_stage(self, stage):
        self.record.stage = stage
        self.record.status = RegisterImport.Status.RUNNING
        self.record.heartbeat_at = timezone.now()
        self.record.save(update_fields=["stage", "status", "started_at", "heartbeat_at"])


class _RolledBack(Exception):
    pass


def unknown_format(original, formats):
    """The message for headers no adapter recognises: what was seen and what was expected."""
    expected = "; ".join(f"{f.label}: {', '.join(f.expected_headers)}" for f in formats)
    return ImportRejected(
        f"Unknown file format. The header line has: {', '.join(original) or '(nothing)'}. "
        f"Expected one of — {expected}."
    )
