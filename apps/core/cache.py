"""A Redis cache that fails open: an unreachable Redis is a cache miss, not a 500."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_DOWN = (RedisConnectionError, RedisTimeoutError)


def _fail_open(method, default=None):
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _DOWN as exc:
            logger.warning("cache unavailable, failing open: %s", exc)
            return default() if callable(default) else default

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache whose reads miss and writes no-op while Redis is down.

    Throttling and cached reads then degrade (no limits, no cache) instead of
    failing every request; /readyz still reports Redis as down.
    """

    def get(self, key, default=None, version=None):
        # The caller's default, not None: DRF's throttles read their history with
        # get(key, []) and fail with a TypeError on None.
        try:
            return super().get(key, default, version)
        except _DOWN as exc:
            logger.warning("cache unavailable, failing open: %s", exc)
            return default

    get_many = _fail_open(RedisCache.get_many, default=dict)
    set = _fail_open(RedisCache.set)
    set_many = _fail_open(RedisCache.set_many, default=list)
    add = _fail_open(RedisCache.add, default=False)
    delete = _fail_open(RedisCache.delete, default=False)
    delete_many = _fail_open(RedisCache.delete_many)
    touch = _fail_open(RedisCache.touch, default=False)
    has_key = _fail_open(RedisCache.has_key, default=False)
    incr = _fail_open(RedisCache.incr, default=0)
    clear = _fail_open(RedisCache.clear)
