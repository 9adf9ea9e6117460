"""The marked register (who voted at an election) and postal/proxy voters lists.

Each row names an elector by number; the import stores 'voted at X' / 'postal voter' / 'proxy voter'
marks with the election and this file as their source. Numbers not on the register are reported.
"""

import re
from collections.abc import Callable, Mapping

from django.db.backends.utils import CursorWrapper

from labourhub.models import Constituency
from labourhub.staged_import import StagingTable
from voters.importers import fields
from voters.importers.base import ImportRejected, RowError, StagedImporter
from voters.importers.fields import ElectorNumber
from voters.importers.register import polling_district_ids
from voters.models import ElectorMark, RegisterImport

ELECTION_ID_RE = re.compile(r"^[a-z]+(\.[a-z0-9-]+)*\.\d{4}-\d{2}-\d{2}$")
TYPE_COLUMNS = ("absenttype", "avtype", "type", "votertype")


class MarksAdapter:
    name = "absent_voters"
    label = "Marked register or absent voters list"
    expected_headers = ("Elector Number (or PD + ENO)", "Absent Type (Postal/Proxy, optional)")

    def __init__(
        self,
        read_number: Callable[[Mapping[str, str]], ElectorNumber],
        type_column: str | None,
        default_kind: str,
        polling_districts: dict[str, int],
    ) -> None:
        self.read_number = read_number
        self.polling_districts = polling_districts
        self.type_column = type_column
        self.default_kind = default_kind

    def row(self, r: dict[str, str], line: int) -> tuple[int, int, int, int, str]:
        pd, number, suffix = self.read_number(r)
        pd_id = self.polling_districts.get(pd)
        if pd_id is None:
            raise RowError("electornumber", pd, "is not a polling district of this constituency")
        kind = self.default_kind
        if self.type_column:
            value = r[self.type_column].strip().upper()
            if value.startswith(("PROXY", "X")):
                kind = ElectorMark.Kind.PROXY
            elif value and not value.startswith("P"):
                raise RowError(self.type_column, value, "is not Postal or Proxy")
        return (line, pd_id, number, suffix, kind)


class MarksImporter(StagedImporter):
    constituency: Constituency  # its electors' constituency
    staging_columns = [
        ("line", "integer"),
        ("pd_id", "integer"),
        ("number", "integer"),
        ("suffix", "integer"),
        ("kind", "text"),
    ]

    def adapter_for(self, headers: list[str], original: list[str]) -> MarksAdapter:
        election = self.options.get("election", "")
        if not ELECTION_ID_RE.match(election):
            raise ImportRejected(
                f"Say which election this is, as a Democracy Club id like parl.2024-07-04 (got {election!r})."
            )
        read_number = fields.elector_number_reader(headers)
        if read_number is None:
            raise ImportRejected(
                f"No elector number column. The header line has: {', '.join(original)}. Expected "
                "'Elector Number' (like ABC1-123/1), or 'PD' and 'ENO', or 'Elector Number Prefix' and 'Elector Number'."
            )
        postal = self.record.kind == RegisterImport.Kind.POSTAL
        type_column = next((c for c in TYPE_COLUMNS if c in headers), None) if postal else None
        default_kind = ElectorMark.Kind.POSTAL if postal else ElectorMark.Kind.VOTED
        return MarksAdapter(read_number, type_column, default_kind, polling_district_ids(self.constituency))

    def apply(self, cursor: CursorWrapper, staging: StagingTable) -> dict[str, int]:
        s = staging.name
        cursor.execute(
            f"""WITH matched AS (
                  SELECT s.line, e.id AS elector_id, s.kind FROM {s} s
                  JOIN voters_elector e ON e.polling_district_id = s.pd_id AND e.elector_number = s.number
                   AND e.elector_suffix = s.suffix AND e.on_register
                ), inserted AS (
                  INSERT INTO voters_electormark (elector_id, kind, election, source_id)
                  SELECT elector_id, kind, %s, %s FROM matched
                  ON CONFLICT (elector_id, election, kind) DO NOTHING RETURNING 1
                )
                SELECT (SELECT count(*) FROM matched), (SELECT count(*) FROM inserted)""",
            [self.options["election"], self.record.pk],
        )
        matched, added = cursor.fetchone()
        missing = staging.written - matched
        if missing:
            self.report.notes.append(f"{missing} elector numbers are not on the current register (skipped).")
        return {"added": added, "changed": 0, "removed": 0, "unchanged": matched - added}
