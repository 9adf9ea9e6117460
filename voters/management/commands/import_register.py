"""python manage.py import_register FILE --constituency E14099001 [--kind full|update|marked|postal]"""

from django.core.management.base import CommandError

from voters.management.importing import ImportCommand
from voters.models import RegisterImport

KINDS = [
    RegisterImport.Kind.FULL,
    RegisterImport.Kind.UPDATE,
    RegisterImport.Kind.MARKED,
    RegisterImport.Kind.POSTAL,
]


class Command(ImportCommand):
    help = (
        "Import a register file (full, monthly update, marked register or postal/proxy list). All or nothing."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--kind", choices=[k.value for k in KINDS], default="full")
        parser.add_argument("--election", default="", help="Democracy Club id, for marked and postal lists.")
        parser.add_argument(
            "--published-on", default="", help="Publication date of a full register (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Apply even if the file takes more than 2%% of the register off it (without --yes the "
            "command refuses, with the numbers and examples, and changes nothing).",
        )

    def options_for(self, options):
        if options["kind"] in ("marked", "postal") and not options["election"]:
            raise CommandError(
                "--election is needed for a marked register or postal list, e.g. parl.2024-07-04"
            )
        return {
            key: value
            for key, value in {
                "election": options["election"],
                "published_on": options["published_on"],
                "confirmed": options["yes"],
            }.items()
            if value
        }
