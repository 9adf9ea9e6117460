"""What the import commands share: find the constituency, store the file, run it, print the report."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from labourhub.models import Constituency
from voters.models import RegisterImport
from voters.reports import import_report_text
from voters.services import register_import_create, register_import_run


class ImportCommand(BaseCommand):
    kind = None  # or taken from --kind
    national = False  # a national file (postcode locations): no --constituency

    def add_arguments(self, parser):
        parser.add_argument("file")
        if not self.national:
            parser.add_argument("--constituency", required=True, help="GSS code, e.g. E14099001")

    def options_for(self, options):
        return {}

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        constituency = None
        if not self.national:
            constituency = Constituency.objects.filter(gss_code=options["constituency"]).first()
            if constituency is None:
                raise CommandError(f"No constituency with GSS code {options['constituency']!r}")
        with path.open("rb") as f:
            record = register_import_create(
                constituency=constituency,
                kind=self.kind or options["kind"],
                file=File(f, name=path.name),
                options=self.options_for(options),
            )
        record = register_import_run(register_import=record)
        self.stdout.write(import_report_text(record))
        if record.status == RegisterImport.Status.CONFIRM:
            raise CommandError(
                f"Nothing was changed: this file would take {record.removed} electors off the register. "
                "If it is the whole register, run the command again with --yes."
            )
        if record.status != RegisterImport.Status.DONE:
            raise CommandError("The file was rejected; nothing was changed.")
