"""Input and output shapes for posts.

Inputs list only what a client may set; author, files, status, timestamps and id
are the server's, so sending them changes nothing.
"""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.posts.models import Post


class PostAuthorSerializer(serializers.ModelSerializer):
    """An author as others see them: no email address."""

    class Meta:
        model = get_user_model()
        fields = ["id", "first_name", "last_name"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer):
    """A post as the API shows it; image URLs are absolute."""

    author = PostAuthorSerializer(read_only=True)
    image = serializers.FileField(read_only=True, use_url=True)
    thumbnail = serializers.FileField(read_only=True, use_url=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "author",
            "title",
            "body",
            "published",
            "image",
            "thumbnail",
            "image_status",
            "image_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PostCreateSerializer(serializers.Serializer):
    """Create input. The image is checked by decoding it, in the service."""

    title = serializers.CharField(max_length=200)
    body = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, trim_whitespace=False
    )
    published = serializers.BooleanField(required=False)
    image = serializers.FileField(
        required=False,
        help_text="multipart/form-data only. An image in an accepted format "
        "(by default JPEG, PNG, WebP or GIF), checked by decoding it.",
    )


class PostUpdateSerializer(PostCreateSerializer):
    """PATCH input: any subset of the create fields, or removing the image."""

    remove_image = serializers.BooleanField(
        required=False, help_text="true deletes the image and its thumbnail."
    )
