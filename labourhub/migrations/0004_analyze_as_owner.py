from django.db import migrations

# Only a table's owner may ANALYZE it (PostgreSQL 16), and the application's role owns nothing:
# imports refresh statistics through this function, which runs as the owner. ANALYZE changes no
# data (only the planner's statistics), so anyone may call it.
SQL = """
CREATE FUNCTION labourhub_analyze(VARIADIC tables regclass[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE t regclass;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('ANALYZE %s', t);
    END LOOP;
END;
$$;
"""
REVERSE = "DROP FUNCTION labourhub_analyze(VARIADIC regclass[]);"


class Migration(migrations.Migration):
    dependencies = [("labourhub", "0003_audit_no_truncate")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
