"""Halarose registers: PD, ENO and Suffix columns, title and initials, up to nine address lines,
an Opt Out column. Update files carry Status A/D/M (or ChangeTypeID N/D/M)."""

from __future__ import annotations

from voters.importers import fields
from voters.importers.base import RowError
from voters.importers.register import ADD, CHANGE, DELETE, PRESENT, RegisterAdapter, StagedElector, lines_from
from voters.models import RegisterImport

ACTIONS = {"A": ADD, "N": ADD, "D": DELETE, "M": CHANGE}


class Halarose(RegisterAdapter):
    name = "halarose"
    label = "Halarose"
    expected_headers: tuple[str, ...] = (
        "PD",
        "ENO",
        "Status",
        "Title",
        "First Names",
        "Initials",
        "Surname",
        "Suffix",
        "Date of Attainment",
        "Franchise Flag",
        "Address 1",
        "Postcode",
        "Opt Out",
    )

    def row(self, r: dict[str, str], line: int) -> StagedElector:
        return self.elector(
            line,
            action=self.action(r),
            pd=r["pd"].strip(),
            pd_column="pd",
            number=fields.whole_number("eno", r["eno"]),
            suffix=fields.whole_number("suffix", r["suffix"], empty=0),
            title=r["title"],
            initials=r["initials"],
            surname=r["surname"],
            surname_column="surname",
            first_names=r["firstnames"],
            markers_raw=r["franchiseflag"],
            markers_column="franchiseflag",
            attainment=fields.date("dateofattainment", r["dateofattainment"]),
            opted_out=fields.yes(r["optout"]),
            address_lines=lines_from(r, "address", 9),
            postcode_value=r["postcode"],
            uprn=r.get("uprn", ""),
        )

    def action(self, r: dict[str, str]) -> str:
        return PRESENT


class HalaroseUpdate(Halarose):
    name = "halarose_update"
    label = "Halarose monthly update"
    kind = RegisterImport.Kind.UPDATE

    def action(self, r: dict[str, str]) -> str:
        column = "changetypeid" if "changetypeid" in r else "status"
        value = r[column].strip().upper()
        if value not in ACTIONS:
            raise RowError(column, value, "is not A (added), D (deleted) or M (changed)")
        return ACTIONS[value]
