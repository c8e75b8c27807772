"""Inconsistent settings are system-check errors that name the variables."""

import pytest

from apps.core import checks


@pytest.mark.parametrize(
    ("key", "secret", "named"),
    [("id", None, "AWS_SECRET_ACCESS_KEY"), (None, "secret", "AWS_ACCESS_KEY_ID")],
)
def test_a_half_set_key_pair_is_an_error_naming_the_missing_one(
    settings, key, secret, named
):
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = key, secret
    [error] = checks.storage_credentials_check(None)
    assert error.id == "core.E001"
    assert f"but {named} is empty" in error.msg


@pytest.mark.parametrize(("key", "secret"), [("id", "secret"), (None, None)])
def test_both_or_neither_credentials_pass(settings, key, secret):
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = key, secret
    assert checks.storage_credentials_check(None) == []


def test_a_media_domain_with_a_scheme_is_an_error(settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "http://127.0.0.1:8080/media"
    [error] = checks.media_domain_check(None)
    assert "AWS_S3_CUSTOM_DOMAIN" in error.msg
    settings.AWS_S3_CUSTOM_DOMAIN = "127.0.0.1:8080/media"
    assert checks.media_domain_check(None) == []


@pytest.mark.parametrize(
    ("user", "password", "named"),
    [("mailer", "", "EMAIL_HOST_PASSWORD"), ("", "secret", "EMAIL_HOST_USER")],
)
def test_a_half_set_smtp_login_is_an_error_naming_the_missing_one(
    settings, user, password, named
):
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = user, password
    [error] = checks.email_credentials_check(None)
    assert error.id == "core.E003"
    assert f"but {named} is empty" in error.msg


@pytest.mark.parametrize(("user", "password"), [("mailer", "secret"), ("", "")])
def test_both_or_neither_smtp_credentials_pass(settings, user, password):
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = user, password
    assert checks.email_credentials_check(None) == []


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
