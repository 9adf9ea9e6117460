"""The browser tests' harness gives back every database session it opens: a session left open
makes the test database impossible to drop when the run ends (seen as a teardown warning)."""

import pytest
from django.db import connection

from labourhub.models import Region
from tests.conftest import playwright_for_test

pytestmark = pytest.mark.e2e


def sessions_on_the_test_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_test_bodys_own_connection_is_closed_with_playwright(transactional_db, settings, monkeypatch):
    before = sessions_on_the_test_database()
    with playwright_for_test(settings, monkeypatch):
        Region.objects.count()  # while Playwright's loop runs, on a connection of its own
        during = sessions_on_the_test_database()
    assert (during, sessions_on_the_test_database()) == (before + 1, before)
