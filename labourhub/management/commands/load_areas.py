from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labourhub.areas_import import areas_load


class Command(BaseCommand):
    help = "Load regions, constituencies, wards, branches and polling districts from a CSV (kind,name,code,parent_code)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        data = file.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("windows-1252")
            except UnicodeDecodeError as error:
                line = data.count(b"\n", 0, error.start) + 1
                raise CommandError(
                    f"{file}, line {line}: byte {data[error.start]:#04x} is "
                    "neither UTF-8 nor Windows-1252. Save the file as CSV (UTF-8)."
                ) from None
        report = areas_load(text=text)
        if report.errors:
            raise CommandError(str(report))
        self.stdout.write(str(report))
