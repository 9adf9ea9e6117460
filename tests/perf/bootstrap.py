"""What every benchmark does before it touches the project: Django set up on a test database of its
own (TEST_DB), and the URL a worker process it starts needs to reach that database."""

import os
from urllib.parse import quote

import django


def setup_django(test_db, **environment):
    """`environment`: further settings for this benchmark, as environment variables (set unless the
    caller's environment already has them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labourhub.settings")
    os.environ.setdefault("TEST_DB", test_db)
    os.environ.setdefault("SECRET_KEY", "only-for-benchmarks-not-a-secret")
    for name, value in environment.items():
        os.environ.setdefault(name, value)
    django.setup()


def database_url():
    from django.db import connection

    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}{port}/{db['NAME']}"
