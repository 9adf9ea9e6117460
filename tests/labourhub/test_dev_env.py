"""Issue 14, item 8: the README's `.venv/bin/python manage.py ...` works in development as written
(after `make run`, or through `make manage ARGS=...`), and production stays strict."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labourhub import devstack
from labourhub.dev_env import PATH_VARIABLE, dev_env_load, dev_env_write

BASE_DIR = Path(__file__).resolve().parents[2]


def _run(command, dev_env, **env):
    """`command` from the project folder as a developer's shell would run it: no DEBUG or SECRET_KEY
    of its own (pytest sets both), and the dev file at `dev_env` instead of .data/dev.env."""
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(
        command,
        cwd=BASE_DIR,
        env={**base, PATH_VARIABLE: str(dev_env), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_run_writes_the_development_settings_for_manage_py(tmp_path, monkeypatch):
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path / "dev.env"))
    env = devstack.stack_environment(
        {"PATH": "/bin", "DATABASE_URL": "postgres://a:secret@h/x"}, "127.0.0.1", 8001
    )
    path = dev_env_write(env=env)
    text = path.read_text()
    assert "DEBUG=true" in text and "SITE_URL=http://127.0.0.1:8001" in text
    assert "secret" not in text  # no passwords or database addresses


def test_manage_py_works_as_the_readme_writes_it_after_make_run(tmp_path):
    dev_env = tmp_path / "dev.env"
    dev_env_write(env=devstack.stack_environment({}, "127.0.0.1", 8000), path=dev_env)
    result = _run([sys.executable, "manage.py", "check"], dev_env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_make_manage_works_before_make_run(tmp_path):
    result = _run(["make", "--no-print-directory", "manage", "ARGS=check"], tmp_path / "none.env")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_is_still_strict_without_the_file(tmp_path):
    result = _run([sys.executable, "manage.py", "check"], tmp_path / "none.env")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_the_environment_wins_over_the_file(tmp_path):
    """A deployment that says DEBUG=false is never made a debugging one by a stray file."""
    dev_env = tmp_path / "dev.env"
    dev_env_write(env={"DEBUG": "true"}, path=dev_env)
    result = _run([sys.executable, "manage.py", "check"], dev_env, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_only_manage_py_reads_the_file(tmp_path):
    """The web server and the worker load settings without it: production is configured by its
    environment alone."""
    dev_env = tmp_path / "dev.env"
    dev_env_write(env={"DEBUG": "true"}, path=dev_env)
    result = _run([sys.executable, "-c", "import labourhub.wsgi"], dev_env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_the_file_never_reaches_a_docker_image():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert ".data" in ignored
    assert ".data/" in (BASE_DIR / ".gitignore").read_text().split()


def test_a_bad_line_is_named_with_its_place(tmp_path):
    dev_env = tmp_path / "dev.env"
    dev_env.write_text("DEBUG=true\nSECRET_KEY=abc\n")
    with pytest.raises(SystemExit, match=r"dev.env, line 2: expected one of DEBUG, SITE_URL"):
        dev_env_load(environ={}, path=dev_env)
