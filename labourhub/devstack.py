"""`make run`: the database, migrations, demo data, the web server and a Celery worker with beat.

Ctrl-C stops everything this started. With no DATABASE_URL the embedded
PostgreSQL runs for as long as this process does.
"""

import os
import signal
import socket
import subprocess
import sys
import time

from labourhub import embedded_postgres
from labourhub.dev_env import dev_env_write

MANAGE = [sys.executable, str(embedded_postgres.BASE_DIR / "manage.py")]


def main():
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    if not _port_free(host, port):
        sys.exit(
            f"Port {port} on {host} is already in use (another `make run`?). Stop it, or run: PORT={port + 1} make run"
        )

    env = stack_environment(os.environ, host, port)
    # So `.venv/bin/python manage.py ...` in another terminal runs as this does (README).
    dev_env_write(env=env)
    if not env.get("DATABASE_URL"):
        print("Starting the embedded PostgreSQL in .data/postgres ...", flush=True)
        env["DATABASE_URL"] = embedded_postgres.start()
        env["DATABASE_OWNER_URL"] = embedded_postgres.owner_url()
    # Only migrations connect as the owner; the site, the worker and the demo data use the
    # application's role (README, "Security").
    _run_step(MANAGE + ["migrate", "--noinput"], env)
    env.pop("DATABASE_OWNER_URL", None)
    _run_step(MANAGE + ["seed_demo", "--if-new"], env)

    processes = [
        subprocess.Popen(MANAGE + ["runserver", f"{host}:{port}"], env=env),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "labourhub",
                "worker",
                "--beat",
                "--loglevel=WARNING",
                "--concurrency=2",
            ],
            env=env,
        ),
    ]
    # Stop on Ctrl-C or SIGTERM, even if started with SIGINT ignored (as background jobs are).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    time.sleep(2)
    print(f"\nLabourHub is running at http://{host}:{port}/  (Ctrl-C stops it)\n", flush=True)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("A LabourHub process stopped unexpectedly; stopping the rest.", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan the children
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    sys.exit(code)


def stack_environment(environ, host, port):
    """The environment the web server and worker run with: debug on, and links in emails pointing
    at this server unless SITE_URL says otherwise."""
    env = dict(environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    return env


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _port_free(host, port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _run_step(command, env):
    if subprocess.run(command, env=env).returncode != 0:
        sys.exit(f"`{' '.join(command[1:])}` failed; see the messages above.")


if __name__ == "__main__":
    main()
