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
    _create_and_drop_as_owner()


def _create_and_drop_as_owner():
    """The benchmark's database is created, migrated and dropped by the owner (DATABASE_OWNER_URL),
    as the test suite's is; the benchmark itself runs as the application's role."""
    from django.db import connection

    from labourhub.db_roles import as_owner

    creation = connection.creation
    for name in ("create_test_db", "destroy_test_db"):
        original = getattr(creation, name)

        def as_the_owner(*args, _original=original, **kwargs):
            with as_owner(connection.alias):
                return _original(*args, **kwargs)

        setattr(creation, name, as_the_owner)


def database_url():
    from django.db import connection

    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}{port}/{db['NAME']}"
