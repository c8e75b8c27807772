"""Flushing expired JWT refresh tokens (run by the beat schedule)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from apps.accounts.services import token_flush_expired
from apps.accounts.tasks import flush_expired_tokens

pytestmark = pytest.mark.django_db


def outstanding(user, *, expires_in, blacklisted=False):
    now = timezone.now()
    token = OutstandingToken.objects.create(
        user=user,
        jti=f"jti-{expires_in.total_seconds()}-{blacklisted}",
        token="header.payload.signature",
        created_at=now,
        expires_at=now + expires_in,
    )
    if blacklisted:
        BlacklistedToken.objects.create(token=token)
    return token


def test_token_flush_expired_deletes_only_expired_tokens(user):
    outstanding(user, expires_in=timedelta(hours=-1))
    outstanding(user, expires_in=timedelta(hours=-2), blacklisted=True)
    live = outstanding(user, expires_in=timedelta(days=1), blacklisted=True)

    assert token_flush_expired() == 2

    assert list(OutstandingToken.objects.all()) == [live]
    assert list(BlacklistedToken.objects.values_list("token", flat=True)) == [live.pk]


def test_flush_expired_tokens_task_calls_the_service(user):
    # Called directly: the task body is what is under test here.
    outstanding(user, expires_in=timedelta(seconds=-1))
    assert flush_expired_tokens() == 1
    assert not OutstandingToken.objects.exists()
