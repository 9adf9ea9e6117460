"""The audit log is append-only against dishonest code too: the application connects as a role
that owns nothing, may only INSERT into and SELECT from the audit log, and cannot TRUNCATE it,
switch its triggers off, or put the session in replica mode to skip them. The owner (who runs
migrations) is refused TRUNCATE, UPDATE and DELETE by triggers that fire even in replica mode."""

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from labourhub.models import AuditEvent
from labourhub.services import audit_record

pytestmark = pytest.mark.django_db


def _attack(sql):
    """Run `sql` as the application (the tests' own connection); return the database's refusal."""
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refused.value)


@pytest.fixture
def event():
    return audit_record(action="test.evidence", detail={"who": "Anytown secretary"})


def _untouched(event):
    assert AuditEvent.objects.filter(pk=event.pk, action="test.evidence").exists()


def test_the_tests_run_with_the_applications_credentials():
    """Otherwise the attacks below would prove nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, r.rolsuper, pg_get_userbyid(c.relowner) FROM pg_roles r, pg_class c "
            "WHERE r.rolname = current_user AND c.oid = 'labourhub_auditevent'::regclass"
        )
        user, superuser, owner = cursor.fetchone()
    assert user == settings.DATABASES["default"]["USER"]
    assert not superuser
    assert owner != user
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone()[0] == 0, "the application's role owns tables"


def test_application_can_append_and_read(event):
    assert AuditEvent.objects.get(pk=event.pk).detail == {"who": "Anytown secretary"}


def test_truncate_is_refused(event):
    assert "permission denied" in _attack("TRUNCATE labourhub_auditevent")
    assert "permission denied" in _attack("TRUNCATE labourhub_auditevent CASCADE")
    _untouched(event)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE labourhub_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE labourhub_auditevent DISABLE TRIGGER labourhub_auditevent_append_only",
        "DROP TRIGGER labourhub_auditevent_append_only ON labourhub_auditevent",
        "DROP TABLE labourhub_auditevent CASCADE",
        "ALTER TABLE labourhub_auditevent RENAME TO old_audit",
        "CREATE OR REPLACE FUNCTION labourhub_audit_append_only() RETURNS trigger AS "
        "$$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
    ],
)
def test_triggers_cannot_be_switched_off_or_the_table_replaced(event, sql):
    assert "must be owner" in _attack(sql)
    _untouched(event)


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE labourhub_auditevent SET action = 'rewritten'",
        "DELETE FROM labourhub_auditevent",
    ],
)
def test_replica_mode_is_refused_and_changes_still_fail(event, change):
    assert "permission denied" in _attack("SET session_replication_role = replica")
    assert "permission denied" in _attack(f"SET session_replication_role = replica; {change}")
    assert "permission denied" in _attack(change)
    _untouched(event)


def test_application_cannot_grant_itself_more(event):
    # PostgreSQL only warns that nothing was granted; the change that follows is still refused.
    assert "permission denied" in _attack(
        "GRANT UPDATE, DELETE, TRUNCATE ON labourhub_auditevent TO PUBLIC; "
        "UPDATE labourhub_auditevent SET action = 'rewritten'"
    )
    assert "permission denied" in _attack(
        "CREATE TRIGGER t BEFORE INSERT ON labourhub_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION labourhub_audit_append_only()"
    )


def _owner_connection():
    owner = settings.DATABASE_OWNER
    if not owner:
        pytest.skip("no DATABASE_OWNER_URL: one role does everything")
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=owner["USER"],
        password=owner["PASSWORD"] or None,
        host=owner["HOST"] or None,
        port=owner["PORT"] or None,
        autocommit=True,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE labourhub_auditevent CASCADE",
        "UPDATE labourhub_auditevent SET action = 'rewritten'",
        "DELETE FROM labourhub_auditevent",
    ],
)
def test_owner_is_refused_by_the_triggers_too(transactional_db, sql):
    """The owner could drop the triggers on purpose (it runs migrations), but no accident or
    ordinary statement of theirs erases the log."""
    event = audit_record(action="test.evidence")
    with _owner_connection() as owner, pytest.raises(psycopg.Error, match="append-only"):
        owner.execute(sql)
    _untouched(event)
