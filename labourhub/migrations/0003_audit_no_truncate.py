from django.db import migrations

# The audit log refuses TRUNCATE too (the application's role may not TRUNCATE at all; this stops
# the owner and superusers by accident). `flush`, which the test suite runs between transactional
# tests, opts in for its session (labourhub.db_roles.audit_log_flushable). Both triggers fire
# ALWAYS, so session_replication_role = replica does not switch them off either.
SQL = """
CREATE FUNCTION labourhub_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('labourhub.flush_audit_log', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only (TRUNCATE refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER labourhub_auditevent_no_truncate
    BEFORE TRUNCATE ON labourhub_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION labourhub_audit_no_truncate();
ALTER TABLE labourhub_auditevent ENABLE ALWAYS TRIGGER labourhub_auditevent_no_truncate;
ALTER TABLE labourhub_auditevent ENABLE ALWAYS TRIGGER labourhub_auditevent_append_only;
"""
REVERSE = """
ALTER TABLE labourhub_auditevent ENABLE TRIGGER labourhub_auditevent_append_only;
DROP TRIGGER labourhub_auditevent_no_truncate ON labourhub_auditevent;
DROP FUNCTION labourhub_audit_no_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("labourhub", "0002_audit_append_only")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
