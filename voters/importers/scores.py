"""Model scores: a CSV of elector id or elector number plus one column per score (support,
turnout, ...), stored as a named, dated model version. Re-importing the same file changes nothing."""

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.backends.utils import CursorWrapper

from labourhub.models import Constituency
from labourhub.staged_import import StagingTable
from voters.importers import fields
from voters.importers.base import ImportRejected, RowError, StagedImporter, report_duplicates
from voters.importers.fields import ElectorNumber
from voters.importers.register import polling_district_ids
from voters.models import ModelVersion

ID_COLUMNS = ("electorid", "id")


class ScoresAdapter:
    name = "scores"
    label = "Model scores"

    def __init__(
        self,
        read_id: Callable[[Mapping[str, str]], int] | None,
        read_number: Callable[[Mapping[str, str]], ElectorNumber] | None,
        score_columns: Sequence[str],
        polling_districts: dict[str, int],
    ) -> None:
        self.read_id = read_id
        self.read_number = read_number
        self.score_columns = score_columns
        self.polling_districts = polling_districts

    def row(
        self, r: dict[str, str], line: int
    ) -> tuple[int, int | None, int | None, int | None, int | None, str]:
        values = "{" + ",".join(_score(column, r[column]) for column in self.score_columns) + "}"
        if self.read_id:
            return (line, self.read_id(r), None, None, None, values)
        pd, number, suffix = self.read_number(r)  # type: ignore[misc]  # no id column: a number reader
        pd_id = self.polling_districts.get(pd)
        if pd_id is None:
            raise RowError("electornumber", pd, "is not a polling district of this constituency")
        return (line, None, pd_id, number, suffix, values)


def _score(column: str, value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        raise RowError(column, value, "is not a number") from None
    if not math.isfinite(number):
        raise RowError(column, value, "is not a finite number")
    return value.strip()


class ScoresImporter(StagedImporter):
    constituency: Constituency  # its electors' constituency
    staging_columns = [
        ("line", "integer"),
        ("elector_id", "bigint"),
        ("pd_id", "integer"),
        ("number", "integer"),
        ("suffix", "integer"),
        ("scores", "double precision[]"),
    ]

    def adapter_for(self, headers: list[str], original: list[str]) -> ScoresAdapter:
        name = (self.options.get("model") or "").strip()
        if not name:
            raise ImportRejected("Name the model these scores come from (e.g. 'support 2026').")
        names = dict(zip(headers, original, strict=True))
        id_column = next((c for c in ID_COLUMNS if c in headers), None)
        read_number = None if id_column else fields.elector_number_reader(headers)
        if not id_column and not read_number:
            raise ImportRejected(
                f"No elector column. The header line has: {', '.join(original)}. Expected 'Elector ID', "
                "or 'Elector Number' (like ABC1-123/1), or 'PD' and 'ENO'."
            )
        number_columns = (
            {id_column}
            if id_column
            else {
                "electornumberprefix",
                "electornumber",
                "electornumbersuffix",
                "pd",
                "eno",
                "suffix",
                "electorno",
            }
        )
        score_columns = [h for h in headers if h not in number_columns and h]
        if not score_columns:
            raise ImportRejected("The file has no score columns besides the elector column.")
        self.score_names = [names[c][:40] for c in score_columns]
        pds = polling_district_ids(self.constituency)
        read_id = (lambda r: fields.whole_number(id_column, r[id_column])) if id_column else None
        self.join = (
            "e.id = s.elector_id"
            if id_column
            else (
                "e.polling_district_id = s.pd_id AND e.elector_number = s.number AND e.elector_suffix = s.suffix "
                "AND e.on_register"
            )
        )
        return ScoresAdapter(read_id, read_number, score_columns, pds)

    def check_staged(self, cursor: CursorWrapper, staging: StagingTable) -> None:
        report_duplicates(
            cursor,
            self.report,
            table=staging.name,
            key="elector_id, pd_id, number, suffix",
            shown="NULL::text",
            column="elector",
            reason="the same elector twice",
        )

    def apply(self, cursor: CursorWrapper, staging: StagingTable) -> dict[str, int]:
        version, created = ModelVersion.unscoped.get_or_create(
            constituency=self.constituency,
            name=self.options["model"].strip()[:100],
            run_on=self.options.get("run_on") or datetime.date.today().isoformat(),
            defaults={"score_names": self.score_names, "source": self.record},
        )
        if version.score_names != self.score_names:
            raise ImportRejected(
                f"This model version already has scores {', '.join(version.score_names)}; "
                f"this file has {', '.join(self.score_names)}. Give it a new name or date."
            )
        scores = f"""SELECT %s, e.id, names.name, s.scores[names.i]
            FROM {staging.name} s
            JOIN voters_elector e ON {self.join}
            JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id AND pd.constituency_id = %s
            CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS names(name, i)"""
        params: list[Any] = [version.pk, self.constituency.pk, self.score_names]
        if created:  # a new version has nothing to conflict with: a plain insert
            cursor.execute(
                f"INSERT INTO voters_electorscore (model_version_id, elector_id, name, value) {scores}",
                params,
            )
            added, changed = cursor.rowcount, 0
            matched = added // len(self.score_names)
        else:
            cursor.execute(
                f"""WITH up AS (
                      INSERT INTO voters_electorscore AS sc (model_version_id, elector_id, name, value) {scores}
                      ON CONFLICT (model_version_id, name, elector_id) DO UPDATE SET value = EXCLUDED.value
                      WHERE sc.value IS DISTINCT FROM EXCLUDED.value
                      RETURNING (xmax = 0) AS inserted)
                    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up""",
                params,
            )
            added, changed = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM ({scores}) matched", params)
            matched = cursor.fetchone()[0] // len(self.score_names)
        if staging.written - matched:
            self.report.notes.append(
                f"{staging.written - matched} rows name electors not on this constituency's register (skipped)."
            )
        self.report.notes.append(f"Model version: {version}.")
        total = matched * len(self.score_names)
        return {"added": added, "changed": changed, "removed": 0, "unchanged": total - added - changed}
