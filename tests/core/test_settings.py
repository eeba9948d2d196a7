"""A malformed environment stops the start with a message naming the variable; production
settings pass Django's deployment checks."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense"}, "DATABASE_URL='nonsense' is not a URL"),
        ({"DEBUG": "1", "REDIS_URL": "localhost:6379"}, "REDIS_URL='localhost:6379' is not a URL"),
        ({"DEBUG": "1", "CONN_MAX_AGE": "ten"}, "CONN_MAX_AGE='ten' is not an integer"),
        ({"DEBUG": "1", "REPORTING_CURRENCY": "dollars"}, "REPORTING_CURRENCY='DOLLARS' is not an ISO 4217 code"),
        ({"DEBUG": "0"}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS must list"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.com",
          "FIELD_ENCRYPTION_KEY": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEY must be one or more"),
    ],
)
def test_malformed_environment_stops_the_start(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_pass_deploy_checks(tmp_path):
    """Against an empty, unmigrated database, as in CI: building the API schema (a deploy
    check) must not read tables."""
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        DEBUG="0", SECRET_KEY="k" * 20 + "-production-like-secret-key-with-enough-entropy-4f9a",
        ALLOWED_HOSTS="portal.example.com", FIELD_ENCRYPTION_KEY="Qy3lX0YV5n3uE0k2q7Qm1o8sD4cVtKp9w2Zr6hJb1aE=",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_collectstatic_with_production_storage(tmp_path):
    """The hashed, compressed storage fails on any reference to a missing file (a source map,
    a font): prove every vendored asset is complete."""
    result = run_manage(
        "collectstatic", "--noinput", "-v0",
        DEBUG="0", SECRET_KEY="k" * 60, ALLOWED_HOSTS="portal.example.com", FIELD_ENCRYPTION_KEY="Qy3lX0YV5n3uE0k2q7Qm1o8sD4cVtKp9w2Zr6hJb1aE=",
        STATIC_ROOT_OVERRIDE=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
