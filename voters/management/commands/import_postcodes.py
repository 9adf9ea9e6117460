"""python manage.py import_postcodes FILE [--postcode-column pcds --lat-column lat --long-column long
--terminated-column doterm]"""

from voters.importers.postcodes import DEFAULT_COLUMNS
from voters.management.importing import ImportCommand

OPTIONS = {
    "postcode": "postcode_column",
    "latitude": "lat_column",
    "longitude": "long_column",
    "terminated": "terminated_column",
}


class Command(ImportCommand):
    help = (
        "Import postcode locations from an ONS Postcode Directory-style CSV (national: every "
        "constituency's properties with those postcodes go on the map). Terminated postcodes are kept."
    )
    kind = "postcodes"
    national = True

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--postcode-column", default=DEFAULT_COLUMNS["postcode"])
        parser.add_argument("--lat-column", default=DEFAULT_COLUMNS["latitude"])
        parser.add_argument("--long-column", default=DEFAULT_COLUMNS["longitude"])
        parser.add_argument(
            "--terminated-column",
            help=f"Termination month (YYYYMM); default {DEFAULT_COLUMNS['terminated']!r} if the file has "
            "it. Give '' for none.",
        )

    def options_for(self, options):
        return {key: options[name] for key, name in OPTIONS.items() if options[name] is not None}
