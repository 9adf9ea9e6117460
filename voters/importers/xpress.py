"""Xpress registers: the 14-column and 13-column full registers, and monthly update files."""

from __future__ import annotations

from voters.importers import fields
from voters.importers.register import ADD, CHANGE, DELETE, RegisterAdapter, StagedElector, lines_from
from voters.models import RegisterImport

ADDRESS = [f"Address{n}" for n in range(1, 7)]


class Xpress14(RegisterAdapter):
    name = "xpress14"
    label = "Xpress (14 columns)"
    expected_headers: tuple[str, ...] = (
        "Elector Number Prefix",
        "Elector Number",
        "Elector Number Suffix",
        "Elector Markers",
        "Elector DOB",
        "Elector Surname",
        "Elector Forename",
        "PostCode",
        "Address1",
    )

    def names(self, r: dict[str, str]) -> tuple[str, str, str]:
        return r["electorsurname"], r["electorforename"], "electorsurname"

    def row(self, r: dict[str, str], line: int) -> StagedElector:
        surname, first_names, surname_column = self.names(r)
        return self.elector(
            line,
            pd=r["electornumberprefix"].strip(),
            pd_column="electornumberprefix",
            number=fields.whole_number("electornumber", r["electornumber"]),
            suffix=fields.whole_number("electornumbersuffix", r["electornumbersuffix"], empty=0),
            surname=surname,
            surname_column=surname_column,
            first_names=first_names,
            markers_raw=r["electormarkers"],
            markers_column="electormarkers",
            attainment=fields.date("electordob", r["electordob"]),
            address_lines=lines_from(r, "address", 6),
            postcode_value=r["postcode"],
        )


class Xpress13(Xpress14):
    """One 'Elector Name' column ('Surname Forename Middle') instead of surname and forename."""

    name = "xpress13"
    label = "Xpress (13 columns)"
    expected_headers = tuple(
        "Elector Name" if h == "Elector Surname" else h
        for h in Xpress14.expected_headers
        if h != "Elector Forename"
    )

    def names(self, r: dict[str, str]) -> tuple[str, str, str]:
        surname, first_names = fields.split_full_name(r["electorname"])
        return surname, first_names, "electorname"


class XpressUpdate(RegisterAdapter):
    name = "xpress_update"
    label = "Xpress monthly update"
    kind = RegisterImport.Kind.UPDATE
    expected_headers: tuple[str, ...] = (
        "ElectorNumber",
        "ElectorForename",
        "ElectorSurname",
        "ElectorDOB",
        "ElectorCreatedMonth",
        "ElectorChangedMonth",
        "ElectorDeletedMonth",
        "MarkersRegisterText",
        "PropertyAddress1",
        "PropertyPostCode",
    )

    def row(self, r: dict[str, str], line: int) -> StagedElector | None:
        created, changed, deleted = (
            _has_month(r[key])
            for key in ("electorcreatedmonth", "electorchangedmonth", "electordeletedmonth")
        )
        if created and deleted:
            return None  # added and removed in the same period: nothing to do (DOMAIN.md §1)
        # Deleted beats changed beats created; all three empty is an amendment.
        action = DELETE if deleted else CHANGE if changed else ADD if created else CHANGE
        pd, number, suffix = fields.elector_number("electornumber", r["electornumber"])
        return self.elector(
            line,
            action=action,
            pd=pd,
            number=number,
            suffix=suffix,
            surname=r["electorsurname"],
            surname_column="electorsurname",
            first_names=r["electorforename"],
            markers_raw=r["markersregistertext"],
            markers_column="markersregistertext",
            attainment=fields.date("electordob", r["electordob"]),
            address_lines=lines_from(r, "propertyaddress", 5),
            postcode_value=r["propertypostcode"],
            postcode_column="propertypostcode",
            first_seen=fields.month_of_update(r["electorcreatedmonth"]) if created else None,
        )


def _has_month(value: str) -> bool:
    return bool(value.strip().strip("0-/ "))
