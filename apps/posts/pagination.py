"""Provides the cursor pagination of the post list."""

from rest_framework.exceptions import ValidationError
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

    def get_page_size(self, request):
        """The default page size, or `page_size` capped; anything but 1, 2... is 400.

        DRF falls back to the default for `page_size=0`, `-1` or `null`, hiding a
        client's mistake behind a page it did not ask for.
        """
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError(
                {self.page_size_query_param: ["Must be a whole number from 1."]}
            )
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] += f" At most {self.max_page_size}."
        return parameters
