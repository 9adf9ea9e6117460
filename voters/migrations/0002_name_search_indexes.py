from django.db import migrations

# Prefix search on capitalised names and streets (no pg_trgm here). Written as SQL because
# OpClass on an expression needs django.contrib.postgres installed.
INDEXES = [
    ("elector_surname_upper", "voters_elector", "surname"),
    ("elector_first_names_upper", "voters_elector", "first_names"),
    ("property_street_upper", "voters_property", "street"),
]


class Migration(migrations.Migration):
    dependencies = [("voters", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {table} ((UPPER({column})) varchar_pattern_ops)",
            f"DROP INDEX {name}",
        )
        for name, table, column in INDEXES
    ]
