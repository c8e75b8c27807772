"""API tests for /api/v1/auth/ and /api/v1/users/me/, error paths included."""

import pytest
from django.urls import reverse
from django_redis import get_redis_connection
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from apps.accounts.models import User
from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("register-list")
TOKEN = reverse("token-obtain")
REFRESH = reverse("token-refresh")
LOGOUT = reverse("logout")
ME = reverse("user-me")


def obtain(client, user):
    response = client.post(TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def assert_error(response, status, code):
    body = response.json()
    assert response.status_code == status, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["detail"]
    assert "request_id" in body
    return body


# --- register ---------------------------------------------------------------------
def test_register_creates_user_and_hides_password(api_client):
    response = api_client.post(
        REGISTER, {"email": "New@Example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "New@example.com"
    assert "password" not in body
    assert User.objects.get(email="New@example.com").check_password(DEFAULT_PASSWORD)


def test_register_duplicate_email_is_409_email_taken(api_client, user):
    # The request is valid (the schema admits it); the state refuses it: 409.
    response = api_client.post(
        REGISTER, {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    body = assert_error(response, 409, "email_taken")
    assert body["detail"] == "A user with this email already exists."
    assert User.objects.count() == 1


def test_register_invalid_email_is_400(api_client):
    response = api_client.post(
        REGISTER, {"email": "nope", "password": DEFAULT_PASSWORD}
    )
    body = assert_error(response, 400, "validation_error")
    assert "email" in body["fields"]


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_register_weak_password_is_400(api_client, password):
    response = api_client.post(
        REGISTER, {"email": "a@example.com", "password": password}
    )
    body = assert_error(response, 400, "validation_error")
    assert "password" in body["fields"]
    assert not User.objects.exists()


def test_register_missing_fields_is_400(api_client):
    body = assert_error(api_client.post(REGISTER, {}), 400, "validation_error")
    assert set(body["fields"]) == {"email", "password"}


def test_register_malformed_json_is_400(api_client):
    response = api_client.post(REGISTER, "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_register_with_json_nested_too_deeply_is_400(api_client):
    body = '{"email":' * 50_000 + "1" + "}" * 50_000
    response = api_client.post(REGISTER, body, content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_register_cannot_set_staff(api_client):
    api_client.post(
        REGISTER,
        {"email": "b@example.com", "password": DEFAULT_PASSWORD, "is_staff": True},
    )
    assert User.objects.get(email="b@example.com").is_staff is False


# --- token, refresh, logout -------------------------------------------------------
def test_token_pair_for_valid_credentials(api_client, user):
    tokens = obtain(api_client, user)
    assert set(tokens) == {"access", "refresh"}


def test_token_wrong_password_is_401(api_client, user):
    response = api_client.post(TOKEN, {"email": user.email, "password": "wrong-pass"})
    assert_error(response, 401, "no_active_account")


def test_token_inactive_user_is_401(api_client):
    user = UserFactory(is_active=False)
    response = api_client.post(
        TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert_error(response, 401, "no_active_account")


def test_refresh_rotates_and_blacklists_old_token(api_client, user):
    tokens = obtain(api_client, user)
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert response.status_code == 200, response.content
    rotated = response.json()
    assert rotated["refresh"] != tokens["refresh"]
    assert rotated["access"]
    reuse = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert_error(reuse, 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401(api_client):
    assert_error(api_client.post(REFRESH, {"refresh": "abc"}), 401, "token_not_valid")


def test_logout_blacklists_refresh_token(api_client, user):
    tokens = obtain(api_client, user)
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 204
    assert BlacklistedToken.objects.count() == 1
    after = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert_error(after, 401, "token_not_valid")


def test_logout_with_garbage_or_a_used_token_is_401(api_client, user):
    assert_error(api_client.post(LOGOUT, {"refresh": "abc"}), 401, "token_not_valid")
    tokens = obtain(api_client, user)
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 204
    again = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert_error(again, 401, "token_not_valid")


def test_token_without_credentials_is_400(api_client):
    body = assert_error(api_client.post(TOKEN, {}), 400, "validation_error")
    assert set(body["fields"]) == {"email", "password"}


def test_token_email_is_case_insensitive(api_client):
    UserFactory(email="ada@example.com")
    response = api_client.post(
        TOKEN, {"email": "ADA@Example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content


def test_register_duplicate_in_another_case_is_409(api_client, user):
    response = api_client.post(
        REGISTER, {"email": user.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert_error(response, 409, "email_taken")


@pytest.mark.parametrize(
    "data",
    [{"last_name": 0}, {"first_name": ["x"]}, {"last_name": "x" * 151}],
    ids=["number", "list", "too-long"],
)
def test_me_patch_with_a_non_string_name_is_400_and_changes_nothing(
    auth_client, user, data
):
    user.first_name, user.last_name = "Ada", "Lovelace"
    user.save()
    assert_error(auth_client.patch(ME, data), 400, "validation_error")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")


@pytest.mark.parametrize(
    "email",
    [
        "\x1f",
        " ",
        0,
        "a@b.c",
        '"quoted"@example.com',
        " a@example.com",
        "a" * 65 + "@example.com",
    ],
    ids=[
        "control-character",
        "blank",
        "number",
        "one-letter-tld",
        "quoted",
        "space",
        "local-part-over-64",
    ],
)
def test_register_with_a_malformed_email_is_400(api_client, email):
    response = api_client.post(REGISTER, {"email": email, "password": DEFAULT_PASSWORD})
    assert "email" in assert_error(response, 400, "validation_error")["fields"]


@pytest.mark.parametrize("email", ["o'brien+tag@mail.example.co", "A.B@x-y.io"])
def test_register_takes_what_the_schema_pattern_admits(api_client, email):
    response = api_client.post(REGISTER, {"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, response.content


def test_logout_without_token_is_400(api_client):
    body = assert_error(api_client.post(LOGOUT, {}), 400, "validation_error")
    assert "refresh" in body["fields"]


# --- users/me ---------------------------------------------------------------------
def test_me_requires_authentication(api_client):
    assert_error(api_client.get(ME), 401, "not_authenticated")


def test_me_with_bad_bearer_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_error(api_client.get(ME), 401, "token_not_valid")


def test_me_returns_profile_with_real_jwt(api_client, user):
    access = obtain(api_client, user)["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api_client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert "password" not in response.json()


def test_me_with_a_jwt_costs_one_query(api_client, user, django_assert_num_queries):
    # The user the token names, and nothing else: no session, no last_login write.
    access = obtain(api_client, user)["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    with django_assert_num_queries(1):
        assert api_client.get(ME).status_code == 200


def test_me_patch_updates_names_only(auth_client, user):
    response = auth_client.patch(
        ME,
        {"first_name": "Ada", "email": "evil@example.com", "is_staff": True},
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.first_name == "Ada"
    assert user.email != "evil@example.com"
    assert user.is_staff is False


def test_me_patch_too_long_name_is_400(auth_client):
    response = auth_client.patch(ME, {"first_name": "x" * 151})
    body = assert_error(response, 400, "validation_error")
    assert "first_name" in body["fields"]


def test_me_rejects_other_methods(auth_client):
    assert_error(auth_client.delete(ME), 405, "method_not_allowed")


# --- throttling -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scope", "url"),
    [
        ("auth_token", TOKEN),
        ("auth_register", REGISTER),
        ("auth_refresh", REFRESH),
        ("auth_logout", LOGOUT),
    ],
)
def test_auth_endpoints_are_throttled_with_retry_after(
    api_client, user, monkeypatch, scope, url
):
    # DRF binds the rates to the class at import time, so patch them there.
    rates = {**ScopedRateThrottle.THROTTLE_RATES, scope: "2/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    payload = {"email": user.email, "password": "wrong-pass", "refresh": "x"}
    statuses = [api_client.post(url, payload).status_code for _ in range(2)]
    assert 429 not in statuses
    response = api_client.post(url, payload)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_token_throttle_counts_live_in_redis(api_client, user, monkeypatch):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "auth_token": "5/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    api_client.post(TOKEN, {"email": user.email, "password": "wrong-pass"})
    keys = get_redis_connection("default").keys("*throttle_auth_token*")
    assert len(keys) == 1
