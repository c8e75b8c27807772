"""Tests for accounts' services."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts import services
from apps.accounts.models import User
from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_user_register_normalizes_domain_and_hashes_password():
    user = services.user_register(email="Ada@EXAMPLE.com", password=DEFAULT_PASSWORD)
    assert user.email == "Ada@example.com"
    assert user.password != DEFAULT_PASSWORD
    assert user.check_password(DEFAULT_PASSWORD)


def test_user_register_rejects_case_insensitive_duplicate():
    UserFactory(email="ada@example.com")
    with pytest.raises(services.EmailTaken):
        services.user_register(email="ADA@example.com", password=DEFAULT_PASSWORD)


def test_user_register_losing_a_race_is_email_taken(monkeypatch):
    # Another registration of the address commits between the check and the save.
    UserFactory(email="ada@example.com")
    monkeypatch.setattr(services, "_email_taken", lambda email: False)
    monkeypatch.setattr(User, "full_clean", lambda self, **kwargs: None)
    with pytest.raises(services.EmailTaken):
        services.user_register(email="ADA@example.com", password=DEFAULT_PASSWORD)
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


def test_the_database_refuses_a_case_insensitive_duplicate():
    UserFactory(email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ADA@EXAMPLE.COM")


def test_user_register_rejects_password_similar_to_email():
    with pytest.raises(ValidationError) as excinfo:
        services.user_register(email="grace.hopper@example.com", password="gracehopper")
    assert "password" in excinfo.value.message_dict
    assert not User.objects.exists()


def test_user_register_enqueues_welcome_email_after_commit(
    django_capture_on_commit_callbacks, mailoutbox, eager_celery
):
    # Eager: this checks what the committed callback does (the task sends the
    # mail); delivery through Redis to a worker is the e2e suite's (test_logs.py
    # follows a registration's request id into the worker).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = services.user_register(
            email="new@example.com", password=DEFAULT_PASSWORD
        )
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [[user.email]]


def test_user_register_sends_nothing_when_transaction_rolls_back(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.user_register(email="new@example.com", password=DEFAULT_PASSWORD)
    assert len(callbacks) == 1
    assert mailoutbox == []


def test_user_update_changes_only_given_fields():
    user = UserFactory(first_name="Old", last_name="Name")
    services.user_update(user=user, first_name="New")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("New", "Name")
