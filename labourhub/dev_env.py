"""The development settings `make run` used, for the commands the README documents afterwards.

`make run` starts everything with DEBUG on (labourhub/devstack.py). A later
`.venv/bin/python manage.py ...` in another terminal had none of that and stopped with "SECRET_KEY
is required when DEBUG is off" (issue 14, item 8). So `make run` writes what it set to
`.data/dev.env` (git-ignored, on this machine only), and manage.py reads it.

Production stays strict: only manage.py reads the file (never wsgi, asgi or the Celery worker),
it is written only by `make run`, and a variable already in the environment always wins, so a
deployment that says DEBUG=false is never turned into a debugging one.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Tests point this elsewhere so they never touch a developer's own file.
PATH_VARIABLE = "LABOURHUB_DEV_ENV"
DEFAULT_PATH = BASE_DIR / ".data" / "dev.env"
# Only what `make run` sets on purpose for development: no passwords, no database address.
KEYS = ("DEBUG", "SITE_URL")


def dev_env_path(environ=os.environ):
    return Path(environ.get(PATH_VARIABLE) or DEFAULT_PATH)


def dev_env_write(*, env, path=None):
    """Write the development variables of `env` (those in KEYS) for manage.py to read."""
    path = path or dev_env_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by `make run` (labourhub/dev_env.py) for manage.py on this machine; not for production."
    ]
    lines += [f"{key}={env[key]}" for key in KEYS if key in env]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dev_env_load(*, environ=os.environ, path=None):
    """Set the file's variables in `environ` where it has none of its own. Returns those set."""
    path = path or dev_env_path(environ)
    if not path.is_file():
        return {}
    loaded = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or key.strip() not in KEYS:
            raise SystemExit(f"{path}, line {number}: expected one of {', '.join(KEYS)} as NAME=value.")
        if key.strip() not in environ:
            environ[key.strip()] = loaded[key.strip()] = value.strip()
    return loaded
