"""Load the party's shape from a CSV with columns kind,name,code,parent_code.

All or nothing: every line is checked first and any problem rejects the file with
its line number. Loading the same file again changes nothing.
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from labourhub.models import GSS_CODE_RE, Branch, Constituency, PollingDistrict, Region, Ward

KINDS = ("region", "constituency", "ward", "branch", "polling_district")
COLUMNS = ("kind", "name", "code", "parent_code")
OUTCOMES = ("created", "updated", "unchanged")


@dataclass
class AreasReport:
    counts: dict = field(default_factory=lambda: {kind: dict.fromkeys(OUTCOMES, 0) for kind in KINDS})
    errors: list = field(default_factory=list)

    def __str__(self):
        if self.errors:
            return "Rejected; nothing was changed:\n" + "\n".join(self.errors)
        return "\n".join(
            f"{kind}: " + ", ".join(f"{n} {outcome}" for outcome, n in self.counts[kind].items())
            for kind in KINDS
        )


def areas_load(*, text):
    """Parse and load. Returns an AreasReport; on any error nothing is written."""
    report = AreasReport()
    # newline="": lines may end in \r\n, \n or \r alone, and csv reads a line break inside quotes.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        headers = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in headers]
        if missing:
            report.errors.append(
                f"line 1: missing column(s) {', '.join(missing)}; found {', '.join(headers) or 'none'}"
            )
            return report
        rows = []
        for line_number, raw in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            problem = _row_problem(row)
            if problem:
                report.errors.append(f"line {line_number}: {problem}")
            rows.append((line_number, row))
    except csv.Error as problem:  # a field over the csv module's limit, say
        report.errors.append(f"line {reader.line_num}: cannot be read as CSV ({problem})")
        return report
    if report.errors:
        return report
    try:
        with transaction.atomic():
            # Parents before children, whatever order the file is in.
            for kind in KINDS:
                for line_number, row in rows:
                    if row["kind"] == kind:
                        _load_row(row, line_number, report)
            if report.errors:
                raise _Rejected
    except _Rejected:
        pass
    return report


class _Rejected(Exception):
    pass


def _row_problem(row):
    if row["kind"] not in KINDS:
        return f"column kind: {row['kind']!r} is not one of {', '.join(KINDS)}"
    if not row["name"]:
        return "column name: empty"
    if not row["code"]:
        return "column code: empty"
    if row["kind"] in ("region", "constituency") and not GSS_CODE_RE.match(row["code"]):
        return f"column code: {row['code']!r} is not a GSS code (a letter E/N/S/W and 8 digits)"
    if row["kind"] != "region" and not row["parent_code"]:
        return "column parent_code: empty (every area but a region has a parent)"
    return None


def _load_row(row, line_number, report):
    kind, name, code, parent_code = row["kind"], row["name"], row["code"], row["parent_code"]
    try:
        if kind == "region":
            outcome = _upsert(Region, {"code": code}, {"name": name})
        elif kind == "constituency":
            region = Region.objects.get(code=parent_code)
            outcome = _upsert(Constituency, {"gss_code": code}, {"name": name, "region": region})
        elif kind == "ward":
            constituency = Constituency.objects.get(gss_code=parent_code)
            outcome = _upsert(Ward, {"code": code}, {"name": name, "constituency": constituency})
        elif kind == "branch":
            constituency = Constituency.objects.get(gss_code=parent_code)
            outcome = _upsert(Branch, {"constituency": constituency, "code": code}, {"name": name})
        else:
            ward = Ward.objects.filter(code=parent_code).select_related("constituency").first()
            constituency = ward.constituency if ward else Constituency.objects.get(gss_code=parent_code)
            outcome = _upsert(
                PollingDistrict, {"constituency": constituency, "code": code}, {"name": name, "ward": ward}
            )
    except (Region.DoesNotExist, Constituency.DoesNotExist):
        report.errors.append(
            f"line {line_number}: column parent_code: no area with code {parent_code!r} for this {kind}"
        )
        return
    report.counts[kind][outcome] += 1


def _upsert(model, lookup, values):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        model.objects.create(**lookup, **values)
        return "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=changed)
    return "updated"
