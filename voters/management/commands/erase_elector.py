"""python manage.py erase_elector --constituency GSS --elector PD-NUMBER[/SUFFIX] --reason TEXT [--object]

Erase what the party holds on an elector (and their linked member record), leaving them on the
register as do not contact with a tombstone every intake checks; `--object` records an objection
instead. Prints what was removed; exits non-zero when there is no such elector."""

from django.core.management.base import BaseCommand, CommandError

from labourhub.models import Constituency
from labourhub.privacy import Person, person_erase
from voters.importers.base import RowError
from voters.importers.fields import elector_number
from voters.models import Elector


class Command(BaseCommand):
    help = "Erase (or record an objection for) one elector, by their elector number."

    def add_arguments(self, parser):
        parser.add_argument("--constituency", required=True, help="GSS code, e.g. E14001063")
        parser.add_argument("--elector", required=True, help="PD-NUMBER[/SUFFIX], e.g. ABC1-123/1")
        parser.add_argument(
            "--reason", required=True, help="Why, for the tombstone (e.g. the request's reference)"
        )
        parser.add_argument(
            "--object", action="store_true", help="An objection: stop contact, keep the records"
        )

    def handle(self, *args, **options):
        code = options["constituency"].strip().upper()
        constituency = Constituency.objects.filter(gss_code=code).first()
        if constituency is None:
            raise CommandError(f"--constituency {code!r}: no such constituency.")
        try:
            pd, number, suffix = elector_number("--elector", options["elector"])
        except RowError as error:
            raise CommandError(
                f"--elector {options['elector']!r}: is not an elector number like ABC1-123 or ABC1-123/1"
            ) from error
        # The current number first; an elector off the register keeps their last one.
        elector = (
            Elector.unscoped.with_number(pd, number, suffix)
            .filter(polling_district__constituency=constituency)
            .order_by("-on_register", "-pk")
            .first()
        )
        if elector is None:
            raise CommandError(
                f"No elector {options['elector']} in {constituency.gss_code} {constituency.name}."
            )
        if not options["reason"].strip():
            raise CommandError("--reason: say why (e.g. the request's reference and date).")
        result = person_erase(
            person=Person(constituency, frozenset({elector.pk})),
            user=None,
            reason=options["reason"],
            erase=not options["object"],
        )
        what = "Erased" if result.erased else "Objection recorded for"
        self.stdout.write(
            f"{what} elector {elector.elector_number_display} (id {elector.pk}) in {constituency.gss_code}:"
        )
        for label, count in result.removed:
            self.stdout.write(f"  {label}: {count}")
        if result.mentions:
            self.stdout.write(f"Notes elsewhere that may name them ({len(result.mentions)}), to review:")
            for mention in result.mentions:
                self.stdout.write(f"  {mention.where} #{mention.record_id}: {mention.text[:120]}")
