"""The users admin: search, filters, and the email-login add form."""

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


def test_changelist_searches_by_email_and_name(admin_client):
    UserFactory(email="grace@example.com", first_name="Grace")
    UserFactory(email="linus@example.com")
    found = admin_client.get(CHANGELIST, {"q": "grace"})
    assert found.status_code == 200
    assert b"grace@example.com" in found.content
    assert b"linus@example.com" not in found.content


def test_changelist_filters_staff(admin_client):
    UserFactory(email="staff@example.com", is_staff=True)
    UserFactory(email="member@example.com")
    staff = admin_client.get(CHANGELIST, {"is_staff__exact": "1"})
    assert b"staff@example.com" in staff.content
    assert b"member@example.com" not in staff.content


def test_add_form_creates_a_user_by_email(admin_client):
    password = "an-admin-chosen-pass-42"
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "new@example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 302, response.content
    assert User.objects.get(email="new@example.com").check_password(password)
