from django.db import migrations

# A request's history is append-only: the database refuses UPDATE and DELETE of decisions.
SQL = """
CREATE FUNCTION access_decision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access decisions are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_decision_append_only
    BEFORE UPDATE OR DELETE ON access_decision
    FOR EACH ROW EXECUTE FUNCTION access_decision_append_only();
"""
REVERSE = """
DROP TRIGGER access_decision_append_only ON access_decision;
DROP FUNCTION access_decision_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
