"""Production settings pass Django's deployment checks; SQLite runs in WAL mode."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


def production_env(**overrides: str) -> dict[str, str]:
    # The browser tests relax Django's async guard in this process; a deployment never would.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **overrides}


def test_production_settings_pass_check_deploy():
    env = production_env(
        **{
            "AGORA_ENV": "production",
            "SECRET_KEY": "a-long-random-production-secret-key-for-the-deploy-check-0123456789",
            "ALLOWED_HOSTS": "news.example.org",
            "DEBUG": "",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env(AGORA_ENV="production", SECRET_KEY="", ALLOWED_HOSTS="news.example.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("WAL is a SQLite setting; this run uses " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    assert mode == "wal"
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]
