"""Membership imports: a members export (CSV or XLSX) read through a saved column mapping, checked
line by line, COPYed to a staging table and applied in one set-based upsert. All or nothing: one bad
line and nothing changes. Running the same file again changes nothing. Members missing from the file
are reported, never deleted. Consents in a file only ever start a new member's record: a consent
withdrawn in LabourHub (say, by the unsubscribe link) is not given back by the next export."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from labourhub.models import Branch, Ward
from labourhub.services import audit_record
from members.models import MemberImport, Status, validate_membership_number

# field -> (label, required); the order is the order of the mapper page and of the staging table.
FIELDS = {
    "membership_number": ("Membership number", True),
    "title": ("Title", False),
    "first_name": ("First name", True),
    "last_name": ("Last name", True),
    "email": ("Email", False),
    "mobile": ("Mobile", False),
    "phone": ("Phone", False),
    "address_line1": ("Address line 1", False),
    "address_line2": ("Address line 2", False),
    "address_line3": ("Address line 3", False),
    "town": ("Town", False),
    "postcode": ("Postcode", False),
    "date_of_birth": ("Date of birth", False),
    "joined_on": ("Join date", False),
    "status": ("Status", False),
    "arrears_since": ("In arrears since", False),
    "lapsed_on": ("Lapsed on", False),
    "membership_type": ("Membership type", False),
    "branch": ("Branch", False),
    "ward": ("Ward", False),
    "trade_union": ("Trade union", False),
    "socialist_societies": ("Socialist societies", False),
    "consent_email": ("Agreed to email", False),
}
# Header spellings seen in exports, for the mapper's first guess (normalised: lower case, letters only).
SYNONYMS = {
    "membership_number": ["membershipnumber", "membershipno", "membernumber", "memberno", "membershipid"],
    "first_name": ["firstname", "forename", "forenames", "givenname"],
    "last_name": ["lastname", "surname", "familyname"],
    "email": ["email", "emailaddress"],
    "mobile": ["mobile", "mobilenumber", "mobilephone"],
    "phone": ["phone", "telephone", "homephone", "landline"],
    "address_line1": ["address1", "addressline1", "address"],
    "address_line2": ["address2", "addressline2"],
    "address_line3": ["address3", "addressline3"],
    "town": ["town", "city", "posttown"],
    "postcode": ["postcode", "postalcode"],
    "date_of_birth": ["dateofbirth", "dob", "birthdate"],
    "joined_on": ["joined", "joindate", "joiningdate", "datejoined"],
    "status": ["status", "membershipstatus"],
    "arrears_since": ["arrearssince", "arrearsdate", "inarrearssince"],
    "lapsed_on": ["lapsed", "lapseddate", "lapsedon", "datelapsed"],
    "membership_type": ["membershiptype", "type"],
    "branch": ["branch", "branchname"],
    "ward": ["ward", "wardname"],
    "trade_union": ["tradeunion", "union"],
    "socialist_societies": ["socialistsocieties", "socialistsociety", "societies"],
    "consent_email": ["emailconsent", "emailoptin", "consentemail", "agreedtoemail"],
}
STATUS_WORDS = {
    "current": Status.CURRENT,
    "active": Status.CURRENT,
    "member": Status.CURRENT,
    "arrears": Status.ARREARS,
    "inarrears": Status.ARREARS,
    "lapsed": Status.LAPSED,
}
YES = {"y", "yes", "true", "1", "x"}
NO = {"", "n", "no", "false", "0"}
MAX_ERRORS_LISTED = 500
PROGRESS_EVERY = 5000


class ImportRejected(Exception):
    """The file cannot be imported as it is; the message says why and where."""


def normalise(header):
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def guess_mapping(headers):
    """{field: header} for the headers that look like a field."""
    by_key = {normalise(h): h for h in headers}
    guessed = {}
    for name in FIELDS:
        for key in [normalise(name), normalise(FIELDS[name][0]), *SYNONYMS.get(name, [])]:
            if key in by_key:
                guessed[name] = by_key[key]
                break
    return guessed


# --- Reading files ------------------------------------------------------------------


def read_table(file, file_name):
    """(headers, iterator of (line number, [values])) for a CSV (any of the usual encodings) or XLSX."""
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(file)
    return _read_csv(file.read())


def _read_csv(raw):
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    text = text.replace("\u00a0", " ")
    sample = text[:10000]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportRejected("The file is empty.") from None
    return headers, ((number, row) for number, row in enumerate(reader, start=2) if any(row))


def _read_xlsx(file):
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(file, read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportRejected(
            f"The file is not a readable XLSX workbook ({error.__class__.__name__})."
        ) from None
    rows = sheet.iter_rows(values_only=True)
    try:
        headers = ["" if h is None else str(h).strip() for h in next(rows)]
    except StopIteration:
        raise ImportRejected("The workbook's first sheet is empty.") from None

    def values():
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in row]
            if any(cells):
                yield number, cells

    return headers, values()


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\u00a0", " ").strip()


# --- Checking rows --------------------------------------------------------------------


@dataclass
class Checked:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    error_count: int = 0

    def error(self, line, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append({"line": line, "error": message})


def _date(value):
    value = value.strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


class RowChecker:
    def __init__(self, constituency, mapping, headers):
        self.index = {}
        missing = []
        for name, header in mapping.items():
            if name not in FIELDS:
                raise ImportRejected(f"The mapping names an unknown field {name!r}.")
            if header not in headers:
                missing.append(f"{header!r} (for {FIELDS[name][0].lower()})")
            else:
                self.index[name] = headers.index(header)
        if missing:
            raise ImportRejected(
                f"These mapped columns are not in the file: {', '.join(missing)}. "
                f"The file's columns are: {', '.join(repr(h) for h in headers)}."
            )
        unmapped = [FIELDS[n][0] for n, (_, required) in FIELDS.items() if required and n not in self.index]
        if unmapped:
            raise ImportRejected(f"Map a column to each of: {', '.join(unmapped)}.")
        self.branches = _lookup(Branch.objects.filter(constituency=constituency))
        self.wards = _lookup(Ward.objects.filter(constituency=constituency))
        self.seen = {}

    def check(self, number, values, checked):
        def get(name):
            position = self.index.get(name)
            if position is None or position >= len(values):
                return ""
            return (values[position] or "").strip()

        membership_number = get("membership_number").upper().replace(" ", "")
        first = self.seen.setdefault(membership_number, number)
        if first != number:
            checked.error(number, f"membership number {membership_number} is also on line {first}")
            return
        try:
            checked.rows.append(self._row(get, membership_number))
        except ValueError as error:
            checked.error(number, str(error))

    def _row(self, get, number):
        try:
            validate_membership_number(number)
        except ValidationError:
            raise ValueError(
                f"membership number {number!r} is not a letter and digits, e.g. A135679"
            ) from None
        row = {name: get(name)[:300] for name in FIELDS}
        row["membership_number"] = number
        for name in ("first_name", "last_name"):
            if not row[name]:
                raise ValueError(f"{FIELDS[name][0].lower()} is empty")
        if row["email"]:
            row["email"] = row["email"].lower()
            try:
                validate_email(row["email"])
            except ValidationError:
                raise ValueError(f"email {row['email']!r} is not a valid address") from None
        for name in ("date_of_birth", "joined_on", "arrears_since", "lapsed_on"):
            row[name] = _date(row[name])
        status = normalise(row["status"])
        if status and status not in STATUS_WORDS:
            raise ValueError(f"status {row['status']!r} is not one of current, arrears, lapsed")
        row["status"] = STATUS_WORDS.get(status, Status.CURRENT)
        row["branch"] = self._area(self.branches, row["branch"], "branch")
        row["ward"] = self._area(self.wards, row["ward"], "ward")
        consent = row["consent_email"].casefold()
        if consent not in YES | NO:
            raise ValueError(f"agreed to email {row['consent_email']!r} is not yes or no")
        row["consent_email"] = consent in YES
        row["postcode"] = row["postcode"].upper()[:10]
        return row

    @staticmethod
    def _area(lookup, value, what):
        if not value:
            return None
        found = lookup.get(normalise(value))
        if found is None:
            raise ValueError(f"{what} {value!r} is not a {what} of this CLP")
        return found


def _lookup(queryset):
    found = {}
    for pk, name, code in queryset.values_list("pk", "name", "code"):
        found[normalise(name)] = pk
        found[normalise(code)] = pk
    return found


# --- Applying --------------------------------------------------------------------------

_STAGED = [name for name in FIELDS if name not in ("branch", "ward")] + ["branch_id", "ward_id"]
_UPDATED = [name for name in _STAGED if name not in ("membership_number", "consent_email")]


def member_import_run(*, import_id):
    """Run a stored import: check every line, then apply all of it or none of it."""
    member_import = MemberImport.objects.select_related("constituency", "mapping").get(pk=import_id)
    if member_import.state not in (MemberImport.State.WAITING, MemberImport.State.RUNNING):
        return member_import
    MemberImport.objects.filter(pk=import_id).update(state=MemberImport.State.RUNNING)
    try:
        with member_import.file.open("rb") as file:
            headers, lines = read_table(file, member_import.file_name)
            checker = RowChecker(member_import.constituency, member_import.mapping.columns, headers)
            checked = Checked()
            for count, (number, values) in enumerate(lines, start=1):
                checker.check(number, values, checked)
                if count % PROGRESS_EVERY == 0:
                    MemberImport.objects.filter(pk=import_id).update(rows_read=count)
    except ImportRejected as rejected:
        return _finish(member_import, MemberImport.State.REJECTED, {"error": str(rejected)})
    mapped = set(member_import.mapping.columns.values())
    ignored = [h for h in headers if h and h not in mapped]
    if checked.error_count:
        return _finish(
            member_import,
            MemberImport.State.REJECTED,
            {
                "error": f"{checked.error_count} line(s) have problems; nothing was imported.",
                "lines": checked.errors,
                "ignored_columns": ignored,
            },
            rows=len(checked.rows) + checked.error_count,
        )
    report = apply_rows(member_import, checked.rows)
    report["ignored_columns"] = ignored
    return _finish(member_import, MemberImport.State.DONE, report, rows=len(checked.rows))


def _finish(member_import, state, report, rows=0):
    member_import.state, member_import.report = state, report
    member_import.rows_read = member_import.rows_total = rows
    member_import.finished_at = timezone.now()
    member_import.save(update_fields=["state", "report", "rows_read", "rows_total", "finished_at"])
    audit_record(
        action="members.import",
        user=member_import.uploaded_by,
        obj=member_import,
        detail={"state": state, **{k: v for k, v in report.items() if isinstance(v, int)}},
    )
    return member_import


@transaction.atomic
def apply_rows(member_import, rows):
    """COPY the checked rows to staging and upsert them in one statement. Returns the report."""
    constituency = member_import.constituency
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE member_import_staging ON COMMIT DROP AS "
            f"SELECT {', '.join(_STAGED)} FROM members_member WITH NO DATA"
        )
        with cursor.copy(f"COPY member_import_staging ({', '.join(_STAGED)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [row[name] for name in _STAGED[:-2]] + [row["branch"], row["ward"]],
                )
        columns = ", ".join(_STAGED)
        new_values = ", ".join(f"s.{name}" for name in _STAGED)
        changed = " OR ".join(f"m.{name} IS DISTINCT FROM EXCLUDED.{name}" for name in _UPDATED)
        cursor.execute(
            f"""
            INSERT INTO members_member AS m (
                {columns}, constituency_id, consent_sms, consent_phone, consent_post,
                email_hard_bounces, created_at, updated_at)
            SELECT {new_values}, %s, false, false, false, 0, %s, %s FROM member_import_staging s
            ON CONFLICT (constituency_id, membership_number) DO UPDATE
            SET {", ".join(f"{name} = EXCLUDED.{name}" for name in _UPDATED)}, updated_at = EXCLUDED.updated_at,
                email_bounced_at = CASE WHEN m.email IS DISTINCT FROM EXCLUDED.email THEN NULL
                                        ELSE m.email_bounced_at END,
                email_hard_bounces = CASE WHEN m.email IS DISTINCT FROM EXCLUDED.email THEN 0
                                          ELSE m.email_hard_bounces END
            WHERE {changed}
            RETURNING m.id, (xmax = 0) AS added, m.consent_email
            """,
            [constituency.pk, now, now],
        )
        results = cursor.fetchall()
        added_with_consent = [pk for pk, added, consent in results if added and consent]
        added = sum(1 for _, was_added, _ in results if was_added)
        if added_with_consent:
            cursor.execute(
                """
                INSERT INTO members_consent (member_id, channel, granted, recorded_at, wording, source)
                SELECT id, 'email', true, %s, %s, 'import' FROM unnest(%s::bigint[]) AS id
                """,
                [
                    now,
                    f"Agreed to email, as recorded in the membership export {member_import.file_name}.",
                    added_with_consent,
                ],
            )
        cursor.execute(
            """
            SELECT count(*), (array_agg(m.membership_number ORDER BY m.membership_number))[1:100]
            FROM members_member m
            WHERE m.constituency_id = %s
              AND NOT EXISTS (SELECT 1 FROM member_import_staging s WHERE s.membership_number = m.membership_number)
            """,
            [constituency.pk],
        )
        missing_count, missing_sample = cursor.fetchone()
        cursor.execute("DROP TABLE member_import_staging")
    return {
        "added": added,
        "changed": len(results) - added,
        "unchanged": len(rows) - len(results),
        "missing": missing_count,
        "missing_sample": missing_sample or [],
    }
