"""Provides the page-number pagination of the post list."""

from rest_framework.pagination import PageNumberPagination


class PostPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    # A client cannot make one request arbitrarily expensive.
    max_page_size = 100
