"""Fixtures shared by every app's tests."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

from apps.accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the (real Redis) cache; isolate tests from each other.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dead_cache():
    """The configured cache, pointed at a port where no Redis listens."""
    params = settings.CACHES["default"]
    options = {
        **params["OPTIONS"],
        "SOCKET_CONNECT_TIMEOUT": 0.2,
        "SOCKET_TIMEOUT": 0.2,
    }
    return RedisCache("redis://127.0.0.1:1/0", {**params, "OPTIONS": options})


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def auth_client(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def eager_celery():
    """Run tasks inline. Only for unit tests that check what a task does once it runs;
    the broker and worker path is exercised against real Redis in the e2e suite."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
