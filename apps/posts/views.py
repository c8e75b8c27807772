"""Post endpoints at /api/v1/posts/: list, retrieve, create, PATCH and delete.

Views validate the input shape, call a service and serialize the result; the
rules (image checks, files, thumbnails) live in the services.
"""

import functools

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from apps.core.parsers import JSONParser
from apps.posts import feed_cache, selectors, services
from apps.posts.filters import PostFilter, PostFilterBackend
from apps.posts.pagination import PostPagination
from apps.posts.permissions import IsAuthorOrStaff
from apps.posts.serializers import (
    PostCreateFormSerializer,
    PostCreateSerializer,
    PostSerializer,
    PostUpdateFormSerializer,
    PostUpdateSerializer,
)

_ERROR = {"$ref": "#/components/schemas/Error"}
_FORBIDDEN = OpenApiResponse(_ERROR, description="Not the author or staff.")
_NOT_FOUND = OpenApiResponse(_ERROR, description="No such post visible to you.")


def _bodies(json_serializer, form_serializer):
    """The fields as JSON or, to send an image, as multipart/form-data."""
    return {
        "application/json": json_serializer,
        "multipart/form-data": form_serializer,
    }


def _input_serializer(request, json_serializer, form_serializer):
    """The input serializer for the request's body type: only forms carry files."""
    if request.content_type.startswith("multipart/form-data"):
        return form_serializer
    return json_serializer


@extend_schema_view(
    list=extend_schema(
        summary="List posts",
        description=(
            "Published posts, plus the caller's drafts (staff: all), newest first. "
            "Follow `next` for the following page."
        ),
        responses={
            200: PostSerializer(many=True),
            400: OpenApiResponse(_ERROR, description="A malformed filter."),
            404: OpenApiResponse(_ERROR, description="A malformed cursor."),
        },
    ),
    retrieve=extend_schema(
        summary="Get a post", responses={200: PostSerializer, 404: _NOT_FOUND}
    ),
)
class PostViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PostSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, IsAuthorOrStaff]
    parser_classes = [JSONParser, MultiPartParser]
    pagination_class = PostPagination
    filter_backends = [PostFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = PostFilter
    search_fields = ["title", "body"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    # Set by list() when it serves the public feed, to whoever asks.
    public_feed = False

    def get_queryset(self):
        if self.public_feed:
            return selectors.post_list_public()
        return selectors.post_list_visible(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = functools.partial(super().list, request, *args, **kwargs)
        # Only the feed's front page as everyone sees it is cached: a query string
        # (a filter, a cursor, a made-up parameter) would let a client mint cache
        # entries. Staff see every draft; another signed-in caller sees that same
        # page unless they have drafts, which their page holds.
        user = request.user
        if request.GET or user.is_staff:
            return page()
        # Built from published posts only, whoever asks: a draft created after the
        # check for drafts can never reach the cached page.
        self.public_feed = True
        url = request.build_absolute_uri()
        data = feed_cache.cached_page(
            url,
            lambda: page().data,
            caller_id=user.pk if user.is_authenticated else None,
            has_drafts=lambda: selectors.post_author_has_drafts(user=user),
        )
        if data is None:
            self.public_feed = False
            return page()
        return Response(data)

    @extend_schema(
        summary="Create a post",
        description="Send multipart/form-data to attach an image; its thumbnail is "
        "generated in the background (`image_status` goes processing -> ready).",
        request=_bodies(PostCreateSerializer, PostCreateFormSerializer),
        responses={201: PostSerializer},
    )
    def create(self, request):
        input_class = _input_serializer(
            request, PostCreateSerializer, PostCreateFormSerializer
        )
        serializer = input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(author=request.user, **serializer.validated_data)
        return Response(self.get_serializer(post).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a post",
        description="Author or staff only. A new image replaces the old one and "
        "its thumbnail.",
        request=_bodies(PostUpdateSerializer, PostUpdateFormSerializer),
        responses={200: PostSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def partial_update(self, request, pk=None):
        post = self.get_object()
        input_class = _input_serializer(
            request, PostUpdateSerializer, PostUpdateFormSerializer
        )
        serializer = input_class(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        post = services.post_update(post=post, **serializer.validated_data)
        return Response(self.get_serializer(post).data)

    @extend_schema(
        summary="Delete a post",
        description="Author or staff only. The image and thumbnail go with it.",
        responses={
            204: OpenApiResponse(description="Deleted."),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def destroy(self, request, pk=None):
        services.post_delete(post=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
