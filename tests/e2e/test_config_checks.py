"""A misconfigured container exits at start, naming the variables; none serves."""

import pytest

# Each mistake, the variables its message must name, and the words that say what is
# wrong (apps/*/checks.py, config/settings/base.py).
MISTAKES = {
    "half-set-key-pair": (
        {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "x"},
        "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is empty",
    ),
    "unknown-format": (
        {"UPLOAD_ALLOWED_FORMATS": "JPEG,TIFF"},
        "UPLOAD_ALLOWED_FORMATS names unknown formats: TIFF",
    ),
    "scheme-in-media-domain": (
        {"AWS_S3_CUSTOM_DOMAIN": "http://cdn.example.com/media"},
        "AWS_S3_CUSTOM_DOMAIN='http://cdn.example.com/media' contains a scheme",
    ),
    "half-set-smtp-login": (
        {"EMAIL_HOST_USER": "mailer"},
        "EMAIL_HOST_USER is set but EMAIL_HOST_PASSWORD is empty",
    ),
    "starttls-and-ssl": (
        {"EMAIL_USE_TLS": "True", "EMAIL_USE_SSL": "True"},
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both True",
    ),
    "soft-time-limit-past-hard": (
        {"CELERY_TASK_SOFT_TIME_LIMIT": "120", "CELERY_TASK_TIME_LIMIT": "90"},
        "CELERY_TASK_SOFT_TIME_LIMIT=120 is not below CELERY_TASK_TIME_LIMIT=90",
    ),
    "unparsable-throttle-rate": (
        {"THROTTLE_RATE_TOKEN": "30 per minute"},
        "THROTTLE_RATE_TOKEN='30 per minute' is not a rate",
    ),
    "unknown-log-format": (
        {"LOG_FORMAT": "yaml"},
        "LOG_FORMAT='yaml' is not one of: json, console",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_web_container_exits_naming_the_variables(stack, mistake):
    env_vars, message = MISTAKES[mistake]
    options = [f"--env={name}={value}" for name, value in env_vars.items()]
    result = stack.compose(
        "run", "--rm", "--no-deps", *options, "web", check=False, timeout=120
    )
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_nginx_exits_when_its_body_limit_is_below_the_upload_limit(stack):
    env = {**stack.env, "NGINX_CLIENT_MAX_BODY_SIZE": "1m"}
    result = stack.compose(
        "run", "--rm", "--no-deps", "nginx", env=env, check=False, timeout=120
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "NGINX_CLIENT_MAX_BODY_SIZE=1m is not above UPLOAD_MAX_BYTES" in output
