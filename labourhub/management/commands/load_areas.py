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
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = file.read_text(encoding="windows-1252")
        report = areas_load(text=text)
        if report.errors:
            raise CommandError(str(report))
        self.stdout.write(str(report))
