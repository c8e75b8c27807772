"""The account flow, over HTTP through Nginx, as a client of the API sees it."""

import secrets

from tests.support.api import ME, REGISTER, TOKEN, bearer, remember_secret

REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"


def assert_error(response, status):
    """Every API error has one shape, and its request_id is the response's."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["code"]
    assert body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_register_token_me_refresh_logout(client):
    email = f"e2e-{secrets.token_hex(6)}@example.com"
    password = remember_secret(secrets.token_urlsafe(16))

    registered = client.post(REGISTER, json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    assert registered.json()["email"] == email
    assert "password" not in registered.json()

    tokens = client.post(TOKEN, json={"email": email, "password": password})
    assert tokens.status_code == 200, tokens.text
    access, refresh = map(
        remember_secret, (tokens.json()[k] for k in ("access", "refresh"))
    )

    me = client.get(ME, headers=bearer(access))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email

    rotated = client.post(REFRESH, json={"refresh": refresh})
    assert rotated.status_code == 200, rotated.text
    new_access, new_refresh = map(
        remember_secret, (rotated.json()[k] for k in ("access", "refresh"))
    )
    assert new_refresh != refresh
    assert client.get(ME, headers=bearer(new_access)).status_code == 200

    # Rotation blacklisted the old refresh token.
    assert_error(client.post(REFRESH, json={"refresh": refresh}), 401)

    logout = client.post(
        LOGOUT, json={"refresh": new_refresh}, headers=bearer(new_access)
    )
    assert logout.status_code == 204, logout.text
    assert_error(client.post(REFRESH, json={"refresh": new_refresh}), 401)


def test_wrong_password_and_missing_token_are_401(client):
    wrong = client.post(TOKEN, json={"email": "nobody@example.com", "password": "x"})
    assert_error(wrong, 401)
    assert_error(client.get(ME), 401)


def test_invalid_registration_reports_fields(client):
    response = client.post(REGISTER, json={"email": "not-an-email", "password": ""})
    assert_error(response, 400)
    assert set(response.json()["fields"]) >= {"email", "password"}
