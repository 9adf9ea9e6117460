"""Database faults for recovery tests, done to the real Postgres: a watcher on its own connection
cancels (pg_cancel_backend, as a statement_timeout does) or terminates (pg_terminate_backend, a lost
connection) the backend running a given statement while it runs. Only backends of this test
process's database: the other pytest worker runs its own imports on the same server (a COPY of
theirs, seen here, once had a worker killed before its own import had started)."""

import threading
import time

from django.db import connection, connections


class StatementKiller(threading.Thread):
    """While running, signal every other backend whose active statement starts with `prefix`, until one
    signal lands. `how` is "cancel" or "terminate"."""

    def __init__(self, prefix, how="cancel", timeout=60):
        super().__init__(daemon=True)
        self.prefix, self.how, self.timeout = prefix, how, timeout
        self.signalled = []
        self.done = threading.Event()

    def run(self):
        function = {"cancel": "pg_cancel_backend", "terminate": "pg_terminate_backend"}[self.how]
        deadline = time.monotonic() + self.timeout
        try:
            with connections["default"].cursor() as cursor:
                while not self.done.is_set() and not self.signalled and time.monotonic() < deadline:
                    cursor.execute(
                        f"""SELECT pid, {function}(pid) FROM pg_stat_activity
                            WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE %s
                              AND datname = current_database()""",
                        [self.prefix + "%"],
                    )
                    self.signalled = [pid for pid, sent in cursor.fetchall() if sent]
                    time.sleep(0.002)
        finally:
            connections["default"].close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join(10)


def wait_for_statement(prefix, timeout=60):
    """Wait until some backend is running a statement starting with `prefix`."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE %s"
                " AND datname = current_database()",
                [prefix + "%"],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.005)
    raise AssertionError(f"no statement {prefix!r} was seen running")


def run_beat_entry(name):
    """Queue a beat entry's task the way beat does: by its name, from the schedule in settings."""
    from django.conf import settings

    from labourhub.celery import app

    app.send_task(settings.CELERY_BEAT_SCHEDULE[name]["task"])
