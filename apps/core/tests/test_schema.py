"""The OpenAPI schema is valid and documents auth and the error contract."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    # --validate checks it against the OpenAPI 3 spec; --fail-on-warn keeps it clean.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_documents_jwt_bearer_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_schema_documents_the_error_shape_on_operations(schema):
    assert "Error" in schema["components"]["schemas"]
    me = schema["paths"]["/api/v1/users/me/"]["get"]["responses"]
    assert me["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    register = schema["paths"]["/api/v1/auth/register/"]["post"]["responses"]
    assert "400" in register


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_throttled_and_token_endpoints_document_429_and_401(schema):
    for path in ("token/", "token/refresh/", "logout/"):
        responses = schema["paths"][f"/api/v1/auth/{path}"]["post"]["responses"]
        assert {"401", "429"} <= set(responses), path
    register = schema["paths"]["/api/v1/auth/register/"]["post"]["responses"]
    assert "429" in register
    me = schema["paths"]["/api/v1/users/me/"]["get"]["responses"]
    assert "429" not in me  # not throttled


def test_post_endpoints_document_bodies_and_errors(schema):
    posts = schema["paths"]["/api/v1/posts/"]
    create = posts["post"]
    assert set(create["requestBody"]["content"]) == {
        "application/json",
        "multipart/form-data",
    }
    assert {"201", "400", "401", "413", "415"} <= set(create["responses"])
    listing = posts["get"]["responses"]
    assert {"200", "400", "404"} <= set(listing)
    page = listing["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/PaginatedPostList")
    detail = schema["paths"]["/api/v1/posts/{id}/"]
    assert {"403", "404"} <= set(detail["patch"]["responses"])
    assert {"204", "403", "404"} <= set(detail["delete"]["responses"])
