"""Flushing expired JWT refresh tokens: the beat's task runs simplejwt's command."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

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


def test_flush_expired_tokens_deletes_only_expired_tokens(user):
    # Called directly: the task body is what is under test here.
    outstanding(user, expires_in=timedelta(hours=-1))
    outstanding(user, expires_in=timedelta(hours=-2), blacklisted=True)
    live = outstanding(user, expires_in=timedelta(days=1), blacklisted=True)

    flush_expired_tokens()

    assert list(OutstandingToken.objects.all()) == [live]
    assert list(BlacklistedToken.objects.values_list("token", flat=True)) == [live.pk]
