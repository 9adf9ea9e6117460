"""Polling stations and ballot boxes from the council's list, into one election.

Two layouts, columns named by the operator (the upload page starts from these defaults):

- Democracy Club (DOMAIN.md §3): the CSV/TSV councils' election systems export for Democracy
  Club, one row per address with its polling place: ``polling_place_id``,
  ``polling_place_name``, ``polling_place_address_1..4``, ``polling_place_postcode``,
  ``polling_place_district_reference``, ``polling_place_uprn``... A station gets one box per
  polling district it serves (labelled by the district code); a station with several is flagged
  co-located. Rows without a polling place (addresses not yet allocated) are skipped.
- A box list: one row per ballot box: station, address, postcode, box, districts (several codes
  separated by spaces, commas or semicolons), optionally station id, latitude and longitude.

The file is read with the register importers' reader (voters.importers.base: encoding detection,
tab or comma, headers normalised), validated in memory (a few hundred stations even for a large
council), then written in one transaction. Any bad row rejects the whole file, every bad line
reported with its number. Districts of other constituencies (a council's file covers several)
are skipped and listed. Stations are matched on re-import by the council's id (or by name and
postcode), boxes by label: importing the same file twice changes nothing, and nothing already
told against is ever deleted. Locations come from the file's latitude/longitude when it has
them, otherwise from the postcode (voters.PostcodeLocation).
"""

import re
from dataclasses import dataclass, field

from voters.importers import fields as register_fields
from voters.importers.base import ImportRejected, Report, RowError, file_facts, normalise_header, read_rows

DEMOCRACY_CLUB = "democracy_club"
BOX_LIST = "box_list"
LAYOUTS = {DEMOCRACY_CLUB: "Democracy Club polling station file", BOX_LIST: "One row per ballot box"}

# key -> (label, required)
COLUMNS = {
    "station_id": ("station id (the council's)", False),
    "name": ("station name", True),
    "address": ("station address (several columns separated by commas)", False),
    "postcode": ("station postcode", False),
    "uprn": ("station UPRN", False),
    "box": ("ballot box", False),
    "districts": ("polling district(s)", True),
    "latitude": ("latitude", False),
    "longitude": ("longitude", False),
}
DEFAULT_COLUMNS = {
    DEMOCRACY_CLUB: {
        "station_id": "polling_place_id",
        "name": "polling_place_name",
        "address": "polling_place_address_1, polling_place_address_2, polling_place_address_3, "
        "polling_place_address_4",
        "postcode": "polling_place_postcode",
        "uprn": "polling_place_uprn",
        "box": "",
        "districts": "polling_place_district_reference",
        "latitude": "",
        "longitude": "",
    },
    BOX_LIST: {
        "station_id": "",
        "name": "station",
        "address": "address",
        "postcode": "postcode",
        "uprn": "",
        "box": "box",
        "districts": "districts",
        "latitude": "latitude",
        "longitude": "longitude",
    },
}
_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class StationRow:
    key: tuple
    line: int
    council_id: str
    name: str
    address: str
    postcode: str
    uprn: str
    latitude: float | None
    longitude: float | None
    boxes: dict = field(default_factory=dict)  # label -> set of district codes


@dataclass
class ParsedFile:
    layout: str
    stations: dict  # key -> StationRow
    report: Report
    rows: int = 0
    skipped_unallocated: int = 0


def columns_named(layout, named):
    """(columns, explicit): the operator's column names over the layout's defaults. A name the
    operator gave is binding; an optional default the file lacks is left out (with a note)."""
    if layout not in LAYOUTS:
        raise ImportRejected(f"Unknown layout {layout!r}: {', '.join(LAYOUTS)}.")
    columns, explicit = dict(DEFAULT_COLUMNS[layout]), set()
    for key, value in (named or {}).items():
        if key not in COLUMNS:
            raise ImportRejected(f"Unknown column option {key!r}; the options are {', '.join(COLUMNS)}.")
        if value is not None and value.strip():
            columns[key] = value.strip()
            explicit.add(key)
    return columns, explicit


def _names(columns, key):
    if key == "address":
        return [n.strip() for n in columns[key].split(",") if n.strip()]
    return [columns[key]] if columns[key] else []


def _check_headers(columns, explicit, headers, original, notes):
    missing = []
    for key, (label, required) in COLUMNS.items():
        names = _names(columns, key)
        if not names:
            if required:
                raise ImportRejected(f"Name the column that holds the {label}.")
            continue
        absent = [n for n in names if normalise_header(n) not in headers]
        if absent and not required and key not in explicit:
            kept = [n for n in names if n not in absent]
            columns[key] = ", ".join(kept)
            if not kept:
                notes.append(f"No {label} column ({', '.join(absent)}): left out.")
            continue
        missing += [f"{n!r} ({label})" for n in absent]
    if missing:
        raise ImportRejected(
            f"Missing column(s) {', '.join(missing)}. The header line has: {', '.join(original) or '(nothing)'}. "
            "Name the columns to use on the upload page."
        )
    if bool(columns["latitude"]) != bool(columns["longitude"]):
        raise ImportRejected("Name both the latitude and the longitude column, or neither.")


def _value(row, columns, key):
    name = columns[key]
    return row.get(normalise_header(name), "").strip() if name else ""


def _coordinate(column, value, limit):
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowError(column, value, "is not a number") from None
    if not -limit <= number <= limit:
        raise RowError(column, value, f"is outside -{limit} to {limit}")
    return number


def parse_station_file(path, *, layout, named=None):
    """Read the whole file with the operator's column names (`named`, over the layout's
    defaults); ParsedFile with every bad line in its report. Nothing is written."""
    columns, explicit = columns_named(layout, named)
    facts = file_facts(path)
    rows = read_rows(path, facts.encoding)
    headers, original = next(rows)
    parsed = ParsedFile(layout, {}, Report())
    _check_headers(columns, explicit, headers, original, parsed.report.notes)
    names = dict(zip(headers, original, strict=True))
    for line, row in rows:
        parsed.rows += 1
        if isinstance(row, RowError):
            parsed.report.add_error(line, row.column, row.value, row.reason)
            continue
        try:
            _parse_row(parsed, columns, row, line)
        except RowError as problem:
            column = names.get(normalise_header(problem.column), problem.column)
            parsed.report.add_error(line, column, problem.value, problem.reason)
    if not parsed.rows:
        raise ImportRejected("The file has a header line but no rows.")
    return parsed


def _parse_row(parsed, columns, row, line):
    name = _value(row, columns, "name")
    council_id = _value(row, columns, "station_id")
    districts_text = _value(row, columns, "districts")
    if parsed.layout == DEMOCRACY_CLUB and not (name or council_id):
        parsed.skipped_unallocated += 1  # an address with no polling place allocated yet
        return
    if not name:
        raise RowError(columns["name"], "", "is empty: every station needs a name")
    districts = [code.upper() for code in _SPLIT.split(districts_text) if code]
    if not districts:
        raise RowError(columns["districts"], "", "is empty: say which polling district(s) vote here")
    address = ", ".join(
        part
        for part in (row.get(normalise_header(n), "").strip() for n in _names(columns, "address"))
        if part
    )
    postcode_raw = _value(row, columns, "postcode")
    postcode = ""
    if postcode_raw:
        postcode, _ = register_fields.postcode(columns["postcode"], postcode_raw)
    latitude = _coordinate(columns["latitude"], _value(row, columns, "latitude"), 90)
    longitude = _coordinate(columns["longitude"], _value(row, columns, "longitude"), 180)
    if (latitude is None) != (longitude is None):
        raise RowError(columns["latitude"], "", "latitude and longitude must both be given or both be empty")
    key = ("id", council_id) if council_id else ("name", name.upper(), postcode)
    station = parsed.stations.get(key)
    if station is None:
        station = parsed.stations[key] = StationRow(
            key, line, council_id, name[:200], address[:400], postcode, _value(row, columns, "uprn")[:12],
            latitude, longitude,
        )  # fmt: skip
    elif station.name != name[:200]:
        raise RowError(
            columns["name"], name, f"differs from line {station.line} for the same station ({station.name})"
        )
    if parsed.layout == DEMOCRACY_CLUB:
        for code in districts:
            station.boxes.setdefault(code, set()).add(code)
        return
    label = _value(row, columns, "box") or (districts[0] if len(districts) == 1 else "")
    if not label:
        raise RowError(columns["box"], "", "is empty: name the box (or give one district per row)")
    station.boxes.setdefault(label[:60], set()).update(districts)
