import os
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


def test_compose_file_is_accepted():
    env = {**os.environ, "POSTGRES_PASSWORD": "x", "SECRET_KEY": "y", "ALLOWED_HOSTS": "hub.example.org"}
    result = subprocess.run(
        [*_compose_command(), "config"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for service in ("postgres:", "redis:", "web:", "worker:", "beat:"):
        assert service in result.stdout
    assert "postgres:16" in result.stdout
    assert "redis:7" in result.stdout


def test_compose_file_refuses_to_start_without_secrets():
    env = {
        k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    result = subprocess.run(
        [*_compose_command(), "config"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr
