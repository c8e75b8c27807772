"""Admin for posts: moderate text and visibility, delete, regenerate thumbnails.

Images arrive through the API only, where they are decoded and checked; here
they are read-only. Deletes go through the service so the files go too.
"""

from django.contrib import admin, messages
from django.db import transaction

from apps.posts import services
from apps.posts.models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "author",
        "published",
        "image_status",
        "created_at",
    ]
    list_filter = ["published", "image_status", "created_at"]
    search_fields = ["title", "body", "author__email"]
    list_select_related = ["author"]
    raw_id_fields = ["author"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "image",
        "thumbnail",
        "image_status",
        "image_error",
        "thumbnail_requested_at",
        "created_at",
        "updated_at",
    ]
    actions = ["regenerate_thumbnails"]

    def delete_model(self, request, obj):
        services.post_delete(post=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for post in queryset:
            services.post_delete(post=post)

    @admin.action(description="Regenerate thumbnails of the selected posts")
    @transaction.atomic
    def regenerate_thumbnails(self, request, queryset):
        posts = queryset.exclude(image="")
        for post in posts:
            services.post_request_thumbnail(post=post)
        self.message_user(
            request, f"{len(posts)} thumbnails requested.", messages.SUCCESS
        )
