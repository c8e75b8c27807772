"""The Procfile runs the same processes without Docker (factor X, dev/prod parity)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROCFILE = settings.BASE_DIR / "Procfile"


def honcho(*args, env_file):
    # As in an activated virtualenv: its bin/ first on PATH, so `python` is ours.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "honcho", "--env", str(env_file), *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env_file(tmp_path):
    # What a developer's .env holds for honcho; the services come from the
    # environment the tests already run in (DATABASE_URL, REDIS_URL).
    path = tmp_path / ".env"
    path.write_text(
        "DJANGO_SETTINGS_MODULE=config.settings.development\n"
        "SECRET_KEY=honcho-test-only-secret-key-0123456789abcdefghijklmnop\n"
        "JWT_SIGNING_KEY=honcho-test-only-jwt-signing-key\n"
    )
    return path


def test_procfile_declares_every_process_type():
    types = {line.split(":", 1)[0] for line in PROCFILE.read_text().splitlines()}
    assert types == {"release", "web", "worker", "beat"}


def test_honcho_validates_the_procfile(env_file):
    result = honcho("check", env_file=env_file)
    assert result.returncode == 0, result.stderr
    assert "Valid procfile detected" in result.stderr + result.stdout


def test_honcho_run_manage_check_uses_the_env_file(env_file):
    result = honcho("run", "python", "manage.py", "check", env_file=env_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
