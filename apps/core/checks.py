"""Provides system checks that stop start-up on inconsistent settings, naming them.

Each check reads settings the environment set (config/settings/base.py). Django
runs them before every management command, so the entrypoint's first command
(wait_for_db, or migrate_locked) fails and the container exits with the message,
before gunicorn or Celery start and fail on first use instead.
"""

from django.conf import settings
from django.core.checks import Error, register
from rest_framework.throttling import ScopedRateThrottle


@register()
def storage_credentials_check(app_configs, **kwargs):
    """A half-set S3 key pair fails every upload (botocore: a TypeError) at run time."""
    return _half_set(
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        hint="Set both (a key pair) or neither (the AWS credential chain: "
        "an instance role, ~/.aws).",
        id="core.E001",
    )


@register()
def media_domain_check(app_configs, **kwargs):
    """AWS_S3_CUSTOM_DOMAIN is a host (and path): a scheme there doubles in URLs."""
    domain = settings.AWS_S3_CUSTOM_DOMAIN or ""
    return _error_if(
        "://" in domain,
        f"AWS_S3_CUSTOM_DOMAIN={domain!r} contains a scheme.",
        hint="Give the host and path only (cdn.example.com/media); the scheme "
        "is AWS_S3_URL_PROTOCOL.",
        id="core.E002",
    )


@register()
def email_credentials_check(app_configs, **kwargs):
    """Django's SMTP backend logs in only with both; one alone is silently unused."""
    return _half_set(
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        hint="Set both (SMTP authentication) or neither (an open relay).",
        id="core.E003",
    )


@register()
def email_tls_check(app_configs, **kwargs):
    """Both would fail every email in the worker (the SMTP backend's ValueError)."""
    return _error_if(
        settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL,
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both True.",
        hint="STARTTLS (usually port 587) is EMAIL_USE_TLS; implicit TLS "
        "(usually port 465) is EMAIL_USE_SSL. Set one.",
        id="core.E004",
    )


@register()
def task_time_limits_check(app_configs, **kwargs):
    """A soft limit at or past the hard one never fires: tasks die without cleanup."""
    soft, hard = settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT
    return _error_if(
        soft >= hard,
        f"CELERY_TASK_SOFT_TIME_LIMIT={soft} is not below "
        f"CELERY_TASK_TIME_LIMIT={hard}.",
        hint="The soft limit raises SoftTimeLimitExceeded in the task so it can "
        "clean up; the hard limit kills the process some seconds later.",
        id="core.E005",
    )


@register()
def throttle_rates_check(app_configs, **kwargs):
    """DRF parses a rate on the request it throttles: a bad one is a 500 each time."""
    errors = []
    for scope, rate in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items():
        try:
            ScopedRateThrottle().parse_rate(rate)
        except (ValueError, KeyError, IndexError):
            # The scopes are auth_<name>, read from THROTTLE_RATE_<NAME> (base.py).
            variable = f"THROTTLE_RATE_{scope.removeprefix('auth_').upper()}"
            errors.append(
                Error(
                    f"{variable}={rate!r} is not a rate.",
                    hint="A number of requests per second, minute, hour or day: "
                    "20/hour, 30/min.",
                    id="core.E006",
                )
            )
    return errors


def _half_set(first: str, second: str, *, hint: str, id: str) -> list[Error]:
    """An error naming the empty one of two settings that go together, if only one
    is set; none if both or neither are."""
    first_set, second_set = (
        bool(getattr(settings, first)),
        bool(getattr(settings, second)),
    )
    given, missing = (first, second) if first_set else (second, first)
    return _error_if(
        first_set != second_set,
        f"{given} is set but {missing} is empty.",
        hint=hint,
        id=id,
    )


def _error_if(failed, message: str, *, hint: str, id: str) -> list[Error]:
    """The check's one error if it failed, else none."""
    return [Error(message, hint=hint, id=id)] if failed else []
