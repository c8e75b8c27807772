"""Provides the cursor pagination of the post list."""

from rest_framework.pagination import CursorPagination


class PostPagination(CursorPagination):
    """Keyset pages over the feed order: `next` and `previous` links, no count.

    A page is one index range scan on (created_at, id) whatever its depth, so the
    feed costs the same at a million posts as at a hundred, and a post created
    while a client pages never shifts or repeats an item. The `ordering` query
    parameter (OrderingFilter) picks the direction.
    """

    page_size = 20
    page_size_query_param = "page_size"
    # A client cannot make one request arbitrarily expensive.
    max_page_size = 100
    ordering = ("-created_at", "-id")
