"""The upload settings' system checks name the variable and what is wrong."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from apps.posts import checks


def test_an_unknown_format_is_an_error_naming_it(settings):
    settings.UPLOAD_ALLOWED_FORMATS = ["JPEG", "PNJ", "bmp"]
    [error] = checks.upload_formats_check(None)
    assert error.id == "posts.E002"
    assert error.msg == "UPLOAD_ALLOWED_FORMATS names unknown formats: BMP, PNJ."


def test_no_format_is_an_error(settings):
    settings.UPLOAD_ALLOWED_FORMATS = []
    assert checks.upload_formats_check(None)[0].id == "posts.E001"


def test_the_default_formats_pass():
    assert checks.upload_formats_check(None) == []


def test_a_zero_upload_limit_is_an_error(settings):
    settings.UPLOAD_MAX_BYTES = 0
    assert "UPLOAD_MAX_BYTES=0" in checks.upload_size_check(None)[0].msg


def test_the_check_command_stops_on_them(settings):
    # What the entrypoint's first manage.py command runs before anything else.
    settings.UPLOAD_ALLOWED_FORMATS = ["TIFF"]
    with pytest.raises(SystemCheckError, match="UPLOAD_ALLOWED_FORMATS"):
        call_command("check")
