"""Fixtures for the posts tests: a throwaway media storage and image uploads."""

import pytest

from apps.posts import services
from apps.posts.tests.factories import image_upload


@pytest.fixture(autouse=True)
def media_storage(tmp_path, settings):
    """Every posts test stores files in its own temporary directory.

    The S3 path is covered by test_s3.py (moto) and by the e2e suite.
    """
    # The settings' own storage without a bucket, overwriting as the S3 one does.
    assert settings.STORAGES["default"]["BACKEND"].endswith(".FileSystemStorage")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from django.core.files.storage import default_storage

    return default_storage


@pytest.fixture
def png():
    return image_upload("PNG")


@pytest.fixture
def post(user, png):
    """A post with an image, its thumbnail not made: created outside
    django_capture_on_commit_callbacks, the enqueue never runs."""
    return services.post_create(author=user, title="T", image=png)
