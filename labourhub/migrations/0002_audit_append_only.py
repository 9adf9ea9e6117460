from django.db import migrations

# The audit log is append-only: the database itself refuses UPDATE and DELETE, so no
# code path (admin, shell, a bug) can rewrite history (TRUNCATE: see 0003).
SQL = """
CREATE FUNCTION labourhub_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER labourhub_auditevent_append_only
    BEFORE UPDATE OR DELETE ON labourhub_auditevent
    FOR EACH ROW EXECUTE FUNCTION labourhub_audit_append_only();
"""
REVERSE = """
DROP TRIGGER labourhub_auditevent_append_only ON labourhub_auditevent;
DROP FUNCTION labourhub_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("labourhub", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
