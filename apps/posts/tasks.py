"""Background work for posts: thumbnails and the beat schedule's housekeeping.

Tasks are thin: they call a service. Delivery is at least once (acks_late and
reject_on_worker_lost are global settings), so every service here is idempotent.

The services import this module at their top to enqueue tasks, so each task
imports the services inside its body (as HackSoft's styleguide does): importing
them here would be an import cycle.
"""

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

# Storage that is down or slow: worth retrying. OSError covers the network and a
# full disk; undecodable images never raise it here (the service marks them failed).
TRANSIENT_STORAGE_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
    OSError,
)


@shared_task(
    autoretry_for=TRANSIENT_STORAGE_ERRORS,
    max_retries=5,
    retry_backoff=2,
    # Under the broker's visibility timeout, so a retry's countdown never makes
    # Redis redeliver the message as if a worker had died.
    retry_backoff_max=120,
    retry_jitter=True,
    # A thumbnail of an image within UPLOAD_MAX_PIXELS takes well under a second;
    # these are tighter than the global limits.
    soft_time_limit=30,
    time_limit=45,
)
def generate_thumbnail(*, post_id: int, image_name: str) -> None:
    """Render the thumbnail of `image_name` for the post, if it still has it."""
    from apps.posts import services

    try:
        services.post_generate_thumbnail(post_id=post_id, image_name=image_name)
    except SoftTimeLimitExceeded:
        # Retrying would time out again; fail the post instead of looping.
        services.post_thumbnail_failed(
            post_id=post_id,
            image_name=image_name,
            reason="Thumbnail generation timed out.",
        )


@shared_task
def requeue_stuck_thumbnails() -> int:
    """Beat: re-enqueue thumbnails whose task was lost."""
    from apps.posts import services

    return services.post_requeue_stuck_thumbnails(
        older_than=settings.POSTS_THUMBNAIL_STUCK_AFTER
    )


@shared_task(autoretry_for=TRANSIENT_STORAGE_ERRORS, max_retries=3, retry_backoff=10)
def delete_orphaned_files() -> int:
    """Beat: delete stored files no post references, once past the grace period."""
    from apps.posts import services

    return services.post_files_delete_orphans(
        older_than=settings.POSTS_ORPHAN_GRACE_PERIOD
    )
