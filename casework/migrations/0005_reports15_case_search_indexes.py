from django.db import migrations

# Case list and search on a 200,000-case office (tests/perf/bench_casework.py). Written as SQL:
# opclasses and expression indexes need django.contrib.postgres, which is not installed, and pg_trgm
# is not in the embedded Postgres (as voters/migrations/0002 says), so names are found by word
# prefix through a full-text index of the 'simple' configuration (core Postgres: no extension).
INDEXES = [
    ("case_name_words", "CREATE INDEX case_name_words ON casework_case USING gin (to_tsvector('simple'::regconfig, name))"),
    ("case_postcode_prefix", "CREATE INDEX case_postcode_prefix ON casework_case (postcode varchar_pattern_ops)"),
    # The list's order (due first, then newest), for open cases and for any status.
    (
        "case_office_open_listed",
        "CREATE INDEX case_office_open_listed ON casework_case (office_id, due_on, opened_on DESC, reference_seq DESC) "
        "WHERE status_class = 'open'",
    ),
    (
        "case_office_listed",
        "CREATE INDEX case_office_listed ON casework_case (office_id, due_on, opened_on DESC, reference_seq DESC)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("casework", "0004_reports15_reports_retention")]

    operations = [migrations.RunSQL(sql, f"DROP INDEX {name}") for name, sql in INDEXES]
