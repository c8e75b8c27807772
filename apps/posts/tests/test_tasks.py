"""Posts' Celery tasks, called directly; the broker and worker path is tested e2e.

Direct calls run the task body in-process, which is what these tests check: the
task calls its service and its retry, time-limit and failure policy are right.
"""

from datetime import timedelta

import pytest
from botocore.exceptions import EndpointConnectionError
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from apps.posts import services, tasks
from apps.posts.models import Post
from config.celery import app

pytestmark = pytest.mark.django_db

Status = Post.ImageStatus


def test_generate_thumbnail_marks_the_post_ready(post):
    tasks.generate_thumbnail(post_id=post.pk, image_name=post.image.name)
    post.refresh_from_db()
    assert post.image_status == Status.READY


def test_generate_thumbnail_retries_transient_storage_errors_with_backoff():
    task = tasks.generate_thumbnail
    assert EndpointConnectionError in task.autoretry_for
    assert OSError in task.autoretry_for
    assert task.max_retries == 5
    assert task.retry_backoff
    assert task.retry_jitter
    # A countdown past the visibility timeout would make Redis redeliver it.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert task.retry_backoff_max < visibility
    assert task.soft_time_limit < task.time_limit < visibility


def test_generate_thumbnail_retries_when_storage_is_unreachable(post, monkeypatch):
    # The service raising a transient error makes the task ask Celery for a retry.
    def unreachable(**kwargs):
        raise EndpointConnectionError(endpoint_url="http://s3:5000")

    retries = []
    monkeypatch.setattr(services, "post_generate_thumbnail", unreachable)
    monkeypatch.setattr(
        tasks.generate_thumbnail,
        "retry",
        lambda **kwargs: retries.append(kwargs) or RuntimeError("retry"),
    )
    with pytest.raises(RuntimeError, match="retry"):
        tasks.generate_thumbnail(post_id=post.pk, image_name=post.image.name)
    assert isinstance(retries[0]["exc"], EndpointConnectionError)


def test_a_timed_out_thumbnail_is_failed_not_retried(post, monkeypatch):
    def too_slow(**kwargs):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(services, "post_generate_thumbnail", too_slow)
    tasks.generate_thumbnail(post_id=post.pk, image_name=post.image.name)
    post.refresh_from_db()
    assert (post.image_status, post.image_error) == (
        Status.FAILED,
        "Thumbnail generation timed out.",
    )


def test_requeue_stuck_thumbnails_task(
    post, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr(
        tasks.generate_thumbnail, "delay", lambda **kwargs: enqueued.append(kwargs)
    )
    Post.objects.filter(pk=post.pk).update(
        thumbnail_requested_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stuck_thumbnails() == 1
    assert enqueued == [{"post_id": post.pk, "image_name": post.image.name}]


def test_delete_orphaned_files_task(post, media_storage, settings):
    orphan = media_storage.save("posts/images/orphan.png", post.image)
    assert tasks.delete_orphaned_files() == 0  # inside the one-day grace period
    settings.POSTS_ORPHAN_GRACE_PERIOD = timedelta(0)
    assert tasks.delete_orphaned_files() == 1
    assert not media_storage.exists(orphan)
    assert media_storage.exists(post.image.name)


@pytest.mark.parametrize("name", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_entry_names_a_registered_task(name):
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE[name]
    assert entry["task"] in app.tasks
    assert entry["options"]["expires"] <= entry["schedule"].total_seconds()
