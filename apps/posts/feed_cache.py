"""Provides the Redis cache of the public feed: its front page, for every caller
whose page it is.

Every anonymous caller sees the same published posts, and so does a signed-in
caller without drafts (staff aside), so the list's first page (no query string)
is cached whole, keyed by its absolute URL (scheme and host, which its links
carry). A page is stored with the feed's version at the time it was read; any
change to a post or to an author's public name sets a new version once its
transaction commits, and a page stored under an older version is a miss from
then on.

The version moves on the model signals of Post and User (see apps.py), which
every write path sends: the services, the admin, cascades. Bulk writes send none
and call `invalidate()` themselves (seed_demo); FEED_CACHE_SECONDS bounds how
long a write that does neither stays unseen. The cache fails open: with Redis
down every request reads PostgreSQL.
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.core.metrics.requests import cache_lookup

VERSION_KEY = "posts:feed:version"
_PAGE_PREFIX = "posts:feed:page:"
_DRAFTS_PREFIX = "posts:feed:drafts:"


def cached_page(
    url: str,
    build: Callable[[], Any],
    *,
    caller_id: int | None = None,
    has_drafts: Callable[[], bool] | None = None,
) -> Any:
    """The page at `url` from the cache, or `build()`'s, stored for the next caller.

    The version is read before `build()` queries the database: a write committed
    in between leaves the page stored under the old version, where no one reads it.

    A signed-in caller (`caller_id`) gets the same page unless `has_drafts()`: then
    None, as their page is not the public one.
    """
    if not settings.FEED_CACHE_SECONDS:
        if caller_id is not None and has_drafts():
            return None
        return build()
    page_key = _page_key(url)
    drafts_key = None if caller_id is None else f"{_DRAFTS_PREFIX}{caller_id}"
    # One round trip for all: an entry counts only if stored under this version.
    found = cache.get_many([key for key in (VERSION_KEY, page_key, drafts_key) if key])
    version = found.get(VERSION_KEY) or _start_version()
    if drafts_key and _has_drafts(
        version, found.get(drafts_key), drafts_key, has_drafts
    ):
        return None
    entry = found.get(page_key)
    hit = _current(entry, version)
    cache_lookup(cache="feed", hit=hit)
    if hit:
        return entry[1]
    data = build()
    if version is not None:
        cache.set(page_key, (version, data), settings.FEED_CACHE_SECONDS)
    return data


def _has_drafts(version, cached, key: str, has_drafts: Callable[[], bool]) -> bool:
    """The caller's answer, cached under the version: a caller without drafts
    usually costs no query. A draft written later sets a new version, so the
    answer is asked again; asked after the version was read, it sees a draft
    committed in between."""
    if _current(cached, version):
        return cached[1]
    answer = has_drafts()
    if version is not None:
        cache.set(key, (version, answer), settings.FEED_CACHE_SECONDS)
    return answer


def _current(entry, version) -> bool:
    """Whether a cached (version, value) entry was stored under this version."""
    return version is not None and entry is not None and entry[0] == version


def invalidate() -> None:
    """Outdate every cached page once the current transaction commits.

    Not before: a reader in between would cache the old rows under the new
    version. Robust, so a Redis outage cannot undo a committed write.
    """
    transaction.on_commit(_new_version, robust=True)


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _start_version() -> str | None:
    """A version for a feed that has none yet (first use, or Redis lost its keys).

    None when Redis is unreachable: nothing is cached then.
    """
    version = uuid.uuid4().hex
    if cache.add(VERSION_KEY, version, timeout=None):
        return version
    # Another reader started one first (or Redis is down and this is None).
    return cache.get(VERSION_KEY)


def _page_key(url: str) -> str:
    # A hash keeps keys short and free of the characters a URL may carry.
    return _PAGE_PREFIX + hashlib.sha256(url.encode()).hexdigest()
