import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def reference_data(request):
    """Intention codes and door outcomes come from a data migration. Tests elsewhere marked
    django_db(transaction=True) empty every table, and the root conftest puts the codes back only
    after tests that ask for `transactional_db` by name: put them back (if missing) before each
    polling-day test that uses the database, as tests/campaigns/conftest.py does."""
    names = request.fixturenames
    if "transactional_db" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return
    if not apps.get_model("campaigns", "IntentionCode").objects.exists():
        importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)
