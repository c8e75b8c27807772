"""Inconsistent settings are system-check errors that name the variables."""

import pytest

from apps.core import checks

# The settings that go together: (check, its id, the two settings).
PAIRS = [
    (
        checks.storage_credentials_check,
        "core.E001",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ),
    (
        checks.email_credentials_check,
        "core.E003",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
    ),
]


@pytest.mark.parametrize(("check", "id", "first", "second"), PAIRS)
@pytest.mark.parametrize("given_first", [True, False])
def test_half_a_pair_is_an_error_naming_the_missing_one(
    settings, check, id, first, second, given_first
):
    given, missing = (first, second) if given_first else (second, first)
    setattr(settings, given, "value")
    setattr(settings, missing, "")
    [error] = check(None)
    assert error.id == id
    assert error.msg == f"{given} is set but {missing} is empty."


@pytest.mark.parametrize(("check", "id", "first", "second"), PAIRS)
@pytest.mark.parametrize("value", ["value", ""])
def test_both_or_neither_of_a_pair_pass(settings, check, id, first, second, value):
    setattr(settings, first, value)
    setattr(settings, second, value)
    assert check(None) == []


def test_a_media_domain_with_a_scheme_is_an_error(settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "http://127.0.0.1:8080/media"
    [error] = checks.media_domain_check(None)
    assert "AWS_S3_CUSTOM_DOMAIN" in error.msg
    settings.AWS_S3_CUSTOM_DOMAIN = "127.0.0.1:8080/media"
    assert checks.media_domain_check(None) == []


@pytest.mark.parametrize(
    ("tls", "ssl", "errors"),
    [(True, True, 1), (True, False, 0), (False, True, 0), (False, False, 0)],
)
def test_starttls_and_implicit_tls_together_are_an_error(settings, tls, ssl, errors):
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = tls, ssl
    found = checks.email_tls_check(None)
    assert len(found) == errors
    if errors:
        assert found[0].msg == "EMAIL_USE_TLS and EMAIL_USE_SSL are both True."


@pytest.mark.parametrize(("soft", "hard"), [(90, 90), (120, 90)])
def test_a_soft_time_limit_not_below_the_hard_one_is_an_error(settings, soft, hard):
    settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT = soft, hard
    [error] = checks.task_time_limits_check(None)
    assert error.msg == (
        f"CELERY_TASK_SOFT_TIME_LIMIT={soft} is not below "
        f"CELERY_TASK_TIME_LIMIT={hard}."
    )


def test_the_default_time_limits_pass():
    assert checks.task_time_limits_check(None) == []


@pytest.mark.parametrize("rate", ["30 per min", "thirty/min", "30/week", "30/", "30"])
def test_a_throttle_rate_drf_cannot_parse_is_an_error_naming_its_variable(
    settings, rate
):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_token": rate}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": rates,
    }
    [error] = checks.throttle_rates_check(None)
    assert error.msg == f"THROTTLE_RATE_TOKEN={rate!r} is not a rate."


@pytest.mark.parametrize("rate", ["20/hour", "30/min", "5/s", "100/day"])
def test_drf_rates_pass(settings, rate):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_register": rate}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": rates,
    }
    assert checks.throttle_rates_check(None) == []
