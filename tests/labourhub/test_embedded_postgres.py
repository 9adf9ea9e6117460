"""The embedded PostgreSQL: started on first use, reused, stopped when the last process exits."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from pathlib import Path
from labourhub import embedded_postgres as embedded
embedded.DATA_DIR = Path(sys.argv[1])
embedded.PGDATA = embedded.DATA_DIR / "postgres"
url = embedded.start()
import psycopg
with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
    print(conn.execute("select current_database()").fetchone()[0])
print(url)
"""


def _start_in_a_process(data_dir):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_starts_creates_the_database_and_stops_when_the_process_ends(tmp_path):
    database, url = _start_in_a_process(tmp_path)
    assert database == "labourhub"
    assert (tmp_path / "postgres" / "PG_VERSION").exists()
    assert not (tmp_path / "postgres" / "postmaster.pid").exists(), (
        "the server should stop with its last user"
    )
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=2)


def test_reuses_its_data_on_the_next_start(tmp_path):
    _start_in_a_process(tmp_path)
    marker = (tmp_path / "postgres" / "PG_VERSION").stat().st_mtime_ns
    database, _ = _start_in_a_process(tmp_path)
    assert database == "labourhub"
    assert (tmp_path / "postgres" / "PG_VERSION").stat().st_mtime_ns == marker  # no second initdb


def test_a_stale_lock_from_a_crash_does_not_stop_it(tmp_path):
    _start_in_a_process(tmp_path)
    pid_file = tmp_path / "postgres" / "postmaster.pid"
    pid_file.write_text(
        "999999\n" + str(tmp_path / "postgres") + "\n1700000000\n5432\n/tmp\n\n  0 0\nready\n"
    )
    database, _ = _start_in_a_process(tmp_path)
    assert database == "labourhub"
