"""App configuration for posts."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from apps.posts import feed_cache, images

# What the feed shows of an author (PostAuthorSerializer).
_AUTHOR_FIELDS = {"first_name", "last_name"}


class PostsConfig(AppConfig):
    name = "apps.posts"
    label = "posts"
    verbose_name = "Posts"

    def ready(self):
        from django.contrib.auth import get_user_model

        from apps.posts.models import Post

        # Cache invalidation, not a business rule: whichever path writes (the
        # services, the admin, a cascade), the cached public feed is outdated.
        post_save.connect(_post_changed, sender=Post, dispatch_uid="feed")
        post_delete.connect(_post_changed, sender=Post, dispatch_uid="feed")
        post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="feed")
        images.set_pillow_pixel_limit()

        # Registers the upload settings' checks.
        from apps.posts import checks  # noqa: F401


def _post_changed(sender, **kwargs):
    feed_cache.invalidate()


def _user_saved(sender, created=False, update_fields=None, **kwargs):
    # A new user has no posts yet; a login stamp or a password is not shown.
    if created or (update_fields is not None and not _AUTHOR_FIELDS & update_fields):
        return
    feed_cache.invalidate()
