import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from labourhub.env import env_bool, env_int, env_list, env_url

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("Yes", True), ("off", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG") is expected


def test_env_bool_rejects_nonsense_naming_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be true or false.*'maybe'"):
        env_bool("SOME_FLAG")


def test_env_int_rejects_out_of_range(monkeypatch):
    monkeypatch.setenv("SOME_PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="SOME_PORT must be between 1 and 65535"):
        env_int("SOME_PORT", minimum=1, maximum=65535)


def test_env_url_rejects_wrong_scheme_without_echoing_the_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://user:hunter2@db/x")
    with pytest.raises(ImproperlyConfigured) as error:
        env_url("DATABASE_URL", schemes=("postgres",))
    assert "postgres://" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_env_list_drops_empty_items(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, ,b.example,")
    assert env_list("HOSTS") == ["a.example", "b.example"]


def test_required_variable_missing_is_named(monkeypatch):
    monkeypatch.delenv("NOT_THERE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="NOT_THERE is required"):
        env_int("NOT_THERE")


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
    )


def test_bad_env_var_stops_startup_with_its_name():
    result = _manage("check", DEBUG="perhaps", SECRET_KEY="x")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_missing_secret_key_stops_startup_when_not_debugging():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_deploy_checks_pass_with_debug_off():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 60 + "-not-a-real-key-but-long-and-varied-0123456789",
        ALLOWED_HOSTS="hub.example.org",
        SECURE_SSL_REDIRECT="true",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


DEPLOY = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 60 + "-not-a-real-key-but-long-and-varied-0123456789",
    "ALLOWED_HOSTS": "hub.example.org",
    "SECURE_SSL_REDIRECT": "true",
}


def test_owner_url_must_name_the_same_database_with_another_role():
    result = _manage(
        "check",
        DATABASE_URL="postgres://app:pw@db.invalid/hub",
        DATABASE_OWNER_URL="postgres://app:pw@db.invalid/hub",
        **DEPLOY,
    )
    assert result.returncode != 0
    assert "DATABASE_OWNER_URL must name the same database" in result.stderr
    result = _manage("check", DATABASE_OWNER_URL="postgres://owner:pw@db.invalid/hub", **DEPLOY)
    assert result.returncode != 0
    assert "DATABASE_OWNER_URL is set but DATABASE_URL is not" in result.stderr


def test_models_and_migrations_agree(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"Model changes without a migration:\n{out.getvalue()}")


def test_map_tile_server_is_allowed_by_the_csp():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY)",
        DEBUG="true",
        MAP_TILE_URL="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
    )
    assert result.returncode == 0, result.stderr
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in result.stdout


def test_map_tile_server_must_be_https():
    result = _manage("check", DEBUG="true", MAP_TILE_URL="http://tiles.example/{z}/{x}/{y}.png")
    assert "MAP_TILE_URL must be a URL starting with one of https://" in result.stderr
