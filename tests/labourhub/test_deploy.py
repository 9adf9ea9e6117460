import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def _compose_command():
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("neither `docker compose` nor docker-compose is installed (apt-get install docker-compose)")


SECRETS = {
    "POSTGRES_PASSWORD": "x",
    "APP_DB_PASSWORD": "z",
    "SECRET_KEY": "y",
    "ALLOWED_HOSTS": "hub.example.org",
}


def test_compose_file_is_accepted():
    env = {**os.environ, **SECRETS}
    result = subprocess.run(
        [*_compose_command(), "config"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for service in ("postgres:", "redis:", "web:", "worker:", "beat:"):
        assert service in result.stdout
    assert "postgres:16" in result.stdout
    assert "redis:7" in result.stdout


def test_only_migrate_connects_as_the_owner():
    """The site, worker and beat connect as the application's role; only migrate has the owner's URL."""
    env = {**os.environ, **SECRETS}
    result = subprocess.run(
        [*_compose_command(), "config"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    services = _environments(result.stdout)
    for name in ("web", "worker", "beat", "migrate"):
        environment = services[name]
        assert environment["DATABASE_URL"].startswith("postgres://labourhub_app:z@"), name
        assert ("DATABASE_OWNER_URL" in environment) == (name == "migrate"), name
    assert services["migrate"]["DATABASE_OWNER_URL"].startswith("postgres://labourhub:x@")


def _environments(config):
    """{service: {VARIABLE: value}} from `compose config` output (no YAML library needed: the
    output is normalised, services at two spaces, their variables at six)."""
    services, current, in_services = {}, None, False
    for line in config.splitlines():
        if not line.startswith(" "):
            in_services = line == "services:"
        elif in_services and re.match(r"^  [\w-]+:$", line):
            current = services.setdefault(line.strip()[:-1], {})
        elif in_services and current is not None and re.match(r"^      [A-Z_]+: ", line):
            name, value = line.strip().split(": ", 1)
            current[name] = value.strip("'\"")
    return services


def test_compose_file_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    result = subprocess.run(
        [*_compose_command(), "config"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr
