"""Tests for the post write services: create, update, delete and their files."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage

from apps.posts import services
from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory, image_upload

pytestmark = pytest.mark.django_db

Status = Post.ImageStatus


def stored_files(storage):
    names = []
    for prefix in ("posts/images", "posts/thumbnails"):
        if storage.exists(prefix):
            names += [f"{prefix}/{name}" for name in storage.listdir(prefix)[1]]
    return names


def test_post_create_without_image(user):
    post = services.post_create(author=user, title="Hello", body="World")
    assert (post.author, post.title, post.published) == (user, "Hello", False)
    assert post.image_status == Status.NONE
    assert not post.image


def test_post_create_stores_image_under_a_random_key_with_the_decoded_suffix(
    user, media_storage
):
    upload = image_upload("JPEG", name="../../etc/passwd.png", content_type="text/html")
    post = services.post_create(author=user, title="T", image=upload)
    assert post.image.name.startswith("posts/images/")
    assert post.image.name.endswith(".jpg")
    assert "passwd" not in post.image.name
    assert media_storage.exists(post.image.name)
    assert post.image_status == Status.PROCESSING
    assert post.thumbnail_requested_at is not None


def test_post_create_enqueues_the_thumbnail_only_after_commit(
    user, png, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(
        "apps.posts.tasks.generate_thumbnail.delay",
        lambda **kwargs: enqueued.append(kwargs),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = services.post_create(author=user, title="T", image=png)
    assert enqueued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert enqueued == [{"post_id": post.pk, "image_name": post.image.name}]


def test_post_create_with_an_invalid_image_stores_nothing(user, media_storage):
    upload = image_upload(data=b"not an image")
    with pytest.raises(ValidationError) as excinfo:
        services.post_create(author=user, title="T", image=upload)
    assert list(excinfo.value.message_dict) == ["image"]
    assert not Post.objects.exists()
    assert stored_files(media_storage) == []


def test_post_create_validates_the_model(user):
    with pytest.raises(ValidationError) as excinfo:
        services.post_create(author=user, title="x" * 201)
    assert "title" in excinfo.value.message_dict


def test_post_create_runs_the_thumbnail_end_to_end(
    user, png, django_capture_on_commit_callbacks, eager_celery, media_storage
):
    # Eager: this checks what the chain does once the task runs; the broker and
    # worker path is exercised in tests/e2e/test_posts.py.
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(author=user, title="T", image=png)
    post.refresh_from_db()
    assert post.image_status == Status.READY
    assert media_storage.exists(post.thumbnail.name)


def test_post_update_changes_only_given_fields():
    post = PostFactory(title="Old", body="Body", published=False)
    services.post_update(post=post, title="New")
    post.refresh_from_db()
    assert (post.title, post.body, post.published) == ("New", "Body", False)


def test_post_update_replaces_image_and_deletes_old_files_after_commit(
    user, png, media_storage, django_capture_on_commit_callbacks
):
    post = services.post_create(author=user, title="T", image=png)
    old_image = post.image.name
    old_thumbnail = media_storage.save("posts/thumbnails/old.jpg", png)
    Post.objects.filter(pk=post.pk).update(
        thumbnail=old_thumbnail, image_status=Status.READY
    )
    post.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(post=post, image=image_upload("GIF", name="b.gif"))
    post.refresh_from_db()
    assert post.image.name != old_image
    assert post.image.name.endswith(".gif")
    assert (post.thumbnail.name, post.image_status) == ("", Status.PROCESSING)
    assert not media_storage.exists(old_image)
    assert not media_storage.exists(old_thumbnail)
    assert media_storage.exists(post.image.name)


def test_post_update_keeps_old_files_when_the_new_image_is_rejected(
    user, png, media_storage, django_capture_on_commit_callbacks
):
    post = services.post_create(author=user, title="T", image=png)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError),
    ):
        services.post_update(post=post, image=image_upload(data=b"junk"))
    post.refresh_from_db()
    assert media_storage.exists(post.image.name)
    assert stored_files(media_storage) == [post.image.name]


def test_post_update_remove_image(
    user, png, media_storage, django_capture_on_commit_callbacks
):
    post = services.post_create(author=user, title="T", image=png)
    name = post.image.name
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(post=post, remove_image=True)
    post.refresh_from_db()
    assert (post.image.name, post.image_status) == ("", Status.NONE)
    assert not media_storage.exists(name)


def test_post_update_rejects_image_and_remove_image_together(png):
    post = PostFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.post_update(post=post, image=png, remove_image=True)
    assert "remove_image" in excinfo.value.message_dict


def test_post_delete_deletes_files_after_commit(
    user, png, media_storage, django_capture_on_commit_callbacks
):
    post = services.post_create(author=user, title="T", image=png)
    name = post.image.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.post_delete(post=post)
    assert media_storage.exists(name)  # a rollback would still need it
    for callback in callbacks:
        callback()
    assert not Post.objects.filter(pk=post.pk).exists()
    assert not media_storage.exists(name)


def test_a_failed_file_delete_is_left_to_the_orphan_sweep(
    user, png, media_storage, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    post = services.post_create(author=user, title="T", image=png)
    name = post.image.name

    def storage_down(self, name):
        raise OSError("storage down")

    monkeypatch.setattr(FileSystemStorage, "delete", storage_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post)
    assert not Post.objects.exists()
    assert media_storage.exists(name)
    assert "orphan sweep" in caplog.text
