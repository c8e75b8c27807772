"""The orphan sweep deletes old unreferenced files under the posts' prefixes only."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from apps.posts import services
from apps.posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def store(storage, name, *, age=timedelta(0)):
    name = storage.save(name, ContentFile(b"x"))
    stamp = time.time() - age.total_seconds()
    os.utime(storage.path(name), (stamp, stamp))
    return name


def test_sweep_deletes_only_old_unreferenced_files(media_storage):
    referenced_image = store(media_storage, "posts/images/kept.png", age=2 * DAY)
    referenced_thumb = store(media_storage, "posts/thumbnails/kept.jpg", age=2 * DAY)
    PostFactory(image=referenced_image, thumbnail=referenced_thumb)
    old_orphans = [
        store(media_storage, "posts/images/orphan.png", age=2 * DAY),
        store(media_storage, "posts/thumbnails/orphan.jpg", age=2 * DAY),
    ]
    young_orphan = store(media_storage, "posts/images/in-flight.png")
    elsewhere = store(media_storage, "avatars/old.png", age=2 * DAY)

    deleted = services.post_files_delete_orphans(older_than=DAY)

    assert deleted == 2
    assert not any(media_storage.exists(name) for name in old_orphans)
    for name in (referenced_image, referenced_thumb, young_orphan, elsewhere):
        assert media_storage.exists(name), name


def test_sweep_of_an_empty_storage_is_a_no_op(media_storage):
    assert services.post_files_delete_orphans(older_than=DAY) == 0


def test_sweep_checks_references_in_chunks(media_storage, monkeypatch):
    monkeypatch.setattr("apps.posts.services.housekeeping.CHUNK", 2)
    kept = [
        store(media_storage, f"posts/images/k{n}.png", age=2 * DAY) for n in range(3)
    ]
    for name in kept:
        PostFactory(image=name)
    orphans = [
        store(media_storage, f"posts/images/o{n}.png", age=2 * DAY) for n in range(3)
    ]
    assert services.post_files_delete_orphans(older_than=DAY) == 3
    assert all(media_storage.exists(name) for name in kept)
    assert not any(media_storage.exists(name) for name in orphans)
