"""The embedded PostgreSQL server used when DATABASE_URL is not set.

It runs from the `pgserver` package with its data in .data/postgres. Every
process that needs it takes a handle; the server stops when the last handle is
released (pgserver counts handles across processes), so `make run`, `make test`
and one-off manage.py commands share one server and leave nothing behind.
"""

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PGDATA = DATA_DIR / "postgres"
DATABASE_NAME = "labourhub"

_server = None


def start():
    """Start (or join) the embedded server; return a connection URI for `labourhub`."""
    global _server
    if _server is None:
        DATA_DIR.mkdir(exist_ok=True)
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pgserver

            try:
                _server = pgserver.get_server(PGDATA, cleanup_mode="stop")
            except Exception as error:
                raise ImproperlyConfigured(
                    f"The embedded PostgreSQL in {PGDATA} would not start ({error}). "
                    f"Its log is {PGDATA / 'log'}. If no other LabourHub is running, "
                    f"remove {PGDATA / 'postmaster.pid'} (a stale lock) and try again, "
                    "or set DATABASE_URL to use another PostgreSQL server."
                ) from error
        exists = _server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            _server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = quote(str(_server.get_postmaster_info().socket_dir), safe="")
    return f"postgres://postgres@{socket_dir}/{DATABASE_NAME}"
