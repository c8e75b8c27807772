"""Thumbnail generation: ready, failed, idempotent, and safe against races."""

from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from PIL import Image

from apps.posts import services
from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory, image_bytes, image_upload

pytestmark = pytest.mark.django_db

Status = Post.ImageStatus


def generate(post):
    return services.post_generate_thumbnail(post_id=post.pk, image_name=post.image.name)


def test_generate_stores_thumbnail_and_marks_ready(
    post, media_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generate(post)
    post.refresh_from_db()
    assert post.image_status == Status.READY
    assert post.thumbnail.name.startswith("posts/thumbnails/")
    with media_storage.open(post.thumbnail.name) as thumbnail:
        assert Image.open(thumbnail).format == "JPEG"


def test_generate_twice_gives_the_same_result(
    post, media_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generate(post)
        post.refresh_from_db()
        first = post.thumbnail.name
        assert generate(post) is None
    post.refresh_from_db()
    assert (post.thumbnail.name, post.image_status) == (first, Status.READY)
    assert media_storage.listdir("posts/thumbnails")[1] == [first.split("/")[-1]]


def test_a_redelivered_task_keeps_one_thumbnail(
    post, media_storage, django_capture_on_commit_callbacks
):
    # First delivery stored a thumbnail, then the worker died before the status
    # update was acknowledged: the redelivery must not leave two files behind.
    stale = media_storage.save("posts/thumbnails/stale.jpg", image_upload("JPEG"))
    Post.objects.filter(pk=post.pk).update(thumbnail=stale)
    with django_capture_on_commit_callbacks(execute=True):
        generate(post)
    post.refresh_from_db()
    assert post.image_status == Status.READY
    assert not media_storage.exists(stale)
    assert media_storage.listdir("posts/thumbnails")[1] == [
        post.thumbnail.name.split("/")[-1]
    ]


def test_a_task_killed_after_storing_leaves_one_file_when_redelivered(
    post, media_storage, monkeypatch, django_capture_on_commit_callbacks
):
    # The worker dies between storing the thumbnail and saving the row; the
    # broker delivers the task again, which stores the thumbnail again.
    attach = services.thumbnails._attach_thumbnail

    def killed(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services.thumbnails, "_attach_thumbnail", killed)
    with pytest.raises(SystemExit):
        generate(post)
    monkeypatch.setattr(services.thumbnails, "_attach_thumbnail", attach)
    with django_capture_on_commit_callbacks(execute=True):
        generate(post)
    post.refresh_from_db()
    assert post.image_status == Status.READY
    assert media_storage.listdir("posts/thumbnails")[1] == [
        post.thumbnail.name.split("/")[-1]
    ]


def test_generate_skips_a_deleted_post(post):
    name = post.image.name
    Post.objects.filter(pk=post.pk).delete()
    assert services.post_generate_thumbnail(post_id=post.pk, image_name=name) is None


def test_generate_skips_when_the_image_was_replaced(post):
    result = services.post_generate_thumbnail(
        post_id=post.pk, image_name="posts/images/replaced.png"
    )
    assert result is None
    post.refresh_from_db()
    assert post.image_status == Status.PROCESSING


def test_image_replaced_while_rendering_discards_the_new_thumbnail(
    post, media_storage, monkeypatch, django_capture_on_commit_callbacks
):
    original = FileSystemStorage.open

    def replace_image_meanwhile(self, name, mode="rb"):
        Post.objects.filter(pk=post.pk).update(image="posts/images/newer.png")
        return original(self, name, mode)

    monkeypatch.setattr(FileSystemStorage, "open", replace_image_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        assert generate(post) is None
    post.refresh_from_db()
    assert not post.thumbnail
    assert media_storage.listdir("posts/thumbnails")[1] == []


def test_a_corrupt_image_is_failed_with_the_reason_logged(user, media_storage, caplog):
    data = image_bytes("JPEG", (300, 300))
    # A truncated JPEG passes verify() at upload; decoding it fails in the task.
    upload = image_upload(data=data[: len(data) // 2])
    post = services.post_create(author=user, title="T", image=upload)
    generate(post)
    post.refresh_from_db()
    assert post.image_status == Status.FAILED
    assert "cannot be decoded" in post.image_error
    assert f"thumbnail of post {post.pk} failed" in caplog.text
    assert not post.thumbnail


def test_a_missing_image_file_is_failed_not_retried(post, media_storage):
    media_storage.delete(post.image.name)
    generate(post)
    post.refresh_from_db()
    assert post.image_status == Status.FAILED
    assert post.image_error == "The image file is missing."


def test_storage_errors_propagate_for_the_task_to_retry(post, monkeypatch):
    def storage_down(self, name, mode="rb"):
        raise ConnectionResetError("storage went away")

    monkeypatch.setattr(FileSystemStorage, "open", storage_down)
    with pytest.raises(OSError, match="storage went away"):
        generate(post)
    post.refresh_from_db()
    assert post.image_status == Status.PROCESSING


def test_request_thumbnail_marks_processing_and_enqueues(
    post, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(
        "apps.posts.tasks.generate_thumbnail.delay",
        lambda **kwargs: enqueued.append(kwargs),
    )
    Post.objects.filter(pk=post.pk).update(image_status=Status.FAILED)
    post.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_request_thumbnail(post=post)
    post.refresh_from_db()
    assert post.image_status == Status.PROCESSING
    assert enqueued == [{"post_id": post.pk, "image_name": post.image.name}]


def test_request_thumbnail_of_a_post_without_image_is_a_no_op(
    django_capture_on_commit_callbacks,
):
    post = PostFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        services.post_request_thumbnail(post=post)
    assert post.image_status == Status.NONE
    assert callbacks == []


def test_requeue_stuck_thumbnails_only_takes_old_processing_posts(
    user, png, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr(
        "apps.posts.tasks.generate_thumbnail.delay",
        lambda **kwargs: enqueued.append(kwargs),
    )
    stuck = services.post_create(author=user, title="stuck", image=png)
    fresh = services.post_create(author=user, title="fresh", image=image_upload())
    long_ago = timezone.now() - timedelta(hours=1)
    Post.objects.filter(pk=stuck.pk).update(thumbnail_requested_at=long_ago)
    PostFactory(image_status=Status.READY)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.post_requeue_stuck_thumbnails(older_than=timedelta(minutes=15))

    assert count == 1
    assert enqueued == [{"post_id": stuck.pk, "image_name": stuck.image.name}]
    stuck.refresh_from_db()
    assert stuck.thumbnail_requested_at > long_ago  # not re-enqueued every run
    assert fresh.pk not in [kwargs["post_id"] for kwargs in enqueued]
