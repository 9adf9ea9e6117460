"""Idox (Eros) registers: PD and ENO columns, flags, a '(z) ' prefix on opted-out surnames.
Update files add a Change column: '+Jan' added, '-Jan' deleted, '=Jan' changed."""

from __future__ import annotations

import datetime
from typing import Any

from voters.importers import fields
from voters.importers.base import RowError
from voters.importers.register import ADD, CHANGE, DELETE, PRESENT, RegisterAdapter, StagedElector, lines_from
from voters.models import RegisterImport

ACTIONS = {"+": ADD, "-": DELETE, "=": CHANGE}


class Idox(RegisterAdapter):
    name = "idox"
    label = "Idox"
    expected_headers: tuple[str, ...] = (
        "PD",
        "ENO",
        "Flags",
        "Attainment Date",
        "Surname",
        "Forenames",
        "Address 1",
        "Postcode",
    )

    def row(self, r: dict[str, str], line: int) -> StagedElector:
        return self.elector(line, action=self.action(r), first_seen=self.first_seen(r), **self.fields(r))

    def action(self, r: dict[str, str]) -> str:
        return PRESENT

    def first_seen(self, r: dict[str, str]) -> datetime.date | None:
        return None

    def fields(self, r: dict[str, str]) -> dict[str, Any]:
        number, _, suffix = r["eno"].partition("/")  # some exports write the suffix into ENO
        return {
            "pd": r["pd"].strip(),
            "pd_column": "pd",
            "number": fields.whole_number("eno", number),
            "suffix": fields.whole_number("suffix", r.get("suffix", "") or suffix, empty=0),
            "surname": r["surname"],
            "surname_column": "surname",
            "first_names": r["forenames"],
            "markers_raw": r["flags"],
            "markers_column": "flags",
            "attainment": fields.date("attainmentdate", r["attainmentdate"]),
            "address_lines": lines_from(r, "address", 6),
            "postcode_value": r["postcode"],
            "uprn": r.get("uprn", ""),
        }


class IdoxUpdate(Idox):
    name = "idox_update"
    label = "Idox monthly update"
    kind = RegisterImport.Kind.UPDATE
    expected_headers = (*Idox.expected_headers, "Change")

    def action(self, r: dict[str, str]) -> str:
        value = r["change"].strip()
        if not value or value[0] not in ACTIONS:
            raise RowError(
                "change", value, "is not an action like +Jan (added), -Jan (deleted) or =Jan (changed)"
            )
        return ACTIONS[value[0]]

    def first_seen(self, r: dict[str, str]) -> datetime.date | None:
        value = r["change"].strip()
        return fields.month_of_update(value[1:]) if value.startswith("+") else None
