import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def reference_data(request):
    """The codes a data migration seeds. Transactional tests elsewhere in a run flush tables, so
    put them back (idempotent) before each test that uses the database."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
        importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)
