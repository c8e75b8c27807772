"""Input and output shapes for posts.

Inputs list only what a client may set; author, files, status, timestamps and id
are the server's, so sending them changes nothing.
"""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.core.fields import StrictBooleanField, StrictCharField
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


class _PostInput(serializers.Serializer):
    """Post input; a field only the other body type carries is refused, not ignored."""

    # field name -> how to send it instead.
    elsewhere: dict[str, str] = {}

    title = StrictCharField(max_length=200)
    body = StrictCharField(
        max_length=20_000, required=False, allow_blank=True, trim_whitespace=False
    )
    published = StrictBooleanField(required=False)

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            misplaced = {
                name: [message]
                for name, message in self.elsewhere.items()
                if name in data
            }
            if misplaced:
                raise serializers.ValidationError(misplaced)
        return super().to_internal_value(data)


_IMAGE_IN_JSON = "Send an image as multipart/form-data, not JSON."


class PostCreateSerializer(_PostInput):
    """Create input as JSON. An image needs multipart/form-data (PostCreateForm)."""

    elsewhere = {"image": _IMAGE_IN_JSON}


class PostCreateFormSerializer(_PostInput):
    """Create input as multipart/form-data: the JSON fields plus an image."""

    image = serializers.FileField(
        required=False,
        help_text="An image in an accepted format (by default JPEG, PNG, WebP or "
        "GIF), checked by decoding it.",
    )


class PostUpdateSerializer(_PostInput):
    """PATCH input as JSON: any subset of the create fields, or removing the image."""

    elsewhere = {"image": _IMAGE_IN_JSON}

    remove_image = StrictBooleanField(
        required=False, help_text="true deletes the image and its thumbnail."
    )


class PostUpdateFormSerializer(PostCreateFormSerializer):
    """PATCH input as multipart/form-data: any subset of the fields, a new image.

    Removing the image is JSON's `remove_image`: one body type per intent, so no
    request can both replace and remove it.
    """

    elsewhere = {"remove_image": "Send remove_image as JSON, not multipart/form-data."}

    def to_internal_value(self, data):
        # A form without a single part is no edit but a broken body (the schema's
        # minProperties); an empty JSON object stays a valid no-op PATCH.
        if hasattr(data, "keys") and not data:
            raise serializers.ValidationError(
                {"non_field_errors": ["The form has no fields."]}
            )
        return super().to_internal_value(data)
