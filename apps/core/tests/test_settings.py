"""Settings behaviour: required variables, production hardening, migrations."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_ENV_FILE": "/nonexistent/.env",
    "SECRET_KEY": "prod-like-" + "k3y!" * 16,
    "JWT_SIGNING_KEY": "prod-like-jwt-" + "s1gn" * 12,
    "DATABASE_URL": "postgres://app:pw@db.invalid:5432/app",
    "ALLOWED_HOSTS": "api.example.com",
    "SECURE_SSL_REDIRECT": "True",
}

SETUP = "import django; django.setup()"


def run_django(code_or_args, env_overrides, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_overrides)
    for name in drop:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, *code_or_args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=settings.BASE_DIR,
    )


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL"])
def test_missing_required_variable_stops_startup_naming_it(name):
    result = run_django(
        ["-c", "import django; django.setup()"], PRODUCTION_ENV, drop=(name,)
    )
    assert result.returncode != 0
    assert f"{name} not found" in result.stderr


def test_an_empty_jwt_signing_key_stops_startup_naming_it():
    result = run_django(
        ["-c", "import django; django.setup()"],
        {**PRODUCTION_ENV, "JWT_SIGNING_KEY": "  "},
    )
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must not be empty" in result.stderr


def test_email_backend_and_smtp_settings_come_from_the_environment():
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "465",
        "EMAIL_USE_SSL": "True",
        "EMAIL_TIMEOUT": "7",
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_SSL, "
        "s.EMAIL_TIMEOUT)"
    )
    result = run_django(["-c", code], {**PRODUCTION_ENV, **smtp})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "465",
        "True",
        "7",
    ]


def test_production_forces_debug_off():
    result = run_django(
        ["-c", "from django.conf import settings; print(settings.DEBUG)"],
        {**PRODUCTION_ENV, "DEBUG": "True"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_process_env_wins_over_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=ERROR\nALLOWED_HOSTS=from-file.example\n")
    result = run_django(
        [
            "-c",
            "from django.conf import settings as s; print(s.LOG_LEVEL,s.ALLOWED_HOSTS)",
        ],
        {**PRODUCTION_ENV, "DJANGO_ENV_FILE": str(env_file), "LOG_LEVEL": "DEBUG"},
        drop=("ALLOWED_HOSTS",),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG ['from-file.example']"


def test_check_deploy_passes_with_production_values():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_a_weak_secret():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION_ENV, "SECRET_KEY": "short"},
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_database_uses_persistent_health_checked_connections():
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "apps.core.db"  # checked without a query
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"]["connect_timeout"] > 0


def test_the_driver_is_psycopg_3():
    from django.db import connection

    assert connection.Database.__name__ == "psycopg"


def test_s3_client_calls_are_bounded_by_the_configured_timeout():
    from storages.backends.s3 import S3Storage

    config = S3Storage(bucket_name="any").client_config
    assert config.connect_timeout == settings.AWS_S3_CLIENT_TIMEOUT
    assert config.read_timeout == settings.AWS_S3_CLIENT_TIMEOUT
    assert config.retries["max_attempts"] == 3


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "JWT_SIGNING_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "EMAIL_HOST_PASSWORD",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ],
)
def test_each_secret_is_read_from_the_file_its_name_file_variable_names(name, tmp_path):
    value = "postgres://app:from-file@db.invalid:5432/app"
    (tmp_path / "secret").write_text(value + "\n")
    setting = "DATABASES['default']['PASSWORD']" if name == "DATABASE_URL" else name
    result = run_django(
        ["-c", f"{SETUP}; from django.conf import settings as s; print(s.{setting})"],
        {**PRODUCTION_ENV, f"{name}_FILE": str(tmp_path / "secret")},
        drop=(name,),
    )
    assert result.returncode == 0, result.stderr
    expected = "from-file" if name == "DATABASE_URL" else value
    assert result.stdout.strip() == expected


def test_a_secret_set_both_ways_stops_startup_naming_it(tmp_path):
    (tmp_path / "key").write_text("from-file-" + "k" * 50)
    result = run_django(
        ["-c", "import django; django.setup()"],
        {**PRODUCTION_ENV, "SECRET_KEY_FILE": str(tmp_path / "key")},
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY or SECRET_KEY_FILE, not both." in result.stderr


def test_a_missing_secret_file_stops_startup_naming_the_variable(tmp_path):
    missing = tmp_path / "absent"
    result = run_django(
        ["-c", "import django; django.setup()"],
        {**PRODUCTION_ENV, "JWT_SIGNING_KEY_FILE": str(missing)},
        drop=("JWT_SIGNING_KEY",),
    )
    assert result.returncode != 0
    assert f"JWT_SIGNING_KEY_FILE={missing} cannot be read" in result.stderr


def test_an_empty_variable_beside_its_file_counts_as_unset(tmp_path):
    (tmp_path / "key").write_text("from-file-" + "k" * 50)
    result = run_django(
        ["-c", f"{SETUP}; from django.conf import settings as s; print(s.SECRET_KEY)"],
        {**PRODUCTION_ENV, "SECRET_KEY": "", "SECRET_KEY_FILE": str(tmp_path / "key")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from-file-" + "k" * 50


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOG_FORMAT", "yaml", "LOG_FORMAT='yaml' is not one of: json, console."),
        ("LOG_LEVEL", "info", "LOG_LEVEL='info' is not one of: DEBUG, INFO,"),
    ],
)
def test_an_unknown_log_format_or_level_stops_startup_naming_it(name, value, message):
    result = run_django(
        ["-c", "import django; django.setup()"], {**PRODUCTION_ENV, name: value}
    )
    assert result.returncode != 0
    assert message in result.stderr
