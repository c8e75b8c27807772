"""reverse() and resolve() agree for every named route."""

import pytest
from django.urls import resolve, reverse

ROUTES = [
    ("schema", {}, "/api/schema/"),
    ("docs", {}, "/api/docs/"),
    ("register-list", {}, "/api/v1/auth/register/"),
    ("token-obtain", {}, "/api/v1/auth/token/"),
    ("token-refresh", {}, "/api/v1/auth/token/refresh/"),
    ("logout", {}, "/api/v1/auth/logout/"),
    ("user-me", {}, "/api/v1/users/me/"),
]


@pytest.mark.parametrize(("name", "kwargs", "path"), ROUTES)
def test_reverse_and_resolve_agree(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name


def test_the_project_has_no_benchmark_route(client):
    # /bench/baseline lives with the benchmark (bench/site), never in config/.
    assert client.get("/bench/baseline").status_code == 404
