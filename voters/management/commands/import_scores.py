"""python manage.py import_scores FILE --model NAME --constituency E14099001 [--run-on YYYY-MM-DD]"""

from voters.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a CSV of model scores (elector id or number + score columns) as a named, dated model version."
    )
    kind = "scores"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--model", required=True)
        parser.add_argument(
            "--run-on", default="", help="The date the model was run (YYYY-MM-DD); default today."
        )

    def options_for(self, options):
        return {"model": options["model"], **({"run_on": options["run_on"]} if options["run_on"] else {})}
