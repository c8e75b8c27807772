"""Tests for the email-login user model and its manager."""

import pytest

from apps.accounts.models import User

pytestmark = pytest.mark.django_db


def test_create_user_has_no_username_and_is_not_staff():
    user = User.objects.create_user(email="a@EXAMPLE.com", password="x-long-password")
    assert user.email == "a@example.com"
    assert not hasattr(user, "username") or user.username is None
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert str(user) == "a@example.com"


def test_create_superuser_sets_flags():
    admin = User.objects.create_superuser(
        email="root@example.com", password="pw-long-1"
    )
    assert (admin.is_staff, admin.is_superuser) == (True, True)


def test_create_user_requires_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password="x")
