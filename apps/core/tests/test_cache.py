"""The cache fails open: django-redis with IGNORE_EXCEPTIONS, against a dead Redis.

`dead_cache` (conftest.py) is the configured cache pointed where nothing listens.
"""

from django.core.cache import caches
from django_redis.cache import RedisCache


def test_reads_miss_and_writes_noop_when_redis_is_down(dead_cache):
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", "fallback") == "fallback"
    assert dead_cache.get("k", []) == []  # DRF's throttles count this history
    assert dead_cache.get_many(["a", "b"]) == {}
    assert not dead_cache.add("k", 1)  # None, not False: both read as "not added"
    dead_cache.set("k", 1)
    dead_cache.delete("k")


def test_ignored_errors_are_logged(dead_cache, caplog):
    dead_cache.get("k")
    assert [r.name for r in caplog.records] == ["django_redis.cache"]


def test_works_normally_when_redis_is_up():
    cache = caches["default"]  # the module-level `cache` is a proxy object
    assert isinstance(cache, RedisCache)
    cache.set("answer", 42, 10)
    assert cache.get("answer") == 42
