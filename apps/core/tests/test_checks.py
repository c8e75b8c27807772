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
