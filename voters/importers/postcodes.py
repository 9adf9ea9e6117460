"""Postcode locations from an ONS Postcode Directory-style CSV, so properties can go on maps.

Column names change between ONS releases, so they are options: {"postcode": "pcds", "latitude":
"lat", "longitude": "long", "terminated": "doterm"} by default (the upload page and
`manage.py import_postcodes` let the operator name them). Terminated postcodes are kept. The
termination column may be left out: when it is named (or given as "") the name is binding, otherwise
a file without `doterm` counts every postcode as live.
"""

from django.db.backends.utils import CursorWrapper

from labourhub.staged_import import StagingTable
from voters.importers import fields
from voters.importers.base import (
    ImportRejected,
    RowError,
    StagedImporter,
    normalise_header,
    report_duplicates,
)

DEFAULT_COLUMNS = {"postcode": "pcds", "latitude": "lat", "longitude": "long", "terminated": "doterm"}
COLUMN_LABELS = {
    "postcode": "postcode",
    "latitude": "latitude",
    "longitude": "longitude",
    "terminated": "termination date",
}


class PostcodeAdapter:
    name = "ons_postcodes"
    label = "ONS Postcode Directory"

    def __init__(self, columns: dict[str, str]) -> None:
        self.columns = columns

    def row(self, r: dict[str, str], line: int) -> tuple[int, str, str, float, float, str | None] | None:
        c = self.columns
        compact, display = fields.postcode(c["postcode"], r[c["postcode"]])
        if not compact:
            raise RowError(c["postcode"], "", "is empty")
        latitude = _coordinate(c["latitude"], r[c["latitude"]], 90)
        longitude = _coordinate(c["longitude"], r[c["longitude"]], 180)
        if latitude is None or longitude is None:
            return None  # ONS lists some postcodes without a location (e.g. large users): skipped
        terminated = r.get(c["terminated"], "").strip() if c["terminated"] else ""
        if terminated:  # ONS writes YYYYMM
            if len(terminated) != 6 or not terminated.isdigit():
                raise RowError(c["terminated"], terminated, "is not a month like 202001")
            terminated = f"{terminated[:4]}-{terminated[4:]}-01"
        return (line, compact, display, latitude, longitude, terminated or None)


def _coordinate(column: str, value: str, limit: int) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowError(column, value, "is not a number") from None
    if not -limit <= number <= limit or (limit == 90 and number == 99.999999):
        return None  # the ONS 'no location' value
    return number


class PostcodesImporter(StagedImporter):
    staging_columns = [
        ("line", "integer"),
        ("postcode", "text"),
        ("display", "text"),
        ("latitude", "double precision"),
        ("longitude", "double precision"),
        ("terminated", "date"),
    ]

    def adapter_for(self, headers: list[str], original: list[str]) -> PostcodeAdapter:
        named = {key: self.options.get(key, default) for key, default in DEFAULT_COLUMNS.items()}
        required = ["postcode", "latitude", "longitude"]
        if "terminated" in self.options:
            required.append("terminated")
        elif normalise_header(named["terminated"]) not in headers:
            named["terminated"] = ""
            self.report.notes.append("No termination date column: every postcode is taken as live.")
        missing = [
            f"{named[key]!r} ({COLUMN_LABELS[key]})"
            for key in required
            if named[key] and normalise_header(named[key]) not in headers
        ]
        if missing:
            raise ImportRejected(
                f"Missing column(s) {', '.join(missing)}. The header line has: {', '.join(original)}. "
                "Name the columns to use on the upload page or with --postcode-column, --lat-column, "
                "--long-column and --terminated-column (a blank termination column means none)."
            )
        unnamed = [COLUMN_LABELS[key] for key in ("postcode", "latitude", "longitude") if not named[key]]
        if unnamed:
            raise ImportRejected(f"Name the column that holds the {' and the '.join(unnamed)}.")
        return PostcodeAdapter({key: normalise_header(name) for key, name in named.items()})

    def check_staged(self, cursor: CursorWrapper, staging: StagingTable) -> None:
        report_duplicates(
            cursor,
            self.report,
            table=staging.name,
            key="postcode",
            shown="display",
            column="postcode",
            reason="duplicate postcode",
        )

    def apply(self, cursor: CursorWrapper, staging: StagingTable) -> dict[str, int]:
        cursor.execute(
            f"""WITH up AS (
                  INSERT INTO voters_postcodelocation AS p (postcode, postcode_display, latitude, longitude, terminated)
                  SELECT postcode, display, latitude, longitude, terminated FROM {staging.name}
                  ON CONFLICT (postcode) DO UPDATE SET postcode_display = EXCLUDED.postcode_display,
                    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, terminated = EXCLUDED.terminated
                  WHERE (p.postcode_display, p.latitude, p.longitude, p.terminated) IS DISTINCT FROM
                        (EXCLUDED.postcode_display, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.terminated)
                  RETURNING (xmax = 0) AS inserted)
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"""
        )
        added, changed = cursor.fetchone()
        cursor.execute(
            f"""UPDATE voters_property p SET latitude = s.latitude, longitude = s.longitude
                FROM {staging.name} s WHERE p.postcode = s.postcode
                AND (p.latitude, p.longitude) IS DISTINCT FROM (s.latitude, s.longitude)"""
        )
        self.report.notes.append(f"{cursor.rowcount} properties placed on the map.")
        return {
            "added": added,
            "changed": changed,
            "removed": 0,
            "unchanged": staging.written - added - changed,
        }
