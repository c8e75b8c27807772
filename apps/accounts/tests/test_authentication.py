"""The API's JWT authentication refuses tokens whose claims it never issues."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

pytestmark = pytest.mark.django_db

ME = reverse("user-me")


def me_with(token):
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("user_id", ["1 OR 1=1", "abc", [1], {"id": 1}])
def test_a_signed_token_with_a_malformed_user_id_is_401(user, user_id):
    token = AccessToken.for_user(user)
    token["user_id"] = user_id  # validly signed, yet not an id this project issues
    response = me_with(token)
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "token_not_valid"


def test_a_token_for_a_user_that_is_gone_is_401(user):
    token = AccessToken.for_user(user)
    user.delete()
    assert me_with(token).status_code == 401


def test_a_valid_token_authenticates(user):
    response = me_with(AccessToken.for_user(user))
    assert response.status_code == 200
    assert response.json()["email"] == user.email
