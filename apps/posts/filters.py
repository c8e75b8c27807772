"""Query-string filters for the post list."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.posts.models import Post


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id: an unknown one matches nothing rather than being an error."""


class PostFilter(django_filters.FilterSet):
    author = IdFilter(field_name="author_id", help_text="Only posts by this user id.")
    published = django_filters.BooleanFilter(
        help_text="false lists the caller's own drafts."
    )

    class Meta:
        model = Post
        fields = ["author", "published"]
