"""The upload, thumbnail and cleanup services against django-storages' S3Storage.

S3 lies outside the project, so these unit tests use moto's in-process mock of
it; the e2e suite runs the same paths against the stack's S3 stand-in.
"""

from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from apps.posts import services, tasks
from apps.posts.models import Post
from apps.posts.tests.factories import image_upload

pytestmark = pytest.mark.django_db

BUCKET = "test-media"


def use_s3(settings, **overrides):
    values = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ENDPOINT_URL": None,  # moto intercepts AWS's own endpoints
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_CUSTOM_DOMAIN": "127.0.0.1:8080/media",
        "AWS_S3_URL_PROTOCOL": "http:",
        "AWS_QUERYSTRING_AUTH": False,
        **overrides,
    }
    for name, value in values.items():
        setattr(settings, name, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }


@pytest.fixture
def s3(settings):
    with mock_aws():
        use_s3(settings)
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def keys(client):
    listing = client.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def content_type(client, key):
    return client.head_object(Bucket=BUCKET, Key=key)["ContentType"]


def test_upload_thumbnail_and_delete_on_s3(
    s3, user, django_capture_on_commit_callbacks
):
    upload = image_upload("JPEG", name="x.html", content_type="text/html")
    post = services.post_create(author=user, title="T", image=upload)
    assert keys(s3) == [post.image.name]
    # The decoded format decides how the bucket serves it, not the client's claim.
    assert content_type(s3, post.image.name) == "image/jpeg"
    assert post.image.url == f"http://127.0.0.1:8080/media/{post.image.name}"

    services.post_generate_thumbnail(post_id=post.pk, image_name=post.image.name)
    post.refresh_from_db()
    assert post.image_status == Post.ImageStatus.READY
    assert keys(s3) == sorted([post.image.name, post.thumbnail.name])
    assert content_type(s3, post.thumbnail.name) == "image/jpeg"

    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post)
    assert keys(s3) == []


def test_rejected_upload_puts_nothing_in_the_bucket(s3, user):
    with pytest.raises(Exception, match="image"):
        services.post_create(
            author=user, title="T", image=image_upload(data=b"GIF89a junk")
        )
    assert keys(s3) == []


def test_orphan_sweep_on_s3(s3, user):
    post = services.post_create(author=user, title="T", image=image_upload())
    s3.put_object(Bucket=BUCKET, Key="posts/thumbnails/orphan.jpg", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/old.jpg", Body=b"x")
    assert services.post_files_delete_orphans(older_than=timedelta(days=1)) == 0
    assert services.post_files_delete_orphans(older_than=timedelta(0)) == 1
    assert keys(s3) == sorted(["elsewhere/old.jpg", post.image.name])


def test_unreachable_s3_raises_an_error_the_task_retries(settings, user):
    with mock_aws():
        use_s3(settings)
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        post = services.post_create(author=user, title="T", image=image_upload())
    # Nothing listens on port 1; one attempt keeps the test fast.
    use_s3(
        settings,
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:1",
        AWS_S3_CLIENT_CONFIG=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(tasks.TRANSIENT_STORAGE_ERRORS):
        services.post_generate_thumbnail(post_id=post.pk, image_name=post.image.name)


def test_readiness_probes_storage_once_with_short_timeouts(s3):
    from django.core.files.storage import default_storage

    from apps.core import health

    probe = health._probe_storage(
        default_storage.__class__, default_storage.client_config
    )
    config = probe.bucket.meta.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 2)
    assert config.retries["total_max_attempts"] == 1
    assert probe.bucket.name == BUCKET


def test_readiness_fails_when_the_bucket_is_gone(s3):
    from apps.core import health

    health.check_storage()  # the bucket answers
    s3.delete_bucket(Bucket=BUCKET)
    with pytest.raises(ClientError, match=r"404|Not Found|NoSuchBucket"):
        health.check_storage()
