"""The fail-open Redis cache."""

import pytest

from apps.core.cache import FailOpenRedisCache


@pytest.fixture
def dead_cache():
    return FailOpenRedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )


def test_reads_miss_and_writes_noop_when_redis_is_down(dead_cache):
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", "fallback") == "fallback"
    assert dead_cache.get("k", []) == []  # DRF's throttles count this history
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.add("k", 1) is False
    dead_cache.set("k", 1)
    dead_cache.delete("k")


def test_works_normally_when_redis_is_up():
    from django.core.cache import caches

    cache = caches["default"]  # the module-level `cache` is a proxy object
    assert isinstance(cache, FailOpenRedisCache)
    cache.set("answer", 42, 10)
    assert cache.get("answer") == 42
