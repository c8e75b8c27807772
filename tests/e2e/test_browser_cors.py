"""CORS as a browser enforces it: a page on another origin calling the API with a JWT.

The stack allows one origin (CORS_ALLOWED_ORIGINS, set in conftest.py); this test
serves a blank client page there, and from another port that is not allowed, and
runs the same cross-origin fetch from each. The Authorization header makes the
browser send a preflight first, as any real client of the API would.
"""

from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import client_origin, watched_page
from tests.support.api import ME, POSTS, new_user

# Resolves to {"status", "body"} when the browser lets the page read the answer,
# to {"error"} when it refuses (CORS failures are opaque to the page by design).
FETCH = """async ([url, authorization]) => {
  try {
    const response = await fetch(url, {headers: {Authorization: authorization}});
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {error: String(error)};
  }
}"""


@pytest.fixture(scope="module")
def allowed_port(stack):
    (origin,) = stack.env["CORS_ALLOWED_ORIGINS"].split(",")
    return urlsplit(origin).port


def test_fetch_with_a_jwt_from_the_allowed_origin_succeeds(
    stack, client, browser, allowed_port
):
    authorization = new_user(client, prefix="e2e-cors")["Authorization"]
    email = client.get(ME, headers={"Authorization": authorization}).json()["email"]
    with client_origin(allowed_port) as origin:
        page, problems = watched_page(browser, origin)
        page.goto(f"{origin}/")
        result = page.evaluate(FETCH, [f"{stack.base_url}{ME}", authorization])
    assert result["status"] == 200, result
    assert result["body"]["email"] == email
    assert problems.console_errors == []


def test_fetch_from_another_origin_is_blocked(stack, client, browser, allowed_port):
    authorization = new_user(client, prefix="e2e-cors")["Authorization"]
    with client_origin() as origin:
        assert urlsplit(origin).port != allowed_port
        page, problems = watched_page(browser, origin)
        page.goto(f"{origin}/")
        result = page.evaluate(FETCH, [f"{stack.base_url}{ME}", authorization])
    assert "error" in result, result
    assert any("CORS policy" in error for error in problems.console_errors), problems


def test_preflight_answers_allowed_origins_on_the_api_only(stack, client, allowed_port):
    allowed = f"http://127.0.0.1:{allowed_port}"
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }

    api = client.options(POSTS, headers={"Origin": allowed, **preflight})
    assert api.status_code == 200
    assert api.headers["Access-Control-Allow-Origin"] == allowed
    assert "authorization" in api.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in api.headers

    other = client.options(
        POSTS, headers={"Origin": "https://app.example.com", **preflight}
    )
    assert "Access-Control-Allow-Origin" not in other.headers

    admin = client.get("/admin/login/", headers={"Origin": allowed})
    assert "Access-Control-Allow-Origin" not in admin.headers
