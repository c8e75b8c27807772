"""Tests for accounts' Celery tasks, called directly (the worker path is tested e2e)."""

import pytest

from apps.accounts.tasks import send_welcome_email
from apps.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_send_welcome_email_sends_one_mail(mailoutbox):
    user = UserFactory()
    send_welcome_email(user_id=user.pk)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert user.email in mailoutbox[0].body


def test_send_welcome_email_for_deleted_user_is_a_no_op(mailoutbox):
    send_welcome_email(user_id=999_999)
    assert mailoutbox == []


def test_send_welcome_email_retries_on_smtp_failure():
    assert OSError in send_welcome_email.autoretry_for
    assert send_welcome_email.max_retries == 5
