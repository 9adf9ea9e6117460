"""A property's address key becomes its CLP's own (md5 of the constituency id, '|' and the address key,
as voters.importers.register.property_key computes it): two CLPs' files naming the same address found
one shared property, and the second import moved it into its own polling districts. Keys are derived
from the old ones, so nothing needs the files again. Not reversible: older code would not find them."""

from django.db import migrations

SQL = """
UPDATE voters_property p SET address_key = md5(pd.constituency_id::text || '|' || p.address_key)
FROM labourhub_pollingdistrict pd
WHERE pd.id = p.polling_district_id AND p.address_key <> ''
"""


class Migration(migrations.Migration):
    dependencies = [("voters", "0010_import_heartbeat")]

    operations = [migrations.RunSQL(SQL)]
