from django.db import migrations

# One index on UPPER(surname) in the "C" collation instead of varchar_pattern_ops: it serves the
# same prefix searches (LIKE 'SMI%' and istartswith) and also the order the Find a voter page lists
# results in, so a broad search ('AT2', a whole outward code) reads its first page of 50 in index
# order instead of sorting every match. Same cost for imports: still one index on one expression.


class Migration(migrations.Migration):
    dependencies = [("voters", "0006_suppressions")]

    operations = [
        migrations.RunSQL(
            'CREATE INDEX elector_surname_order ON voters_elector ((UPPER(surname)) COLLATE "C")',
            "DROP INDEX elector_surname_order",
        ),
        migrations.RunSQL(
            "DROP INDEX elector_surname_upper",
            "CREATE INDEX elector_surname_upper ON voters_elector ((UPPER(surname)) varchar_pattern_ops)",
        ),
    ]
