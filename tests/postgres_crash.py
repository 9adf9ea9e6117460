"""A PostgreSQL server of a test's own, holding a copy of the test database, that the test can crash.

Crashing the suite's shared server would take every other test down with it, so a crash test gets a
throwaway server (pgserver's binaries, data in a temporary directory) loaded with a dump of the test
database as it is when the fixture starts (personas and all), and Django's default connection points
at it until the test ends. A worker started after this fixture (`celery_worker`) uses it too.
`crash()` is `pg_ctl stop -m immediate` (SIGQUIT to the postmaster): no checkpoint, no goodbye to
clients; what was not flushed to the WAL on disk is gone, exactly as after a power cut of the server.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from django.db import DatabaseError, connections

DATABASE = "crash_test"


class CrashablePostgres:
    def __init__(self):
        import pgserver

        self.bin = Path(pgserver.__file__).parent / "pginstall" / "bin"
        # A short path: the server's Unix socket lives in it (socket paths are limited to ~100 bytes).
        self.root = Path(tempfile.mkdtemp(prefix="lhcrash-"))
        self.server = pgserver.get_server(self.root / "pg", cleanup_mode="delete")

    @property
    def socket_dir(self):
        return str(self.server.get_postmaster_info().socket_dir)

    def load(self, settings_dict):
        """Copy the database Django points at into this server."""
        dump = self.root / "dump"
        source = ["-h", settings_dict["HOST"] or "localhost", "-U", settings_dict["USER"]]
        if settings_dict["PORT"]:
            source += ["-p", str(settings_dict["PORT"])]
        env = {**os.environ, "PGPASSWORD": settings_dict["PASSWORD"] or ""}
        subprocess.run(
            [self.bin / "pg_dump", *source, "-Fc", "-f", dump, settings_dict["NAME"]], check=True, env=env
        )
        self.server.psql(f"CREATE DATABASE {DATABASE};")
        subprocess.run(
            # The test database is owned by the app's owner role, which this server does not have.
            [
                self.bin / "pg_restore",
                "--no-owner",
                "--no-acl",
                "-h",
                self.socket_dir,
                "-U",
                "postgres",
                "-d",
                DATABASE,
                dump,
            ],
            check=True,
        )

    def crash(self):
        pid = self.server.get_pid()
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown, as `pg_ctl stop -m immediate`
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(timeout=30)

    def restart(self):
        """Start it again on the same data: Postgres replays its WAL (crash recovery) first. pgserver gives
        pg_ctl 10 seconds, which crash recovery on a loaded machine can exceed (measured: 8 s before
        recovery began, at a load of 14); the server goes on starting, so wait for it to be ready."""
        from pgserver.postgres_server import PostmasterInfo

        try:
            self.server.ensure_postgres_running()
        except subprocess.TimeoutExpired:
            deadline = time.monotonic() + 120
            while (
                info := PostmasterInfo.read_from_pgdata(self.server.pgdata)
            ) is None or info.status != "ready":
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
            self.server.ensure_postgres_running()

    def remove(self):
        with contextlib.suppress(Exception):
            self.server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def crashable_postgres(transactional_db):
    """Django (and any worker started after this fixture) on a copy of the test database in a server of
    the test's own, which the test may crash. Ask for it after the fixtures whose data it should hold."""
    connection = connections["default"]
    server = CrashablePostgres()
    saved = dict(connection.settings_dict)
    try:
        server.load(saved)
        connection.close()
        connection.settings_dict.update(
            NAME=DATABASE, HOST=server.socket_dir, PORT="", USER="postgres", PASSWORD=""
        )
        yield server
    finally:
        with contextlib.suppress(DatabaseError):
            connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        server.remove()
