"""A post: text by an author, with an optional image and its generated thumbnail."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.posts import files


class Post(models.Model):
    class ImageStatus(models.TextChoices):
        NONE = "none", "No image"
        PROCESSING = "processing", "Thumbnail being generated"
        READY = "ready", "Thumbnail ready"
        FAILED = "failed", "Thumbnail failed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=20_000)
    image = models.FileField(upload_to=files.image_upload_to, blank=True)
    thumbnail = models.FileField(
        upload_to=files.thumbnail_upload_to, blank=True, editable=False
    )
    image_status = models.CharField(
        max_length=16, choices=ImageStatus.choices, default=ImageStatus.NONE
    )
    # Why the thumbnail failed, for the author and the admin; the log has the detail.
    image_error = models.CharField(max_length=255, blank=True)
    # When a thumbnail was last asked for; a post still `processing` long after this
    # lost its task (e.g. Redis was down) and is re-enqueued by the beat schedule.
    thumbnail_requested_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The public feed: published posts, newest first.
            models.Index(fields=["published", "-created_at"], name="post_feed_idx"),
            # A signed-in caller's feed (published OR their own): scanned in feed
            # order and filtered, it stops after one page instead of sorting every
            # matching row, which an OR cannot take from post_feed_idx.
            models.Index(fields=["-created_at", "-id"], name="post_created_idx"),
            # The stuck-thumbnail sweep reads only the few posts in `processing`.
            models.Index(
                fields=["thumbnail_requested_at"],
                condition=Q(image_status="processing"),
                name="post_processing_idx",
            ),
        ]

    def __str__(self):
        return self.title
