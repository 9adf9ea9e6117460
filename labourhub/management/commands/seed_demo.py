from django.core.management.base import BaseCommand

from labourhub.apps import app_modules
from labourhub.demo import OPERATOR_EMAIL, logins_table


class Command(BaseCommand):
    help = "Build the demo (idempotent). Each app adds its own part through <app>/demo.py: seed(stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--if-new", action="store_true", help="Do nothing if the demo was seeded before.")

    def handle(self, *args, if_new, **options):
        from django.contrib.auth import get_user_model

        # INSTALLED_APPS is in dependency order, so each app's demo can build on the last.
        demos = app_modules("demo")
        if if_new and get_user_model().objects.filter(email=OPERATOR_EMAIL).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            for demo in demos:
                demo.seed(self.stdout)
        # Each app's demo may list the logins it makes beyond the core's (`logins()`).
        more = [row for demo in demos if hasattr(demo, "logins") for row in demo.logins()]
        self.stdout.write(logins_table(more))
