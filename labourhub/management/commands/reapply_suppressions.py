"""python manage.py reapply_suppressions [--constituency GSS]: after restoring a backup, check every
erasure and objection tombstone again, so nobody the restore brought back is contacted or keeps data."""

from django.core.management.base import BaseCommand, CommandError

from labourhub.models import Constituency
from labourhub.privacy import suppressions_reapply


class Command(BaseCommand):
    help = "Apply every erasure and objection tombstone again (run after restoring a backup)."

    def add_arguments(self, parser):
        parser.add_argument("--constituency", default="", help="One CLP's GSS code; default every CLP.")

    def handle(self, *args, **options):
        constituencies = Constituency.objects.order_by("gss_code")
        if options["constituency"]:
            constituencies = constituencies.filter(gss_code=options["constituency"].strip().upper())
            if not constituencies.exists():
                raise CommandError(f"--constituency {options['constituency']!r}: no such constituency.")
        for constituency in constituencies:
            counts = suppressions_reapply(constituencies=[constituency])
            summary = "; ".join(f"{label}: {count}" for label, count in counts)
            self.stdout.write(f"{constituency.gss_code} {constituency.name}: {summary}")
