"""The staged-import core every file import shares: registers, model scores and postcode locations
(voters/importers/) and membership exports (members/importers.py), and the next imports.

What each import does once, here:

    ImportRejected, normalise_header       the file's fault, said in the user's words; header names
    import_lock                            a session advisory lock held for the whole run (the sweeper's
                                           sign of a live worker); it dies with the session
    StagingTable / copy_csv_chunks         chunked COPY into a staging table, progress committed
                                           between chunks ("N of M lines read", the heartbeat)
    Report, report_duplicates              every problem of a rejected file, in one pass, by line
    is_database_failure, ...               a failure of ours is never blamed on a line of the file
    drop_tables, drop_orphan_tables        staging tables dropped on every path; what a killed
                                           backend left, dropped by the sweeper

What each import keeps for itself: how a row is read or checked (its adapters or its SQL), and the
set-based SQL that applies the staged rows in one transaction (all or nothing).

This module imports no app (DESIGN.md: labourhub's helpers import none).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

import psycopg
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.utils import timezone

T = TypeVar("T")

MAX_ERRORS = 1000  # problems listed in a report (all are counted)
CHUNK_ROWS = 20_000  # rows between progress updates (each ends one COPY and starts the next)
_NOT_WORDS = re.compile(r"[^a-z0-9]")


class ImportRejected(Exception):
    """The file as a whole cannot be imported; the message says why and where, in the user's words."""


def normalise_header(name: str) -> str:
    """'Elector Number Prefix' -> 'electornumberprefix'; 'PostCode' -> 'postcode'; a BOM dropped."""
    return _NOT_WORDS.sub("", name.casefold())


# --- The database's failures, not the file's ------------------------------------------------
# A cancelled statement (a statement_timeout, an operator's pg_cancel_backend), a lost connection, a
# server shutting down.
DATABASE_FAILURES = (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError)


def is_database_failure(error: BaseException) -> bool:
    errors = (error, error.__cause__)
    if any(isinstance(e, psycopg.errors.ProgramLimitExceeded) for e in errors):
        return False  # a file too wide or a value too large: the file's shape, not the database
    return any(isinstance(e, DATABASE_FAILURES) for e in errors)


def database_failure_message(error: BaseException) -> str:
    """What an import that the database failed says: not the file's fault, nothing changed, try again."""
    detail = str(error.__cause__ or error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return (
        f"The import failed: the database did not finish it ({error.__class__.__name__}"
        f"{': ' + detail if detail else ''}). Nothing was changed; try again."
    )


def worker_gone_message(seconds: int) -> str:
    """What an import the sweeper ends says (every kind of import alike)."""
    quiet = f"{seconds // 60} minutes" if seconds >= 120 else f"{seconds} seconds"
    return (
        f"The import stopped without finishing: its worker stopped (nothing heard from it for {quiet}; "
        "it may have been restarted or run out of memory). Nothing was changed. Try again; if it stops "
        "again, tell the platform operator."
    )


def database_started_at() -> datetime:
    """When the database server last started: after a crash (or any restart), when it came back.
    An import whose last heartbeat is older ran on a server that stopped under it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


def database_restarted_message(started_at: datetime) -> str:
    """What an import the sweeper ends says when the database server stopped while it ran (register and
    members alike): the database's failure, never the file's."""
    return (
        "The import failed: the database did not finish it (the database server stopped while it ran; "
        f"it was back at {timezone.localtime(started_at):%d %b %Y %H:%M}). Nothing was changed; try again."
    )


def import_stopped_reason(heartbeat_at: datetime | None, *, seconds: int, started: datetime) -> str:
    """Why a running import that no session holds stopped, for the sweeper to say: heard of shortly
    before the database server (re)started at `started`, the server stopped under it; otherwise its
    worker went quiet (more than `seconds` ago)."""
    if heartbeat_at and started - timedelta(seconds=seconds) <= heartbeat_at < started:
        return database_restarted_message(started)
    return worker_gone_message(seconds)


def stopped_imports(running: Any, *, now: datetime) -> list[tuple[Any, str]]:
    """Of `running` (a queryset of imports with `heartbeat_at`), those the sweeper should end: heard of
    more than IMPORT_STALE_AFTER_SECONDS ago, never, or (at once) before the database server last
    started. Each with the reason to give; the caller checks no session still holds it."""
    seconds = settings.IMPORT_STALE_AFTER_SECONDS
    started = database_started_at()
    stale = running.filter(
        Q(heartbeat_at__lt=now - timedelta(seconds=seconds))
        | Q(heartbeat_at__lt=started)
        | Q(heartbeat_at=None)
    )
    return [
        (record, import_stopped_reason(record.heartbeat_at, seconds=seconds, started=started))
        for record in stale
    ]


def on_a_working_connection(action: Callable[[], T]) -> T:
    """Run `action()`; if the connection went with an earlier failure, once more on a new one.
    Outside a transaction only (inside one, the caller's rollback owns the connection)."""
    try:
        return action()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        connection.close()
        return action()


# --- The lock a running import holds ---------------------------------------------------------


@contextlib.contextmanager
def import_lock(namespace: int, pk: int, *, wait: bool) -> Iterator[bool]:
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


# --- The report ---------------------------------------------------------------------------------


class Report:
    """Problems and notes of one import. Every problem is counted; the first MAX_ERRORS are kept,
    listed by line (file-level problems first) whatever order the checks found them in."""

    def __init__(self) -> None:
        self._errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.notes: list[str] = []

    def add_error(self, line: int | None, column: str, value: object, reason: str) -> None:
        self.error_count += 1
        if len(self._errors) < MAX_ERRORS:
            self._errors.append(
                {
                    "line": line,
                    "column": _storable(column),
                    "value": _storable(str(value)[:100]),
                    "reason": _storable(reason),
                }
            )

    @property
    def errors(self) -> list[dict[str, Any]]:
        return sorted(self._errors, key=lambda e: (e["line"] is not None, e["line"] or 0))


def _storable(text: str) -> str:
    """Text a jsonb column can hold: a NUL byte from the file is shown as \\x00."""
    return text.replace("\x00", "\\x00")


def report_duplicates(
    cursor: CursorWrapper, report: Report, *, table: str, key: str, shown: str, column: str, reason: str
) -> None:
    """Report every line of each group of staged rows that share `key` (SQL over `table`, which has
    a `line` column): the first line says where the others are, each later one where the first is.
    `shown` is the SQL of the value shown; `reason` a phrase ("duplicate elector number")."""
    cursor.execute(
        f"""SELECT {shown}, array_agg(line ORDER BY line) FROM {table}
            GROUP BY {key}, {shown} HAVING count(*) > 1 ORDER BY min(line) LIMIT %s""",
        [MAX_ERRORS],
    )
    for value, lines in cursor.fetchall():
        others = ", ".join(str(n) for n in lines[1:6]) + (" ..." if len(lines) > 6 else "")
        report.add_error(lines[0], column, value or "", f"{reason} (also on line {others})")
        for line in lines[1:]:
            report.add_error(line, column, value or "", f"{reason} (first on line {lines[0]})")


# --- Staging -----------------------------------------------------------------------------------


class StagingTable:
    """An unlogged table the rows are COPY'd into, one COPY per chunk so progress can be committed
    and reported between chunks (`on_chunk`). Binary COPY when the rows hold Python values of the
    column types (the server then parses nothing); text COPY when some values are still text."""

    def __init__(
        self,
        name: str,
        columns: Sequence[tuple[str, str]],
        on_chunk: Callable[[], object],
        binary: bool = False,
    ) -> None:
        self.name = name
        self.columns = columns  # [(name, sql type)]
        self.on_chunk = on_chunk
        self.binary = binary
        self.copy: Any = None
        self.open_copy = contextlib.ExitStack()
        self.pending = 0
        self.written = 0

    def create(self, cursor: CursorWrapper) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        cursor.execute(f"CREATE UNLOGGED TABLE {self.name} ({cols})")

    def drop(self, cursor: CursorWrapper) -> None:
        with contextlib.suppress(DatabaseError, psycopg.Error):  # the COPY failed: nothing to end
            self.open_copy.close()
        self.copy = None
        cursor.execute(f"DROP TABLE IF EXISTS {self.name}")

    def add(self, row: Sequence[object]) -> None:
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

    def flush(self) -> None:
        if self.copy is None:
            return
        self.open_copy.close()
        self.copy = None
        self.written += self.pending
        self.pending = 0
        self.on_chunk()


class CopyRejected(ImportRejected):
    """COPY refused a piece of the file (a line with too many fields, say); the message names the line."""


def copy_csv_chunks(
    cursor: CursorWrapper,
    *,
    table: str,
    names: str,
    path: str | Path,
    delimiter: str,
    chunk_bytes: int,
    on_chunk: Callable[[int], object],
) -> int:
    """COPY a UTF-8 CSV file (its first line the headers) into `table` (`names` its columns), a chunk
    of about `chunk_bytes` at a time, each chunk committed on its own so that `on_chunk(rows so far)`
    can report progress the page sees. Returns the number of rows. A piece COPY refuses is
    CopyRejected naming the line; a database failure is raised as it is."""
    delimiter_sql = "E'\\t'" if delimiter == "\t" else "','"
    rows = 0
    with open(path, "rb") as data:
        for number, chunk in enumerate(_csv_chunks(data, chunk_bytes)):
            header = "false" if number else "true"
            try:
                with (
                    transaction.atomic(),
                    cursor.copy(
                        f"COPY {table} ({names}) FROM STDIN "
                        f"(FORMAT csv, HEADER {header}, DELIMITER {delimiter_sql}, FORCE_NOT_NULL ({names}))"
                    ) as copy,
                ):
                    copy.write(chunk)
            except (DatabaseError, psycopg.Error) as error:
                if is_database_failure(error):  # cancelled, connection lost: not the file's fault
                    raise
                # COPY counts lines from the start of the chunk; the first chunk starts with the header.
                raise CopyRejected(_copy_error(error, lines_before=rows + 1 if number else 0)) from None
            rows += cursor.rowcount
            on_chunk(rows)
    return rows


def _csv_chunks(data: IO[bytes], size: int) -> Iterator[bytes]:
    """The CSV file in pieces of about `size` bytes, each ending at the end of a row: a line break
    with an even number of quotes before it in the piece (one inside a quoted field does not end it)."""
    while piece := data.read(size):
        pieces = [piece]
        quotes = piece.count(b'"')
        if not piece.endswith(b"\n") or quotes % 2:
            while line := data.readline():
                pieces.append(line)
                quotes += line.count(b'"')
                if not quotes % 2:
                    break
        yield b"".join(pieces)


def _copy_error(error: BaseException, lines_before: int) -> str:
    """A COPY failure (a line with too many or too few columns, say) as a line-level message."""
    diag = getattr(error, "__cause__", None) or error
    context = getattr(getattr(diag, "diag", None), "context", "") or ""
    message = getattr(getattr(diag, "diag", None), "message_primary", "") or str(error)
    where = context.rsplit("line ", 1)[-1].split(",")[0].split(":")[0] if "line " in context else ""
    if not where.isdigit():
        return f"The file could not be read: {message}"
    return f"line {lines_before + int(where)}: {message}"


# --- Cleaning up -------------------------------------------------------------------------------


def drop_tables(names: Iterable[str]) -> None:
    """Drop staging tables (names the importers build from an integer pk, never from input)."""
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def drop_orphan_tables(*, like: str, pattern: re.Pattern[str], lock_namespace: int) -> list[str]:
    """Drop the staging tables (`like`: their LIKE pattern; `pattern`: a regex whose group 1 is the
    import's pk) that no session running their import owns: left by a killed backend. Tables are
    created only under their import's lock, so a free lock means nobody owns them. Returns the
    names dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE %s",
            [like],
        )
        owners: dict[int, list[str]] = {}
        for (name,) in cursor.fetchall():
            if match := pattern.match(name):
                owners.setdefault(int(match[1]), []).append(name)
    dropped: list[str] = []
    for pk, names in sorted(owners.items()):
        with import_lock(lock_namespace, pk, wait=False) as free:
            if free:
                drop_tables(names)
                dropped += names
    return dropped
