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

from __future__ import annotations

import csv
import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from labourhub.staged_import import (  # noqa: F401  (the importers' names for the core's pieces)
    CHUNK_ROWS,
    DATABASE_FAILURES,
    MAX_ERRORS,
    ImportRejected,
    Report,
    StagingTable,
    database_failure_message,
    import_lock,
    is_database_failure,
    normalise_header,
    on_a_working_connection,
    report_duplicates,
    worker_gone_message,
)
from voters.importers.encoding import EncodingScan, NotText, sniff
from voters.models import RegisterImport

logger = logging.getLogger(__name__)
MAX_FILE_BYTES = getattr(settings, "VOTERS_MAX_IMPORT_BYTES", 1024**3)
MAX_LINE_CHARS = 1024 * 1024  # a register line is a few hundred characters
REGISTER_IMPORT_LOCK = 0x52494D  # "RIM": the advisory lock namespace of a running register import


def staging_table_names(pk: int) -> list[str]:
    """The unlogged tables an import with this pk may have staged rows in."""
    base = f"voters_staging_{int(pk)}"
    return [base, f"{base}_homes", f"{base}_matched"]


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


def file_facts(path: str | Path) -> FileFacts:
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


def read_rows(path: str | Path, encoding: str) -> Iterator[tuple[Any, Any]]:
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
        too_long: list[bool] = []

        def lines() -> Iterator[str]:
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


class RowAdapter(Protocol):
    """What an importer's `adapter_for` returns: reads one row of the file into a staged row."""

    name: str

    def row(self, r: dict[str, str], line: int) -> Sequence[object] | None: ...


class StagedImporter:
    """Base of every importer. Subclasses set `staging_columns`, pick an adapter from the
    headers (`adapter_for`) and write the set-based `apply`."""

    staging_columns: ClassVar[list[tuple[str, str]]] = []
    staging_binary = False  # True when adapters return Python values of the staging column types

    def __init__(self, record: RegisterImport) -> None:
        self.record = record
        self.options = record.options
        self.constituency = record.constituency
        self.report = Report()
        self.rows_seen = 0

    # -- to override -------------------------------------------------------------
    def adapter_for(self, headers: list[str], original: list[str]) -> RowAdapter:
        raise NotImplementedError

    def apply(self, cursor: CursorWrapper, staging: StagingTable) -> dict[str, int]:
        """Apply the staged rows; return counts {added, changed, removed, unchanged}."""
        raise NotImplementedError

    def check_staged(self, cursor: CursorWrapper, staging: StagingTable) -> None:
        """Checks across rows (duplicates), after staging and before applying."""

    def needs_confirmation(self, counts: Mapping[str, int]) -> str | None:
        """After `apply`, inside its transaction: the question to ask before these changes are kept
        (they are then rolled back and the import waits for an answer), or None to keep them."""
        return None

    def staging_tables(self) -> list[StagingTable]:
        """Every table rows are staged in (an importer may stage into more than one)."""
        return [self.staging]

    def stage(self, staged: Sequence[object]) -> None:
        self.staging.add(staged)

    # -- the pipeline --------------------------------------------------------------
    def run(self, path: str | Path) -> RegisterImport:
        record = self.record
        started = time.monotonic()
        question = None
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
            # The checks across rows run on a file with bad lines too: every problem in one report.
            self._set_stage("Checking the file" if self.report.error_count else "Applying changes")
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL default_statistics_target = 10")  # a quick sample is enough
                # Room for the set-based joins of a million-row file to hash in memory, not on disk.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(f"ANALYZE {', '.join(t.name for t in self.staging_tables())}")
                self.check_staged(cursor, staging)
                if self.report.error_count:
                    raise _RolledBack
                notes_before_apply = len(self.report.notes)
                counts = self.apply(cursor, staging)
                question = self.needs_confirmation(counts)
                if question:
                    # What apply noted as done is rolled back with it: the question says what would be.
                    del self.report.notes[notes_before_apply:]
                    raise _RolledBack
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
        elif question:
            # What it would do, shown with the question; nothing was changed until it is confirmed.
            record.status = RegisterImport.Status.CONFIRM
            record.stage = "Waiting for confirmation: nothing was changed"
            record.notes = [question, *record.notes]
            for name, value in counts.items():
                setattr(record, name, value)
        else:
            record.status = RegisterImport.Status.DONE
            record.stage = "Done"
            for name, value in counts.items():
                setattr(record, name, value)
        record.save()
        return record

    def _stage_rows(self, path: str | Path, encoding: str) -> None:
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
            if staged is not None:  # staged after a bad line too, for the checks across rows
                self.stage(staged)
        if not self.rows_seen:
            raise ImportRejected("The file has a header line but no rows.")
        for table in self.staging_tables():
            table.flush()

    def _fail(self, error: BaseException) -> None:
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

    def _drop_staging(self) -> None:
        """Drop the staging tables, whatever happened; on a new connection if the failure took the
        old one (they are unlogged tables, not temporary: they outlive their session). Never raises:
        the import's own outcome or error is what matters, and the sweeper drops what is left."""

        def drop() -> None:
            with connection.cursor() as cursor:
                for table in self.staging_tables():
                    table.drop(cursor)
                cursor.execute("RESET synchronous_commit")

        try:
            on_a_working_connection(drop)
        except DatabaseError:
            logger.exception("Import %s: staging tables left for the sweeper", self.record.pk)

    def _progress(self) -> None:
        self.record.rows_done = self.rows_seen
        self.record.heartbeat_at = timezone.now()
        self.record.save(update_fields=["rows_done", "heartbeat_at"])

    def _set_stage(self, stage: str) -> None:
        self.record.stage = stage
        self.record.status = RegisterImport.Status.RUNNING
        self.record.heartbeat_at = timezone.now()
        self.record.save(update_fields=["stage", "status", "started_at", "heartbeat_at"])


class _RolledBack(Exception):
    pass


def unknown_format(original: Iterable[str], formats: Iterable[Any]) -> ImportRejected:
    """The message for headers no adapter recognises: what was seen and what was expected."""
    expected = "; ".join(f"{f.label}: {', '.join(f.expected_headers)}" for f in formats)
    return ImportRejected(
        f"Unknown file format. The header line has: {', '.join(original) or '(nothing)'}. "
        f"Expected one of — {expected}."
    )
