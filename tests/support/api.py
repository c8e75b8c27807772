"""The API calls the suites and the benchmark make as users: accounts, posts."""

import secrets

import httpx

from tests.support.images import png

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/users/me/"
POSTS = "/api/v1/posts/"

# Every password and token the suites send; tests/e2e/test_logs.py checks that
# none was logged.
SECRETS_USED = set()


def remember_secret(value):
    SECRETS_USED.add(value)
    return value


def register(client, *, prefix="e2e-factor", headers=None):
    """Register a new user; returns its login credentials."""
    credentials = {
        "email": f"{prefix}-{secrets.token_hex(6)}@example.com",
        "password": remember_secret(secrets.token_urlsafe(16)),
    }
    registered = client.post(REGISTER, json=credentials, headers=headers)
    assert registered.status_code == 201, registered.text
    return credentials


def new_user(client, *, prefix="e2e-factor"):
    """Register a user and log in; returns its Authorization header."""
    tokens = client.post(TOKEN, json=register(client, prefix=prefix))
    assert tokens.status_code == 200, tokens.text
    access = remember_secret(tokens.json()["access"])
    remember_secret(tokens.json()["refresh"])
    return bearer(access)


def bearer(token: str) -> dict:
    """The Authorization header of a JWT access token."""
    return {"Authorization": f"Bearer {token}"}


def access_token(client: httpx.Client, *, email: str, password: str) -> str:
    """A JWT access token for a fixed account, registering it on first use."""
    credentials = {"email": email, "password": password}
    response = client.post(TOKEN, json=credentials)
    if response.status_code == 401:
        client.post(REGISTER, json=credentials).raise_for_status()
        response = client.post(TOKEN, json=credentials)
    response.raise_for_status()
    return response.json()["access"]


def post_image(client, headers, *, image=None, title="twelve-factor post"):
    """POST a published post with an image; the response, whatever it is."""
    return client.post(
        POSTS,
        data={"title": title, "published": "true"},
        files={"image": ("photo.png", image or png(), "image/png")},
        headers=headers,
    )


def create_image_post(client, headers, *, image=None, title="twelve-factor post"):
    response = post_image(client, headers, image=image, title=title)
    assert response.status_code == 201, response.text
    return response.json()


def image_status(client, headers, post_id):
    response = client.get(f"{POSTS}{post_id}/", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["image_status"]


def readyz(client):
    """(status code, names of the failed checks) of /readyz; (0, None) when cut off."""
    try:
        response = client.get("/readyz", timeout=10)
        return response.status_code, response.json().get("failed", [])
    except (httpx.HTTPError, ValueError):
        return 0, None
