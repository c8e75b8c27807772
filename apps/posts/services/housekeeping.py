"""Housekeeping of posts' storage: files that no post references.

Orphans come from rollbacks after an upload was stored, deletes that failed while
storage was down, and thumbnails whose task lost a race. Only files older than a
grace period go: a younger one may belong to a transaction still in flight.
"""

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.files.storage import Storage, default_storage
from django.db.models import Q
from django.utils import timezone

from apps.posts import files
from apps.posts.models import Post

logger = logging.getLogger(__name__)

CHUNK = 500


def post_files_delete_orphans(
    *, older_than: timedelta, storage: Storage | None = None
) -> int:
    """Delete unreferenced files under the posts' prefixes; returns how many."""
    storage = storage or default_storage
    cutoff = timezone.now() - older_than
    deleted = 0
    for prefix in files.PREFIXES:
        for chunk in _chunks(_list_files(storage, prefix), CHUNK):
            referenced = _referenced(chunk)
            for name in chunk:
                if name in referenced or storage.get_modified_time(name) >= cutoff:
                    continue
                storage.delete(name)
                deleted += 1
                logger.info("deleted orphaned file %s", name)
    return deleted


def _list_files(storage: Storage, prefix: str) -> list[str]:
    try:
        _, names = storage.listdir(prefix.rstrip("/"))
    except FileNotFoundError:  # FileSystemStorage before the first upload
        return []
    return [f"{prefix}{name}" for name in names]


def _referenced(names: list[str]) -> set[str]:
    rows = Post.objects.filter(Q(image__in=names) | Q(thumbnail__in=names))
    return {
        name for pair in rows.values_list("image", "thumbnail") for name in pair if name
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
