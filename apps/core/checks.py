"""Provides system checks that stop start-up on inconsistent settings, naming them.

Each check reads settings the environment set (config/settings/base.py). Django
runs them before every management command, so the entrypoint's first command
(wait_for_db, or migrate_locked) fails and the container exits with the message,
before gunicorn or Celery start and fail on first use instead.
"""

from django.conf import settings
from django.core.checks import Error, register


@register()
def storage_credentials_check(app_configs, **kwargs):
    """A half-set S3 key pair fails every upload (botocore: a TypeError) at run time."""
    key, secret = settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY
    if bool(key) == bool(secret):
        return []
    given, missing = (
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        if key
        else ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
    )
    return [
        Error(
            f"{given} is set but {missing} is empty.",
            hint="Set both (a key pair) or neither (the AWS credential chain: "
            "an instance role, ~/.aws).",
            id="core.E001",
        )
    ]


@register()
def media_domain_check(app_configs, **kwargs):
    """AWS_S3_CUSTOM_DOMAIN is a host (and path): a scheme there doubles in URLs."""
    domain = settings.AWS_S3_CUSTOM_DOMAIN or ""
    if "://" not in domain:
        return []
    return [
        Error(
            f"AWS_S3_CUSTOM_DOMAIN={domain!r} contains a scheme.",
            hint="Give the host and path only (cdn.example.com/media); the scheme "
            "is AWS_S3_URL_PROTOCOL.",
            id="core.E002",
        )
    ]
