"""reverse() and resolve() agree for the posts routes."""

import pytest
from django.urls import resolve, reverse

ROUTES = [
    ("post-list", {}, "/api/v1/posts/"),
    ("post-detail", {"pk": 7}, "/api/v1/posts/7/"),
]


@pytest.mark.parametrize(("name", "kwargs", "path"), ROUTES)
def test_reverse_and_resolve_agree(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name
