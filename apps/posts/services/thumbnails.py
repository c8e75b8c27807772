"""Thumbnail generation for posts: request, generate, fail, and re-enqueue the stuck.

Generation runs in a Celery task that may be delivered more than once, late, or
after the post changed. Every step therefore re-checks that the post still has
the image the task was enqueued for, and does nothing otherwise.
"""

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from apps.posts import files, images
from apps.posts.models import Post
from apps.posts.tasks import generate_thumbnail

logger = logging.getLogger(__name__)

REQUEUE_BATCH = 500


def post_request_thumbnail(*, post: Post) -> None:
    """(Re)generate the thumbnail of a post that has an image, after the commit."""
    if not post.image:
        return
    post.image_status = Post.ImageStatus.PROCESSING
    post.image_error = ""
    post.thumbnail_requested_at = timezone.now()
    post.save(update_fields=["image_status", "image_error", "thumbnail_requested_at"])
    thumbnail_enqueue(post=post)


def thumbnail_enqueue(*, post: Post) -> None:
    """Enqueue the thumbnail task for the post's current image after the commit.

    The task gets the image's name, so a task for a replaced image does nothing.
    """
    _enqueue_on_commit(post_id=post.pk, image_name=post.image.name)


def post_generate_thumbnail(*, post_id: int, image_name: str) -> Post | None:
    """Render and store the thumbnail of `image_name`; mark the post ready or failed.

    Storage errors propagate for the task to retry; an undecodable image marks
    the post failed. Returns None when there was nothing (left) to do.
    """
    post = Post.objects.filter(pk=post_id).first()
    if not _still_wanted(post, image_name):
        return None
    if not default_storage.exists(image_name):
        return post_thumbnail_failed(
            post_id=post_id, image_name=image_name, reason="The image file is missing."
        )
    with default_storage.open(image_name, "rb") as source:
        data = source.read()
    try:
        thumbnail = images.render_thumbnail(data)
    except images.ImageDecodeError as exc:
        return post_thumbnail_failed(
            post_id=post_id, image_name=image_name, reason=str(exc)
        )
    post.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
    return _attach_thumbnail(
        post_id=post_id, image_name=image_name, thumbnail_name=post.thumbnail.name
    )


@transaction.atomic
def post_thumbnail_failed(*, post_id: int, image_name: str, reason: str) -> Post | None:
    """Mark the post's thumbnail failed, if the post still has that image."""
    post = _locked(post_id, image_name)
    if post is None:
        return None
    logger.warning("thumbnail of post %s failed: %s", post_id, reason)
    post.image_status = Post.ImageStatus.FAILED
    post.image_error = reason[:255]
    post.save(update_fields=["image_status", "image_error", "updated_at"])
    return post


@transaction.atomic
def post_requeue_stuck_thumbnails(*, older_than: timedelta) -> int:
    """Re-enqueue thumbnails requested longer ago than `older_than` and not done.

    Their task was lost (enqueued while the broker was down, or its retries ran
    out during a storage outage). Returns how many were re-enqueued.
    """
    cutoff = timezone.now() - older_than
    stuck = list(
        Post.objects.select_for_update(skip_locked=True)
        .filter(
            image_status=Post.ImageStatus.PROCESSING,
            thumbnail_requested_at__lt=cutoff,
        )
        .values_list("pk", "image")[:REQUEUE_BATCH]
    )
    Post.objects.filter(pk__in=[pk for pk, _ in stuck]).update(
        thumbnail_requested_at=timezone.now()
    )
    for post_id, image_name in stuck:
        logger.info("re-enqueueing the thumbnail of post %s", post_id)
        _enqueue_on_commit(post_id=post_id, image_name=image_name)
    return len(stuck)


@transaction.atomic
def _attach_thumbnail(*, post_id: int, image_name: str, thumbnail_name: str):
    post = _locked(post_id, image_name)
    if post is None:
        # Deleted or given a new image while rendering: this file is nobody's.
        files.delete_on_commit([thumbnail_name])
        return None
    # A redelivered task may find a thumbnail from an earlier run; keep one. The
    # same image gives the same key, already overwritten: that one stays.
    if post.thumbnail.name != thumbnail_name:
        files.delete_on_commit([post.thumbnail.name])
    post.thumbnail = thumbnail_name
    post.image_status = Post.ImageStatus.READY
    post.image_error = ""
    post.save(update_fields=["thumbnail", "image_status", "image_error", "updated_at"])
    logger.info("thumbnail of post %s is ready", post_id)
    return post


def _still_wanted(post: Post | None, image_name: str) -> bool:
    if post is None or post.image.name != image_name:
        logger.info("thumbnail skipped: post gone or its image replaced")
        return False
    if post.image_status == Post.ImageStatus.READY and post.thumbnail:
        logger.info("thumbnail of post %s already done", post.pk)
        return False
    return True


def _locked(post_id: int, image_name: str) -> Post | None:
    return Post.objects.select_for_update().filter(pk=post_id, image=image_name).first()


def _enqueue_on_commit(*, post_id: int, image_name: str) -> None:
    # robust: a broker outage must not turn the committed write into a 500; the
    # post stays `processing` and the beat schedule re-enqueues it.
    transaction.on_commit(
        lambda: generate_thumbnail.delay(post_id=post_id, image_name=image_name),
        robust=True,
    )
