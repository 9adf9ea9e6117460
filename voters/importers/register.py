"""Full registers and monthly updates: rows staged, then one set-based upsert.

Matching an elector to the person we already hold, in this order:
1. same polling district, number and suffix, and the same name and address (the usual case);
   for an update's change or deletion the number alone is enough;
2. the same name and address anywhere in the constituency (re-publication re-numbers everyone,
   and someone re-registering gets their history back);
3. a name change (a marriage, a double-barrelled name: issue #14 item 5), certain when the elector
   on the register has the same number, property and first names, and a new surname; or, when the
   number changed too (re-publication), the same property, first names and date of birth
   (attainment date), with exactly one such elector for the row and one row for the elector.
   Dates of birth that differ are never the same person;
4. nobody: a new elector. When an elector on the register has the same property and first names but
   a different surname, and rule 3 is not certain (a different number and no date of birth to
   compare, or more than one such elector), the pair is left for a person to decide
   (NameChangeReview; `voters.services.name_change_review_decide` merges or keeps them apart).
A full register marks everyone on the register but not in the file as off the register.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from labourhub.models import Constituency, PollingDistrict
from voters.importers import fields
from voters.importers.base import (
    ImportRejected,
    RowError,
    StagedImporter,
    StagingTable,
    normalise_header,
    report_duplicates,
    staging_table_names,
    unknown_format,
)
from voters.models import (
    NameChangeReview,
    RegisterImport,
    RegisterPublication,
    Suppression,
    first_of_month,
)
from voters.suppression import flag_suppressed

# What an adapter reads from one row: an ElectorRow and, when it has an address, a HomeRow (as tuples).
StagedElector = tuple[tuple[Any, ...], tuple[Any, ...] | None]

PRESENT, ADD, CHANGE, DELETE = "P", "A", "C", "D"
# Taking more than this share of the register off it waits for a person to confirm (issue #14).
CONFIRM_REMOVED_SHARE = 0.02


class ElectorRow(NamedTuple):
    line: int
    action: str
    pd_code: str
    pd_id: int
    number: int
    suffix: int
    raw_number: str
    title: str
    first_names: str
    initials: str
    surname: str
    markers_raw: str
    markers: str
    attainment: object
    opted_out: bool
    address_key: str
    match_key: str
    first_seen: object  # the month an update file says the elector was added, if it says


class HomeRow(NamedTuple):
    """A property, staged once per address (the first line that names it)."""

    address_key: str
    pd_id: int
    address: str
    street: str
    house_number: object
    postcode: str
    postcode_display: str
    uprn: str


_TYPES = {"line": "integer", "pd_id": "integer", "number": "integer", "suffix": "integer"}
_TYPES |= {"attainment": "date", "opted_out": "boolean", "house_number": "integer", "first_seen": "date"}
STAGING_COLUMNS = [(name, _TYPES.get(name, "text")) for name in ElectorRow._fields]
HOME_STAGING_COLUMNS = [(name, _TYPES.get(name, "text")) for name in HomeRow._fields]


def polling_district_ids(constituency: Constituency) -> dict[str, int]:
    """{CODE: id} for the constituency's polling districts (codes compared in capitals)."""
    return {code.upper(): pk for pk, code in constituency.polling_districts.values_list("pk", "code")}


class PollingDistricts:
    """Codes in the file -> ids. A code not yet known gets a placeholder id, and is created
    under the constituency when the import is applied (and listed in the report)."""

    def __init__(self, constituency: Constituency) -> None:
        self.constituency = constituency
        self.ids = polling_district_ids(constituency)
        self.new: dict[str, int] = {}

    def id_for(self, code: str, column: str) -> int:
        key = code.upper()
        if key not in self.ids:
            if not key or len(key) > 20:
                raise RowError(column, code, "is not a polling district code (1 to 20 characters)")
            self.new[key] = self.ids[key] = -1 - len(self.new)
        return self.ids[key]

    def lock(self, cursor: CursorWrapper) -> None:
        """Hold the constituency's polling districts until the import commits, as a key check on each
        row would, once; and refuse if one this file uses was deleted since the import began."""
        cursor.execute(
            "SELECT id FROM labourhub_pollingdistrict WHERE constituency_id = %s FOR KEY SHARE",
            [self.constituency.pk],
        )
        held = {pk for (pk,) in cursor.fetchall()}
        if any(pk > 0 and pk not in held for pk in self.ids.values()):
            raise ImportRejected(
                "A polling district of this constituency was deleted while the file was read. "
                "Nothing was changed: run the import again."
            )

    def create_new(self, cursor: CursorWrapper, staging_names: Iterable[str]) -> list[str]:
        created = []
        for code, placeholder in self.new.items():
            pd = PollingDistrict.objects.create(constituency=self.constituency, code=code, name=code)
            for name in staging_names:
                cursor.execute(f"UPDATE {name} SET pd_id = %s WHERE pd_id = %s", [pd.pk, placeholder])
            created.append(code)
        return created


class RegisterAdapter:
    """One register system's file layout. Subclasses map one row with `row`; shared cleaning is here."""

    name = ""
    label = ""
    kind = RegisterImport.Kind.FULL
    expected_headers: tuple[str, ...] = ()  # as a person would read them, for the unknown-format message

    def __init__(self, polling_districts: PollingDistricts) -> None:
        self.pds = polling_districts

    @classmethod
    def required(cls) -> set[str]:
        return {normalise_header(h) for h in cls.expected_headers}

    @classmethod
    def matches(cls, headers: Iterable[str]) -> bool:
        return cls.required() <= set(headers)

    def row(self, r: dict[str, str], line: int) -> StagedElector | None:
        raise NotImplementedError

    def elector(
        self,
        line: int,
        *,
        pd: str,
        number: int,
        suffix: int,
        surname: str,
        first_names: str,
        address_lines: tuple[str, ...],
        postcode_value: str,
        action: str = PRESENT,
        pd_column: str = "",
        surname_column: str = "",
        markers_raw: str = "",
        markers_column: str = "",
        attainment: datetime.date | None = None,
        opted_out: bool = False,
        title: str = "",
        initials: str = "",
        uprn: str = "",
        postcode_column: str = "postcode",
        first_seen: datetime.date | None = None,
    ) -> StagedElector:
        surname, z_prefix = fields.surname_and_opt_out(surname)
        if not surname:
            raise RowError(surname_column, "", "is empty; every elector has a surname")
        first_names = " ".join(first_names.split())
        letters, date_in_markers = fields.markers(markers_raw)
        if attainment is None and date_in_markers:
            attainment = fields.date(markers_column, date_in_markers)
        address, street, house_number, postcode, postcode_display, address_key = fields.home(
            address_lines, postcode_value, postcode_column
        )
        pd_code = pd.upper()
        pd_id = self.pds.id_for(pd, pd_column)
        # The property's key is the CLP's own: another CLP's file naming the same address finds (and
        # changes) its own property, never this one (property_key). The elector's match key keeps the
        # plain address key: it is compared within one constituency only.
        home_key = property_key(self.pds.constituency.pk, address_key)
        elector = (  # an ElectorRow, built positionally because this runs once per elector
            line,
            action,
            pd_code,
            pd_id,
            number,
            suffix,
            fields.elector_number_text(pd_code, number, suffix),
            title.strip()[:20],
            first_names[:100],
            initials.strip()[:10],
            surname[:100],
            markers_raw.strip()[:20],
            letters,
            attainment,
            opted_out or z_prefix or "Z" in letters,
            home_key,
            fields.md5(f"{surname.upper()}|{first_names.upper()}|{address_key}"),
            first_seen,
        )
        if not address_key or action == DELETE:
            return elector, None
        return elector, (
            home_key,
            pd_id,
            address,
            street,
            house_number,
            postcode,
            postcode_display,
            uprn.strip()[:12],
        )


def property_key(constituency_id: int, address_key: str) -> str:
    """A property's key: its address key within its CLP (migration voters 0011 keyed those before)."""
    return fields.md5(f"{constituency_id}|{address_key}") if address_key else ""


def rowcount(cursor: CursorWrapper, sql: str, params: Sequence[Any] = ()) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


def lines_from(r: Mapping[str, str], prefix: str, count: int) -> tuple[str, ...]:
    """The address lines `prefix`1..`count` of a row (missing columns read as empty)."""
    return tuple([r.get(key, "") for key in _line_keys(prefix, count)])


@functools.lru_cache
def _line_keys(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(1, count + 1)]


class RegisterImporter(StagedImporter):
    staging_columns = STAGING_COLUMNS
    staging_binary = True
    constituency: Constituency  # a register always belongs to one

    def __init__(self, record: RegisterImport) -> None:
        super().__init__(record)
        self.polling_districts = PollingDistricts(self.constituency)
        self.homes = StagingTable(
            staging_table_names(record.pk)[1], HOME_STAGING_COLUMNS, on_chunk=lambda: None, binary=True
        )
        self.homes_staged: set[str] = set()
        self.homes_waiting: list[
            tuple[Any, ...]
        ] = []  # one connection runs one COPY at a time: homes follow each chunk
        self.on_register_before = 0
        self.removal_sample: list[
            tuple[str, str, str]
        ] = []  # (number, first names, surname) of some of those taken off

    def staging_tables(self) -> list[StagingTable]:
        return [self.staging, self.homes]

    def stage(self, staged: Sequence[Any]) -> None:
        elector, home = staged
        self.staging.add(elector)
        if home is not None and home[0] not in self.homes_staged:
            self.homes_staged.add(home[0])
            self.homes_waiting.append(home)

    def _progress(self) -> None:
        for home in self.homes_waiting:
            self.homes.add(home)
        self.homes.flush()
        self.homes_waiting.clear()
        super()._progress()

    def adapter_for(self, headers: list[str], original: list[str]) -> RegisterAdapter:
        from voters.importers.formats import ADAPTERS  # the adapters import this module

        if self.record.kind == RegisterImport.Kind.UPDATE and not self._latest_publication():
            raise ImportRejected(
                "There is no full register for this constituency yet: import the full register first, "
                "then its monthly updates."
            )
        candidates = [a for a in ADAPTERS if a.kind == self.record.kind]
        for adapter in candidates:
            if adapter.matches(headers):
                return adapter(self.polling_districts)
        raise unknown_format(original, candidates)

    def check_staged(self, cursor: CursorWrapper, staging: StagingTable) -> None:
        s = staging.name
        if self.record.kind == RegisterImport.Kind.UPDATE:
            # Several rows for one number: deleted beats changed beats created (DOMAIN.md §1).
            cursor.execute(
                f"""DELETE FROM {s} WHERE line IN (
                      SELECT line FROM (
                        SELECT line, row_number() OVER (
                          PARTITION BY pd_code, number, suffix
                          ORDER BY CASE action WHEN 'D' THEN 0 WHEN 'C' THEN 1 ELSE 2 END, line DESC) AS n
                        FROM {s}) ranked
                      WHERE n > 1)"""
            )
            if cursor.rowcount:
                self.report.notes.append(
                    f"{cursor.rowcount} rows were superseded by another row for the same elector number."
                )
            return
        report_duplicates(
            cursor,
            self.report,
            table=s,
            key="pd_code, number, suffix",
            shown="raw_number",
            column="Elector Number",
            reason="duplicate elector number",
        )

    def apply(self, cursor: CursorWrapper, staging: StagingTable) -> dict[str, int]:
        s, h, m = staging.name, self.homes.name, staging_table_names(self.record.pk)[2]
        full = self.record.kind == RegisterImport.Kind.FULL
        month = self.options.get("month") or first_of_month().isoformat()
        self.polling_districts.lock(cursor)
        new_pds = self.polling_districts.create_new(cursor, [s, h])
        if new_pds:
            self.report.notes.append(f"New polling districts created: {', '.join(new_pds)}.")

        def run(sql: str, params: Sequence[Any] = ()) -> int:
            return rowcount(cursor, sql, params)

        run(
            f"""INSERT INTO voters_property (polling_district_id, address_key, address, street,
                    house_number, postcode, postcode_display, uprn, latitude, longitude)
                SELECT h.pd_id, h.address_key, h.address, h.street, h.house_number, h.postcode,
                    h.postcode_display, h.uprn, loc.latitude, loc.longitude
                FROM {h} h LEFT JOIN voters_postcodelocation loc ON loc.postcode = h.postcode
                WHERE NOT EXISTS (SELECT 1 FROM voters_property p WHERE p.address_key = h.address_key)"""
        )
        run(
            f"""UPDATE voters_property p SET polling_district_id = h.pd_id, uprn = h.uprn
                FROM {h} h WHERE p.address_key = h.address_key
                  AND (p.polling_district_id, p.uprn) IS DISTINCT FROM (h.pd_id, h.uprn)
                  AND p.polling_district_id IN (
                    SELECT id FROM labourhub_pollingdistrict WHERE constituency_id = %s)""",
            [self.constituency.pk],
        )
        run(f"DROP TABLE IF EXISTS {m}")
        run(
            f"""CREATE UNLOGGED TABLE {m} (line integer PRIMARY KEY, elector_id bigint NOT NULL UNIQUE,
                  name_change boolean NOT NULL DEFAULT false)"""
        )
        holds_electors = self._holds_electors(cursor)
        self.on_register_before = self._on_register(cursor) if holds_electors else 0
        matched = self._match(cursor, s, m) if holds_electors else 0
        uncertain = self._match_name_changes(cursor, s, m) if holds_electors else 0
        name_changes = self._note_name_changes(cursor, s, m) if holds_electors else 0
        matched += name_changes
        run(f"ANALYZE {m}")
        changed = run(
            f"""UPDATE voters_elector e SET polling_district_id = s.pd_id, elector_number = s.number,
                    elector_suffix = s.suffix, elector_number_raw = s.raw_number, title = s.title,
                    first_names = s.first_names, initials = s.initials, surname = s.surname,
                    markers_raw = s.markers_raw, markers = s.markers, attainment_date = s.attainment,
                    opted_out = s.opted_out, home_id = p.id, match_key = s.match_key,
                    on_register = true, removed_month = NULL, updated_at = now()
                FROM {m} m JOIN {s} s ON s.line = m.line
                     LEFT JOIN voters_property p ON p.address_key = s.address_key AND s.address_key <> ''
                WHERE e.id = m.elector_id AND s.action <> 'D'
                  AND (e.polling_district_id, e.elector_number, e.elector_suffix, e.elector_number_raw,
                       e.title, e.first_names, e.initials, e.surname, e.markers_raw, e.markers,
                       e.attainment_date, e.opted_out, e.home_id, e.match_key, e.on_register)
                  IS DISTINCT FROM
                      (s.pd_id, s.number, s.suffix, s.raw_number, s.title, s.first_names, s.initials,
                       s.surname, s.markers_raw, s.markers, s.attainment, s.opted_out, p.id, s.match_key, true)"""
        )
        removed = run(
            f"""UPDATE voters_elector e SET on_register = false, removed_month = %s, updated_at = now()
                FROM {m} m JOIN {s} s ON s.line = m.line
                WHERE e.id = m.elector_id AND s.action = 'D' AND e.on_register""",
            [month],
        )
        deleted_rows = run(f"SELECT 1 FROM {m} m JOIN {s} s ON s.line = m.line WHERE s.action = 'D'")
        if full:
            removed += self._mark_missing_off_register(cursor, m, month)
        added = run(
            f"""INSERT INTO voters_elector (polling_district_id, home_id, elector_number, elector_suffix,
                    elector_number_raw, title, first_names, initials, surname, markers_raw, markers,
                    attainment_date, opted_out, on_register, first_seen_month, match_key,
                    do_not_contact, do_not_contact_reason, updated_at, source_import_id)
                SELECT s.pd_id, p.id, s.number, s.suffix, s.raw_number, s.title, s.first_names, s.initials,
                    s.surname, s.markers_raw, s.markers, s.attainment, s.opted_out, true, COALESCE(s.first_seen, %s), s.match_key,
                    false, '', now(), %s
                FROM {s} s LEFT JOIN voters_property p ON p.address_key = s.address_key AND s.address_key <> ''
                WHERE s.action <> 'D' AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.line = s.line)""",
            [month, self.record.pk],
        )
        if added and matched:
            self._note_new_electors(cursor, s, m, added)
        to_review = self._propose_name_changes(cursor, s) if uncertain else 0
        run("DROP TABLE IF EXISTS pg_temp.name_change_candidates")
        self._apply_suppressions(cursor)
        self._note_unmatched_deletions(cursor, s, m)
        run(f"DROP TABLE {m}")
        # Fresh statistics (ANALYZE counts this transaction's own rows), so the publication's sync
        # below and the next import's joins and searches are planned for the real table sizes: with
        # stale ones the sync's anti-join of 75,000 electors against the entries ran as a nested loop
        # for over five minutes on a second import (autovacuum had not analysed yet), and autovacuum
        # never analyses a table of a few dozen polling districts. Through the owner's function: the
        # application's role owns no table (labourhub migration 0004).
        run(
            "SELECT labourhub_analyze('voters_elector', 'voters_property', 'labourhub_pollingdistrict',"
            " 'voters_registerentry')"
        )
        self._sync_publication(cursor, full)
        return {
            "added": added,
            "changed": changed - name_changes,  # every name change is an update of its row
            "name_changes": name_changes,
            "to_review": to_review,
            "removed": removed,
            "unchanged": matched - changed - deleted_rows,
        }

    def needs_confirmation(self, counts: Mapping[str, int]) -> str | None:
        """A register that would take more than a small share of those on the register off it (a
        20-row file uploaded as the full register, say) is shown, with examples, and waits for a
        person to confirm: up to the number they saw (`confirmed_removals`), or any (`confirmed`,
        `import_register --yes`)."""
        if self.record.kind != RegisterImport.Kind.FULL:
            return None  # an update takes off only those its council's file names one by one
        removed, before = counts["removed"], self.on_register_before
        if not before or removed <= before * CONFIRM_REMOVED_SHARE or self.options.get("confirmed"):
            return None
        confirmed = self.options.get("confirmed_removals")
        if confirmed is not None and removed <= confirmed:
            return None
        shown = self.removal_sample[:10]
        examples = "; ".join(f"{n} {f} {s}" for n, f, s in shown)
        if examples:
            more = f" and {removed - len(shown):,} more" if removed > len(shown) else ""
            examples = f" Taken off would be, for example: {examples}{more}."
        return (
            f"This import would take {removed:,} of the {before:,} electors on the register off it "
            f"({100 * removed / before:.0f}%), add {counts['added']:,} and change {counts['changed']:,}. "
            f"Nothing has been changed yet.{examples} If this file is not the whole register, do not "
            "confirm: import it as a monthly update instead."
        )

    def _on_register(self, cursor: CursorWrapper) -> int:
        cursor.execute(
            """SELECT count(*) FROM voters_elector e JOIN labourhub_pollingdistrict pd
                 ON pd.id = e.polling_district_id WHERE pd.constituency_id = %s AND e.on_register""",
            [self.constituency.pk],
        )
        return cursor.fetchone()[0]

    def _holds_electors(self, cursor: CursorWrapper) -> bool:
        """The first register of a constituency has nobody to match: skip the matching joins."""
        cursor.execute(
            """SELECT EXISTS (SELECT 1 FROM voters_elector e JOIN labourhub_pollingdistrict pd
                 ON pd.id = e.polling_district_id WHERE pd.constituency_id = %s)""",
            [self.constituency.pk],
        )
        return cursor.fetchone()[0]

    def _match(self, cursor: CursorWrapper, s: str, m: str) -> int:
        """Fill the matched table {line: elector_id}; returns how many lines matched someone."""
        matched = rowcount(
            cursor,
            f"""INSERT INTO {m} (line, elector_id)
                SELECT s.line, e.id FROM {s} s JOIN voters_elector e
                  ON e.polling_district_id = s.pd_id AND e.elector_number = s.number
                 AND e.elector_suffix = s.suffix AND e.on_register
                 AND (e.match_key = s.match_key OR s.action IN ('C', 'D'))
                ON CONFLICT DO NOTHING""",
        )
        matched += rowcount(
            cursor,
            f"""WITH unmatched AS MATERIALIZED (
                  SELECT line, match_key, row_number() OVER (PARTITION BY match_key ORDER BY line) AS n
                  FROM {s} s WHERE s.action <> 'D' AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.line = s.line)
                ), candidates AS (
                  SELECT e.id, e.match_key, row_number() OVER (
                    PARTITION BY e.match_key ORDER BY e.on_register DESC, e.id DESC) AS n
                  FROM voters_elector e JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id
                  WHERE pd.constituency_id = %s AND e.match_key IN (SELECT match_key FROM unmatched)
                    AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.elector_id = e.id)
                )
                INSERT INTO {m} (line, elector_id)
                SELECT u.line, c.id FROM unmatched u JOIN candidates c ON c.match_key = u.match_key AND c.n = u.n
                ON CONFLICT DO NOTHING""",
            [self.constituency.pk],
        )
        return matched

    def _match_name_changes(self, cursor: CursorWrapper, s: str, m: str) -> int:
        """Rule 3 of the module's docstring: add the certain name changes to the matched table (marked
        `name_change`). Returns how many uncertain pairs (line, elector) are left in the temporary
        table `name_change_candidates` for `_propose_name_changes`."""
        same_person = """upper(e.first_names) = upper(s.first_names) AND s.first_names <> ''
            AND (e.attainment_date IS NULL OR s.attainment IS NULL OR e.attainment_date = s.attainment)"""
        # The same number, property and first names on the register: only the surname changed.
        rowcount(
            cursor,
            f"""INSERT INTO {m} (line, elector_id, name_change)
                SELECT s.line, e.id, true FROM {s} s JOIN voters_elector e
                  ON e.polling_district_id = s.pd_id AND e.elector_number = s.number
                 AND e.elector_suffix = s.suffix AND e.on_register
                JOIN voters_property p ON p.id = e.home_id AND p.address_key = s.address_key
                WHERE s.action <> 'D' AND s.address_key <> '' AND {same_person}
                  AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.line = s.line)
                  AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.elector_id = e.id)
                ON CONFLICT DO NOTHING""",
        )
        # An update's change of an elector (matched by number) under a new surname is a name change too.
        if self.record.kind == RegisterImport.Kind.UPDATE:
            rowcount(
                cursor,
                f"""UPDATE {m} m SET name_change = true FROM {s} s, voters_elector e
                    WHERE s.line = m.line AND e.id = m.elector_id AND s.action = 'C'
                      AND upper(e.surname) <> upper(s.surname) AND {same_person}""",
            )
        # Everyone else at the property with those first names and another surname. An elector a
        # deletion in this file takes off is still a candidate: councils record some name changes
        # as a deletion and an addition.
        # Dropped at commit, and before: tests run many imports in one transaction.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.name_change_candidates")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE name_change_candidates ON COMMIT DROP AS
                SELECT s.line, e.id AS elector_id,
                       s.attainment IS NOT NULL AND e.attainment_date = s.attainment AS same_birth,
                       EXISTS (SELECT 1 FROM {m} m WHERE m.elector_id = e.id) AS deleted
                FROM {s} s JOIN voters_property p ON p.address_key = s.address_key
                JOIN voters_elector e ON e.home_id = p.id AND e.on_register
                 AND upper(e.surname) <> upper(s.surname)
                JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id AND pd.constituency_id = %s
                WHERE s.action <> 'D' AND s.address_key <> '' AND {same_person}
                  AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.line = s.line)
                  AND NOT EXISTS (
                    SELECT 1 FROM {m} m JOIN {s} d ON d.line = m.line
                    WHERE m.elector_id = e.id AND d.action <> 'D')""",
            [self.constituency.pk],
        )
        if not cursor.rowcount:
            return 0
        # A date of birth to compare, and one candidate each way: the same person, renumbered.
        rowcount(
            cursor,
            f"""INSERT INTO {m} (line, elector_id, name_change)
                SELECT line, elector_id, true FROM (
                  SELECT c.*, count(*) OVER (PARTITION BY line) AS per_line,
                         count(*) OVER (PARTITION BY elector_id) AS per_elector
                  FROM name_change_candidates c) c
                WHERE same_birth AND NOT deleted AND per_line = 1 AND per_elector = 1
                ON CONFLICT DO NOTHING""",
        )
        cursor.execute(f"DELETE FROM name_change_candidates c USING {m} m WHERE m.line = c.line")
        cursor.execute("SELECT count(*) FROM name_change_candidates")
        return cursor.fetchone()[0]

    def _note_name_changes(self, cursor: CursorWrapper, s: str, m: str) -> int:
        """How many rows matched as name changes, with examples in the report (before the update)."""
        cursor.execute(f"SELECT count(*) FROM {m} WHERE name_change")
        count: int = cursor.fetchone()[0]
        if count:
            cursor.execute(
                f"""SELECT s.raw_number, e.first_names, e.surname, s.surname
                    FROM {m} m JOIN {s} s ON s.line = m.line JOIN voters_elector e ON e.id = m.elector_id
                    WHERE m.name_change ORDER BY s.line LIMIT 20"""
            )
            sample = "; ".join(f"{n} {f} {old} → {new}" for n, f, old, new in cursor.fetchall())
            self.report.notes.append(
                f"{count} name change{'s' if count != 1 else ''}: the same elector, kept with their "
                f"history under a new surname: {sample}{' ...' if count > 20 else ''}"
            )
        return count

    def _propose_name_changes(self, cursor: CursorWrapper, s: str) -> int:
        """After the new electors are added: each uncertain pair becomes a NameChangeReview of the
        elector we held and the one just added (found by its number and match key)."""
        cursor.execute(
            f"""INSERT INTO voters_namechangereview (earlier_id, later_id, later_summary, register_import_id,
                    state, reason, found_at)
                SELECT c.elector_id, n.id, left(concat_ws(' ', s.raw_number, s.first_names, s.surname), 250), %s,
                       %s, CASE WHEN count(*) OVER (PARTITION BY c.line) > 1
                                  OR count(*) OVER (PARTITION BY c.elector_id) > 1
                           THEN 'Same address and first names, new surname; more than one such elector'
                           WHEN c.same_birth THEN 'Same address, first names and date of birth, new surname'
                           ELSE 'Same address and first names, new surname and elector number' END,
                       now()
                FROM name_change_candidates c JOIN {s} s ON s.line = c.line
                CROSS JOIN LATERAL (
                  SELECT e.id FROM voters_elector e
                  WHERE e.polling_district_id = s.pd_id AND e.elector_number = s.number
                    AND e.elector_suffix = s.suffix AND e.match_key = s.match_key AND e.on_register
                    AND e.id <> c.elector_id
                  ORDER BY e.id DESC LIMIT 1) n
                ON CONFLICT DO NOTHING
                RETURNING later_summary""",
            [self.record.pk, NameChangeReview.State.PROPOSED],
        )
        found = [summary for (summary,) in cursor.fetchall()]
        if found:
            self.report.notes.append(
                f"{len(found)} possible name change{'s' if len(found) != 1 else ''} to review (kept as "
                f"separate electors until someone decides): {'; '.join(found[:20])}"
                f"{' ...' if len(found) > 20 else ''}"
            )
        return len(found)

    def _note_new_electors(self, cursor: CursorWrapper, s: str, m: str, added: int) -> None:
        """On re-publication, the people in the file we could not match to anyone we held."""
        cursor.execute(
            f"""SELECT raw_number, first_names, surname FROM {s} s WHERE s.action <> 'D'
                AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.line = s.line) ORDER BY line LIMIT 20"""
        )
        sample = "; ".join(f"{n} {f} {s}" for n, f, s in cursor.fetchall())
        self.report.notes.append(
            f"{added} electors in the file were not matched to anyone already held (new electors, or "
            f"changed name and address): {sample}{' ...' if added > 20 else ''}"
        )

    def _apply_suppressions(self, cursor: CursorWrapper) -> None:
        """Voters who objected to contact, or were erased, stay suppressed when they come back (under
        a new id too): the tombstones' keyed hashes are checked against everyone now on the register,
        and the report says how many it caught."""
        if not Suppression.unscoped.filter(constituency=self.constituency).exists():
            return
        caught = flag_suppressed(cursor, self.constituency.pk)
        self.record.suppressed = caught.matched
        if caught.matched:
            self.report.notes.append(
                f"{caught.matched} electors match an earlier objection or erasure and are kept do not contact"
                f" ({caught.flagged} newly flagged); nothing the party held on them is brought back."
            )

    def _mark_missing_off_register(self, cursor: CursorWrapper, m: str, month: str) -> int:
        cursor.execute(
            # RETURNING comes in no set order, and ids need not follow the file an elector came in
            # (the insert's join may reorder it): the examples are the first taken off in register
            # order, by district and elector number.
            f"""WITH gone AS (
                  UPDATE voters_elector e SET on_register = false, removed_month = %s, updated_at = now()
                  FROM labourhub_pollingdistrict pd
                  WHERE pd.id = e.polling_district_id AND pd.constituency_id = %s AND e.on_register
                    AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.elector_id = e.id)
                  RETURNING pd.code, e.elector_number, e.elector_suffix, e.elector_number_raw,
                    e.first_names, e.surname)
                SELECT elector_number_raw, first_names, surname FROM gone
                ORDER BY code, elector_number, elector_suffix""",
            [month, self.constituency.pk],
        )
        gone = cursor.fetchall()
        self.removal_sample = gone[:20]
        if gone:
            sample = "; ".join(f"{n} {f} {s}" for n, f, s in gone[:20])
            self.report.notes.append(
                f"{len(gone)} electors on the previous register are not in this file and were marked "
                f"off the register (their history is kept): {sample}{' ...' if len(gone) > 20 else ''}"
            )
        return len(gone)

    def _note_unmatched_deletions(self, cursor: CursorWrapper, s: str, m: str) -> None:
        cursor.execute(
            f"""SELECT raw_number FROM {s} s WHERE s.action = 'D'
                AND NOT EXISTS (SELECT 1 FROM {m} m WHERE m.line = s.line) ORDER BY line LIMIT 1000"""
        )
        missing = [raw for (raw,) in cursor.fetchall()]
        if missing:
            self.report.notes.append(
                f"{len(missing)} deletions name electors who are not on the register (ignored): "
                + ", ".join(missing[:20])
            )

    def _sync_publication(self, cursor: CursorWrapper, full: bool) -> None:
        """The publication's entries mirror the electors now on the register."""
        # An update finds the full register it updates (adapter_for refuses one without).
        publication: RegisterPublication = self._publication(full)  # type: ignore[assignment]
        cursor.execute(
            """DELETE FROM voters_registerentry r WHERE r.publication_id = %s AND NOT EXISTS (
                 SELECT 1 FROM voters_elector e WHERE e.id = r.elector_id AND e.on_register
                   AND e.polling_district_id = r.polling_district_id AND e.elector_number = r.elector_number
                   AND e.elector_suffix = r.elector_suffix AND e.elector_number_raw = r.elector_number_raw)""",
            [publication.pk],
        )
        cursor.execute(
            """INSERT INTO voters_registerentry (publication_id, elector_id, polling_district_id,
                   elector_number, elector_suffix, elector_number_raw)
               SELECT %s, e.id, e.polling_district_id, e.elector_number, e.elector_suffix, e.elector_number_raw
               FROM voters_elector e JOIN labourhub_pollingdistrict pd ON pd.id = e.polling_district_id
               WHERE pd.constituency_id = %s AND e.on_register AND NOT EXISTS (
                 SELECT 1 FROM voters_registerentry r WHERE r.publication_id = %s AND r.elector_id = e.id)""",
            [publication.pk, self.constituency.pk, publication.pk],
        )

    def _publication(self, full: bool) -> RegisterPublication | None:
        if full:
            published_on = self.options.get("published_on") or timezone.localdate().isoformat()
            publication, _ = RegisterPublication.objects.get_or_create(
                constituency=self.constituency,
                published_on=published_on,
                defaults={"created_by_import": self.record},
            )
            return publication
        return self._latest_publication()

    def _latest_publication(self) -> RegisterPublication | None:
        return RegisterPublication.objects.filter(constituency=self.constituency).first()
