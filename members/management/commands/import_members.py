from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from labourhub.models import Constituency
from members import importers
from members.models import ImportMapping, MemberImport


class Command(BaseCommand):
    help = (
        "Import a membership export (CSV or XLSX) into a CLP: all of it or none of it. "
        "Columns are mapped by a saved mapping (--mapping NAME), or guessed from the headers; "
        "--map field=Header fixes a guess and saves the mapping under NAME for next time."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--constituency", required=True, help="The CLP's GSS code, e.g. E14099001")
        parser.add_argument("--mapping", default="Default", help="The saved column mapping to use or save")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER")

    def handle(self, *args, file, constituency, mapping, map, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        clp = Constituency.objects.filter(gss_code=constituency).first()
        if clp is None:
            raise CommandError(f"No constituency with GSS code {constituency!r}.")
        with path.open("rb") as handle:
            try:
                importers.check_size(path.stat().st_size)
                headers = importers.read_headers(handle, path.name)
            except importers.ImportRejected as rejected:
                raise CommandError(str(rejected)) from None
        saved = ImportMapping.unscoped.filter(constituency=clp, name=mapping).first()
        columns = dict(saved.columns) if saved else importers.guess_mapping(headers)
        for item in map:
            name, _, header = item.partition("=")
            if name not in importers.FIELDS:
                raise CommandError(
                    f"--map {item!r}: unknown field {name!r}; fields: {', '.join(importers.FIELDS)}"
                )
            columns[name] = header
        saved, _ = ImportMapping.unscoped.update_or_create(
            constituency=clp, name=mapping, defaults={"columns": columns}
        )
        with path.open("rb") as handle:
            member_import = MemberImport.unscoped.create(
                constituency=clp, mapping=saved, file=File(handle, name=path.name), file_name=path.name
            )
        member_import = importers.member_import_run(
            import_id=member_import.pk,
            on_progress=lambda read, total: self.stderr.write(f"{read} of {total} lines read"),
        )
        report = member_import.report
        if member_import.state in (MemberImport.State.REJECTED, MemberImport.State.FAILED):
            lines = "\n".join(f"  line {e['line']}: {e['error']}" for e in report.get("lines", []))
            raise CommandError(f"{report['error']}\n{lines}".rstrip())
        self.stdout.write(
            f"Imported {path.name}: {report['added']} added, {report['changed']} changed, "
            f"{report['unchanged']} unchanged; {report['missing']} members of the CLP are not in the file "
            "(kept, not deleted)."
        )
        if report.get("suppressed"):
            self.stdout.write(f"{report['suppressed']} rows of people erased at their request were left out.")
        if report["ignored_columns"]:
            self.stdout.write(f"Columns not imported: {', '.join(report['ignored_columns'])}")
