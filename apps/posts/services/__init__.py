"""Writes for posts, split by sub-domain; import the services from here."""

from apps.posts.services.housekeeping import post_files_delete_orphans
from apps.posts.services.posts import post_create, post_delete, post_update
from apps.posts.services.thumbnails import (
    post_generate_thumbnail,
    post_request_thumbnail,
    post_requeue_stuck_thumbnails,
    post_thumbnail_failed,
)

__all__ = [
    "post_create",
    "post_delete",
    "post_files_delete_orphans",
    "post_generate_thumbnail",
    "post_request_thumbnail",
    "post_requeue_stuck_thumbnails",
    "post_thumbnail_failed",
    "post_update",
]
