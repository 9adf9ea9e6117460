import django.db.models.deletion
from django.db import migrations, models

# Every import writes these rows, so every index on them is paid per row. The address key is an MD5
# looked up by equality only, so the LIKE index Django adds to a unique CharField never serves a
# query; the entries' publication is the first column of both unique constraints, which serve it.


class Migration(migrations.Migration):
    dependencies = [
        ("voters", "0007_surname_order_index"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP INDEX IF EXISTS voters_property_address_key_899930a2_like",
            "CREATE INDEX voters_property_address_key_899930a2_like ON voters_property "
            "(address_key varchar_pattern_ops)",
        ),
        migrations.AlterField(
            model_name="registerentry",
            name="publication",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="entries",
                to="voters.registerpublication",
            ),
        ),
    ]
