"""The OpenAPI schema is valid and documents auth and the error contract."""

import re

import pytest
import yaml
from django.core.management import call_command

from apps.core import schema as schema_hooks


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


def test_post_bodies_carry_an_image_only_as_a_form(schema):
    create = schema["paths"]["/api/v1/posts/"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]

    def properties(media):
        return components[media["schema"]["$ref"].rsplit("/", 1)[-1]]["properties"]

    assert "image" not in properties(create["application/json"])
    form = create["multipart/form-data"]
    assert properties(form)["image"]["format"] == "binary"
    # The media types of the allowed formats, so clients send a real image.
    assert form["encoding"]["image"]["contentType"] == (
        "image/gif, image/jpeg, image/png, image/webp"
    )


def test_register_documents_409_for_a_taken_email(schema):
    responses = schema["paths"]["/api/v1/auth/register/"]["post"]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/Error"
    )


def test_request_strings_carry_drfs_nul_and_blank_rules_as_patterns(schema):
    components = schema["components"]["schemas"]
    title = components["PostCreateRequest"]["properties"]["title"]
    body = components["PostCreateRequest"]["properties"]["body"]
    refresh = components["TokenRefreshRequest"]["properties"]["refresh"]
    email = components["RegisterRequest"]["properties"]["email"]
    assert title["pattern"] == refresh["pattern"] == schema_hooks.NO_NUL_NOT_BLANK
    # The pattern's idea of blank is exactly what DRF's trimming strips.
    blank = re.compile(schema_hooks.NO_NUL_NOT_BLANK)
    for code in range(0x3001):
        assert bool(blank.match(chr(code))) == (code != 0 and not chr(code).isspace())
    assert email["pattern"].startswith("^(?=[^@]{1,64}@)")  # its own
    assert body["pattern"] == r"^[^\u0000]*$"  # blank allowed
    password = components["RegisterRequest"]["properties"]["password"]
    assert password["pattern"] == r"^[^\u0000]*[^\u0000\d][^\u0000]*$"
    image = components["PostCreateFormRequest"]["properties"]["image"]
    assert "pattern" not in image


def test_the_search_parameter_refuses_nul_as_drfs_search_filter_does(schema):
    parameters = schema["paths"]["/api/v1/posts/"]["get"]["parameters"]
    by_name = {parameter["name"]: parameter["schema"] for parameter in parameters}
    assert by_name["search"]["pattern"] == schema_hooks.NO_NUL
    assert "pattern" not in by_name["ordering"]
