"""Reading one field of a register row: elector numbers, postcodes, dates, markers, names, addresses.

Each parser returns clean values or raises RowError naming the column, the value and why.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping

from voters.importers.base import RowError
from voters.models import Marker

# PD-NUMBER[/SUFFIX]; the PD itself may hold hyphens or slashes (KD-2/2-289/1), some systems use dots.
ELECTOR_NUMBER_RE = re.compile(r"^(?P<pd>.+?)[-.](?P<number>\d+)(?:[/.](?P<suffix>\d+))?$")
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
HOUSE_RE = re.compile(r"^(\d+)[A-Z]?,?\s+(\D.*)$", re.IGNORECASE)
DATE_IN_TEXT_RE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}")
MARKER_LETTERS = frozenset(Marker.values)
OPT_OUT_PREFIX = "(Z)"
YES = frozenset({"Y", "YES", "TRUE", "1", "T"})
ElectorNumber = tuple[str, int, int]  # polling district, number, suffix
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
YEAR_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})/(\d{4})$")


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def whole_number(column: str, value: str, *, empty: int | None = None) -> int:
    value = value.strip()
    if not value:
        if empty is None:
            raise RowError(column, value, "is empty; a number is needed")
        return empty
    if not value.isdigit() or len(value) > 9:
        raise RowError(column, value, "is not a whole number (up to 9 digits)")
    return int(value)


def elector_number(column: str, value: str) -> ElectorNumber:
    """'ABC1-123/1' -> ('ABC1', 123, 1). Suffix 0 is usually not written."""
    match = ELECTOR_NUMBER_RE.match(value.strip())
    if not match or len(match["number"]) > 9 or len(match["suffix"] or "") > 9:
        raise RowError(column, value, "is not an elector number like ABC1-123 or ABC1-123/1")
    return match["pd"].strip().upper(), int(match["number"]), int(match["suffix"] or 0)


def elector_number_text(pd: str, number: int, suffix: int) -> str:
    return f"{pd}-{number}/{suffix}" if suffix else f"{pd}-{number}"


def postcode(column: str, value: str) -> tuple[str, str]:
    """' ab1  1aa' -> ('AB11AA', 'AB1 1AA'); empty stays empty (no fixed address, overseas)."""
    compact = value.upper().replace(" ", "")
    if not compact:
        return "", ""
    match = POSTCODE_RE.match(compact)
    if not match:
        raise RowError(column, value, "is not a UK postcode")
    return compact, f"{match[1]} {match[2]}"


def date(column: str, value: str) -> datetime.date | None:
    """dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyy-mm-dd; empty -> None."""
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) >= 10 and value[4] == "-":
            return datetime.date.fromisoformat(value[:10])
        day, month, year = re.split(r"[/.-]", value[:10])
        year = int(year)
        if year < 100:
            year += 2000 if year < 50 else 1900
        return datetime.date(year, int(month), int(day))
    except ValueError:
        raise RowError(column, value, "is not a date like 31/12/2008") from None


def month_of_update(value: str, today: datetime.date | None = None) -> datetime.date | None:
    """The month an update file gives an action ('2026-01', '01/2026', 'Jan'), as its first day,
    or None when it gives none we can read. A bare month name is the latest such month up to now."""
    value = value.strip().upper()
    today = today or datetime.date.today()
    if value[:3] in MONTH_NAMES:
        month = MONTH_NAMES.index(value[:3]) + 1
        return datetime.date(today.year - (month > today.month), month, 1)
    match = YEAR_MONTH_RE.match(value)
    if not match:
        return None
    year, month_text = (match[1], match[2]) if match[1] else (match[4], match[3])
    return datetime.date(int(year), int(month_text), 1) if 1 <= int(month_text) <= 12 else None


def markers(value: str) -> tuple[str, str]:
    """'GZ' -> ('G', 'Z' ...) as a sorted string of known letters; plus an attainment date if one is written."""
    if not value:
        return "", ""
    letters = "".join(sorted({c for c in value.upper() if c in MARKER_LETTERS}))
    found = DATE_IN_TEXT_RE.search(value)
    return letters, found.group(0) if found else ""


def surname_and_opt_out(value: str) -> tuple[str, bool]:
    """A surname starting '(z) ' means opted out of the edited register."""
    value = " ".join(value.split())
    if value[:3].upper() == OPT_OUT_PREFIX:
        return value[3:].strip(), True
    return value, False


def split_full_name(value: str) -> tuple[str, str]:
    """Xpress 13-column 'Elector Name': 'Surname Forename Middle', or 'SURNAME, Forename Middle'."""
    value = " ".join(value.split())
    if "," in value:
        surname, _, rest = value.partition(",")
    else:
        surname, _, rest = value.partition(" ")
    return surname.strip(), rest.strip()


def yes(value: str) -> bool:
    return value.strip().upper() in YES


def address(lines: Iterable[str], postcode_compact: str) -> tuple[str, str, int | None]:
    """Clean address lines: spaces collapsed, empties dropped, and the postcode dropped when the
    council repeated it as the last line. Returns (address, street, house_number)."""
    kept = []
    for line in lines:
        line = " ".join(line.split()).strip(" ,")
        if line and not (postcode_compact and line.upper().replace(" ", "") == postcode_compact):
            kept.append(line)
    street: str = ""
    house_number: int | None = None
    for line in kept:
        match = HOUSE_RE.match(line)
        if match and len(match[1]) < 6:
            house_number, street = int(match[1]), match[2]
            break
    else:
        if kept:
            street = kept[1] if len(kept) > 2 else kept[0]
    return ", ".join(kept), street[:150], house_number


def elector_number_reader(headers: Iterable[str]) -> Callable[[Mapping[str, str]], ElectorNumber] | None:
    """A function row -> (pd, number, suffix) for whichever elector-number columns a file has
    (prefix/number/suffix, PD/ENO/Suffix, or one 'Elector Number' like ABC1-123/1), or None."""
    present = set(headers)
    if {"electornumberprefix", "electornumber"} <= present:
        return lambda r: (
            r["electornumberprefix"].strip().upper(),
            whole_number("electornumber", r["electornumber"]),
            whole_number("electornumbersuffix", r.get("electornumbersuffix", ""), empty=0),
        )
    if {"pd", "eno"} <= present:
        return lambda r: (
            r["pd"].strip().upper(),
            whole_number("eno", r["eno"]),
            whole_number("suffix", r.get("suffix", ""), empty=0),
        )
    for column in ("electornumber", "electorno", "eno"):
        if column in present:
            return lambda r, column=column: elector_number(column, r[column])  # type: ignore[misc]
    return None


@functools.lru_cache(maxsize=4096)
def home(
    lines: tuple[str, ...], postcode_value: str, postcode_column: str
) -> tuple[str, str, int | None, str, str, str]:
    """Everything about one address: (address, street, house_number, postcode, postcode_display,
    address_key). Cached: the members of a household come one after another in a register."""
    compact, display = postcode(postcode_column, postcode_value)
    text, street, house_number = address(lines, compact)
    key = md5(f"{text.upper()}|{compact}") if text or compact else ""
    return text[:400], street, house_number, compact, display, key
